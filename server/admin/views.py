"""Admin pages: sign-in, connectors, users, tokens, OAuth callbacks and extension pairing."""

from __future__ import annotations

import dataclasses
import logging
import secrets
from datetime import datetime, timedelta, timezone
from functools import wraps
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from sqlalchemy import delete, desc, select
from werkzeug.exceptions import HTTPException

from server import models as m
from server.admin import admin_state, pairing
from server.admin import connections as c
from server.admin.models import ROLES, OAuthPending, PairingCode, SyncRequest, User, UserToken
from server.admin.runner import enqueue
from server.admin.security import (
    check_csrf,
    clear_failures,
    csrf_token,
    digest,
    hash_password,
    login_blocked,
    needs_rehash,
    record_failure,
    verify_password,
)
from server.auth import create_token

log = logging.getLogger(__name__)

bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates",
               static_folder="static", static_url_path="/static")
root = Blueprint("admin_root", __name__)

INVITE_TTL = timedelta(days=7)
OAUTH_TTL = timedelta(minutes=10)


def store():
    return current_app.extensions["account360"].store


def now() -> datetime:
    return datetime.now(timezone.utc)


def aware(v: datetime | None) -> datetime | None:
    return v.replace(tzinfo=timezone.utc) if v is not None and v.tzinfo is None else v


# -- request plumbing -----------------------------------------------------------------
@bp.before_request
def _load_user() -> None:
    g.user = None
    uid = session.get("uid")
    if uid is not None:
        with store().sessions() as s:
            user = s.get(User, uid)
        if user and not user.disabled and user.session_version == session.get("sv"):
            g.user = user
        else:
            session.clear()
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        check_csrf()


@bp.app_context_processor
def _template_globals() -> dict:
    return {"csrf_token": csrf_token, "current_user": lambda: getattr(g, "user", None)}


@bp.after_request
def _no_store(resp):
    resp.headers.setdefault("Cache-Control", "no-store")
    resp.headers.setdefault("X-Frame-Options", "DENY")
    resp.headers.setdefault("X-Content-Type-Options", "nosniff")
    resp.headers.setdefault("Referrer-Policy", "same-origin")
    resp.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "frame-ancestors 'none'")
    return resp


@bp.errorhandler(HTTPException)
def _html_error(exc: HTTPException):
    if request.path.startswith("/admin/api/") or request.accept_mimetypes.best == \
            "application/json":
        return jsonify({"error": {"code": (exc.name or "error").lower().replace(" ", "_"),
                                  "message": exc.description, "details": {}}}), exc.code
    return render_template("admin/error.html", code=exc.code, title=exc.name,
                           message=exc.description), exc.code


def login_required(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        if g.user is None:
            if request.path.startswith("/admin/api/") or request.method != "GET":
                abort(401, description="Sign in first.")
            return redirect(url_for("admin.login", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return wrapper


def admin_required(view):
    @wraps(view)
    @login_required
    def wrapper(*args, **kwargs):
        if g.user.role != "admin":
            abort(403, description="Only admins can open this page.")
        return view(*args, **kwargs)

    return wrapper


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//") and \
            "\\" not in target and not urlsplit(target).netloc:
        return target
    return url_for("admin.home")


# -- sign-in --------------------------------------------------------------------------
@root.get("/")
def index():
    return redirect(url_for("admin.home"))


@bp.get("/")
@login_required
def home():
    if g.user.role == "admin":
        return redirect(url_for("admin.connectors"))
    return redirect(url_for("admin.me"))


@bp.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "GET":
        if g.user is not None:
            return redirect(url_for("admin.home"))
        return render_template("admin/login.html", next=request.args.get("next", ""))
    email = (request.form.get("email") or "").strip().lower()
    password = request.form.get("password") or ""
    nxt = request.form.get("next") or ""
    if login_blocked(store(), email):
        return render_template("admin/login.html", next=nxt, email=email,
                               error="Too many failed attempts: wait 15 minutes and try again."
                               ), 429
    with store().sessions() as s:
        user = s.scalar(select(User).where(User.email == email))
    ok = verify_password(user.password_hash if user else None, password)
    if not ok or user is None or user.disabled:
        record_failure(store(), email)
        log.info("failed sign-in from %s", request.remote_addr)
        return render_template("admin/login.html", next=nxt, email=email,
                               error="Wrong email or password."), 401
    clear_failures(store(), email)
    with store().session() as s:
        row = s.get(User, user.id)
        row.last_login_at = now()
        if needs_rehash(row.password_hash):
            row.password_hash = hash_password(password)
    _start_session(user)
    return redirect(_safe_next(nxt))


def _start_session(user: User) -> None:
    session.clear()  # a fresh session (and CSRF token) on every sign-in
    session.permanent = True
    session["uid"] = user.id
    session["sv"] = user.session_version


@bp.post("/logout")
def logout():
    session.clear()
    return redirect(url_for("admin.login"))


@bp.route("/invite/<secret>", methods=["GET", "POST"])
def accept_invite(secret: str):
    with store().sessions() as s:
        user = s.scalar(select(User).where(User.invite_hash == digest(secret)))
    if user is None or user.disabled or aware(user.invite_expires_at) < now():
        abort(404, description="This invitation link is not valid any more: ask your admin "
                               "for a new one.")
    if request.method == "GET":
        return render_template("admin/invite.html", user=user)
    password = request.form.get("password") or ""
    if password != (request.form.get("confirm") or ""):
        return render_template("admin/invite.html", user=user,
                               error="The two passwords differ."), 400
    try:
        hashed = hash_password(password)
    except ValueError as exc:
        return render_template("admin/invite.html", user=user, error=str(exc)), 400
    with store().session() as s:
        row = s.get(User, user.id)
        row.password_hash = hashed
        row.invite_hash = None
        row.invite_expires_at = None
        row.session_version += 1
        row.last_login_at = now()
        user = row
    _start_session(user)
    return redirect(url_for("admin.me"))


# -- users ----------------------------------------------------------------------------
def create_user(email: str, role: str, password: str | None = None) -> tuple[User, str | None]:
    """Create a user; without a password an invite secret is returned (shown once)."""
    email = email.strip().lower()
    if email.count("@") != 1 or len(email) > 320:
        raise ValueError("enter a valid email address")
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    invite = None
    with store().session() as s:
        if s.scalar(select(User.id).where(User.email == email)):
            raise ValueError(f"{email} already has an account")
        user = User(email=email, role=role, created_at=now(), disabled=False,
                    session_version=1)
        if password:
            user.password_hash = hash_password(password)
        else:
            invite = secrets.token_urlsafe(32)
            user.invite_hash = digest(invite)
            user.invite_expires_at = now() + INVITE_TTL
        s.add(user)
    return user, invite


@bp.get("/users")
@admin_required
def users():
    return _users_page()


def _users_page(**extra):
    with store().sessions() as s:
        rows = list(s.scalars(select(User).order_by(User.email)))
    return render_template("admin/users.html", users=rows, roles=ROLES, **extra)


@bp.post("/users")
@admin_required
def invite_user():
    try:
        user, invite = create_user(request.form.get("email") or "",
                                   request.form.get("role") or "csm")
    except ValueError as exc:
        return _users_page(error=str(exc)), 400
    link = url_for("admin.accept_invite", secret=invite, _external=True)
    base = c.option(admin_state().cfg, "PUBLIC_URL")
    if base:
        link = base.rstrip("/") + url_for("admin.accept_invite", secret=invite)
    return _users_page(invited=user, invite_link=link)


@bp.post("/users/<int:user_id>/disable")
@admin_required
def disable_user(user_id: int):
    if user_id == g.user.id:
        abort(400, description="You cannot disable yourself.")
    with store().session() as s:
        user = s.get(User, user_id)
        if user is None:
            abort(404)
        user.disabled = True
        user.session_version += 1
        s.execute(delete(PairingCode).where(PairingCode.user_id == user_id))
        for link in s.scalars(select(UserToken).where(UserToken.user_id == user_id)):
            tok = s.get(m.ApiToken, link.token_id)
            if tok is not None and tok.revoked_at is None:
                tok.revoked_at = now()
    return redirect(url_for("admin.users"))


# -- personal tokens ------------------------------------------------------------------
def user_token(user: User, name: str, purpose: str = "personal") -> str:
    token = create_token(store(), name)
    with store().session() as s:
        tok = s.scalar(select(m.ApiToken).where(m.ApiToken.prefix == token[:12])
                       .order_by(desc(m.ApiToken.id)).limit(1))
        s.add(UserToken(token_id=tok.id, user_id=user.id, purpose=purpose))
    return token


def tokens_of(user_id: int | None) -> list[dict]:
    q = select(m.ApiToken, UserToken, User).join(
        UserToken, UserToken.token_id == m.ApiToken.id).join(User, User.id == UserToken.user_id)
    if user_id is not None:
        q = q.where(UserToken.user_id == user_id)
    with store().sessions() as s:
        return [{"id": t.id, "name": t.name, "prefix": t.prefix, "purpose": ut.purpose,
                 "owner": u.email, "created_at": aware(t.created_at),
                 "last_used_at": aware(t.last_used_at), "revoked": t.revoked_at is not None}
                for t, ut, u in s.execute(q.order_by(desc(m.ApiToken.id)))]


@bp.get("/me")
@login_required
def me():
    return _me_page()


def _me_page(**extra):
    cfg = admin_state().cfg
    code, expires = pairing.issue(store(), g.user.id)
    return render_template("admin/me.html", tokens=tokens_of(g.user.id),
                           all_tokens=tokens_of(None) if g.user.role == "admin" else None,
                           extension_id=extension_id(cfg), server_url=server_url(),
                           pairing_code=pairing.display(code), pairing_expires=expires,
                           pairing_minutes=int(pairing.TTL.total_seconds() // 60), **extra)


@bp.post("/me/tokens")
@login_required
def new_token():
    name = (request.form.get("name") or "").strip()[:100] or "personal"
    token = user_token(g.user, f"{g.user.email}: {name}")
    return _me_page(new_token=token)


@bp.post("/tokens/<int:token_id>/revoke")
@login_required
def revoke(token_id: int):
    with store().session() as s:
        link = s.get(UserToken, token_id)
        if link is None and g.user.role != "admin":
            abort(403, description="This token is not yours.")
        if link is not None and link.user_id != g.user.id and g.user.role != "admin":
            abort(403, description="This token is not yours.")
        tok = s.get(m.ApiToken, token_id)
        if tok is None:
            abort(404)
        if tok.revoked_at is None:
            tok.revoked_at = now()
    return redirect(url_for("admin.me"))


# -- extension pairing ----------------------------------------------------------------
def extension_id(cfg: dict) -> str:
    ext = c.option(cfg, "EXTENSION_ID")
    if ext:
        return str(ext)
    for origin in cfg.get("EXTENSION_ORIGINS") or []:
        if origin.startswith("chrome-extension://"):
            return origin.split("//", 1)[1].strip("/")
    return ""


def server_url() -> str:
    base = c.option(admin_state().cfg, "PUBLIC_URL")
    return str(base).rstrip("/") if base else request.host_url.rstrip("/")


@bp.post("/extension/token")
@login_required
def extension_token():
    """A fresh token for the browser extension, handed to it by the page's script."""
    token = user_token(g.user, f"{g.user.email}: browser extension", purpose="extension")
    return jsonify({"server_url": server_url(), "token": token})


# -- connectors -----------------------------------------------------------------------
def _latest_runs() -> dict[str, dict]:
    from server.sync import SyncRun, run_json

    out: dict[str, dict] = {}
    with store().sessions() as s:
        for run in s.scalars(select(SyncRun).order_by(desc(SyncRun.id)).limit(200)):
            out.setdefault(run.connector, run_json(run))
    return out


def _pending() -> dict[str, int]:
    with store().sessions() as s:
        rows = s.scalars(select(SyncRequest).where(SyncRequest.finished_at.is_(None)))
        out: dict[str, int] = {}
        for r in rows:
            out[r.connector] = out.get(r.connector, 0) + 1
        return out


def _records() -> dict[str, int]:
    with store().sessions() as s:
        return {f.source: f.records for f in s.scalars(select(m.SourceFreshness))}


def card_status(name: str) -> dict:
    return cards([name])[0]


def cards(names: list[str] | None = None) -> list[dict]:
    from connectors.registry import available_connectors, get_connector

    adm = admin_state()
    rows = adm.credentials.rows()
    runs = _latest_runs()
    waiting = _pending()
    records = _records()
    out = []
    for name in names or available_connectors():
        cls = get_connector(name)
        row = rows.get(name)
        connected = bool(row and row.sealed)
        run = runs.get(name)
        oauth = name in c.OAUTH_CONNECTORS
        if not connected:
            status = "not connected"
        elif waiting.get(name) or (run and run["status"] == "running"):
            status = "syncing"
        elif row.last_error or (run and run["status"] in ("failed", "partial", "interrupted")):
            status = "error"
        else:
            status = "connected"
        streams = []
        if run:
            for sname, counts in run["streams"].items():
                streams.append({"name": sname, "status": counts.get("status"),
                                "records": counts.get("records", 0),
                                "pages": counts.get("pages", 0)})
        done = sum(1 for s_ in streams if s_["status"] not in ("pending", "running"))
        out.append({
            "name": name, "title": cls.title or name.title(), "oauth": oauth,
            "oauth_ready": oauth and c.oauth_configured(adm.cfg, name),
            "connected": connected, "status": status,
            "schedule_minutes": row.schedule_minutes if row else c.DEFAULT_SCHEDULE_MINUTES,
            "connected_at": aware(row.connected_at) if row else None,
            "last_error": (row.last_error if row else None) or (run or {}).get("error"),
            "records": records.get(name, 0),
            "run": None if not run else {
                "id": run["id"], "status": run["status"], "started_at": run["started_at"],
                "finished_at": run["finished_at"], "totals": run["totals"],
                "streams": streams, "done": done, "total": len(streams)},
            "pending": waiting.get(name, 0)})
    return out


@bp.get("/connectors")
@admin_required
def connectors():
    return render_template("admin/connectors.html", cards=cards(),
                           message=request.args.get("message"),
                           error=request.args.get("error"))


@bp.get("/api/connectors")
@admin_required
def connectors_json():
    """Card status and per-stream progress, polled by the connectors page."""
    return jsonify({"connectors": cards()})


def _known(name: str):
    from connectors.errors import ConfigError
    from connectors.registry import get_connector

    try:
        return get_connector(name)
    except ConfigError:
        abort(404, description=f"No connector called {name}.")


@bp.post("/connectors/<name>/sync")
@admin_required
def sync_now(name: str):
    _known(name)
    if not admin_state().credentials.get(name):
        abort(400, description=f"Connect {name} first.")
    enqueue(store(), name, "manual", full=request.form.get("full") == "1")
    return redirect(url_for("admin.connectors", message=f"{name}: sync queued"))


@bp.post("/connectors/<name>/schedule")
@admin_required
def schedule(name: str):
    from server.admin.models import ConnectorConfig

    _known(name)
    try:
        minutes = int(request.form.get("minutes") or "0")
        if minutes < 0 or minutes > 7 * 24 * 60:
            raise ValueError
    except ValueError:
        abort(400, description="The schedule is a number of minutes (0 turns it off).")
    with store().session() as s:
        row = s.get(ConnectorConfig, name)
        if row is None:
            row = ConnectorConfig(connector=name, enabled=True, auth_kind="keys",
                                  schedule_minutes=minutes)
            s.add(row)
        row.schedule_minutes = minutes
    return redirect(url_for("admin.connectors", message=f"{name}: schedule saved"))


@bp.post("/connectors/<name>/disconnect")
@admin_required
def disconnect(name: str):
    _known(name)
    adm = admin_state()
    data = adm.credentials.get(name)
    note = None
    if data:
        note = c.revoke(adm.cfg, name, data)
        adm.credentials.delete(name)
    msg = f"{name} disconnected" + (f" ({note})" if note else "")
    return redirect(url_for("admin.connectors", message=msg))


# -- key-based connectors -----------------------------------------------------------------
BASIC = {"api_key", "secret_key", "integration_key", "api_secret", "service_account_username",
         "service_account_secret", "project_id", "region", "subdomain", "email", "api_token",
         "access_token", "base_url"}


def form_fields(cls, saved: dict | None) -> list[dict]:
    saved = saved or {}
    out = []
    for f in cls.settings_class.fields():
        required = f.default is dataclasses.MISSING and \
            f.default_factory is dataclasses.MISSING
        secret = bool(f.metadata.get("secret"))
        value = saved.get(f.name)
        out.append({"name": f.name, "label": f.name.replace("_", " "),
                    "help": f.metadata.get("help", ""), "secret": secret,
                    "required": required, "basic": required or secret or f.name in BASIC,
                    "value": "" if secret else ("" if value is None else value),
                    "saved": bool(value) if secret else False,
                    "hint": "" if not (secret and value) else "saved; leave blank to keep"})
    return out


def _posted_settings(cls, saved: dict | None) -> dict:
    saved = saved or {}
    data = {}
    for f in cls.settings_class.fields():
        raw = request.form.get(f"f_{f.name}")
        if raw is None:
            continue
        raw = raw.strip()
        if f.metadata.get("secret") and raw == "" and saved.get(f.name):
            data[f.name] = saved[f.name]
        elif raw != "":
            data[f.name] = raw
    return data


@bp.route("/connectors/<name>/settings", methods=["GET", "POST"])
@admin_required
def connector_settings(name: str):
    cls = _known(name)
    adm = admin_state()
    saved = adm.credentials.get(name)
    result = None
    if request.method == "POST":
        data = _posted_settings(cls, saved)
        ok, text = c.test_connection(adm.cfg, adm.credentials, name, data,
                                     current_app.extensions["account360"].settings)
        result = {"ok": ok, "message": text}
        if ok and request.form.get("action") == "save":
            first = not saved
            adm.credentials.save(name, data, auth_kind="keys", user=g.user.email,
                                 connected=True)
            enqueue(store(), name, "connect" if first else "settings")
            return redirect(url_for("admin.connectors",
                                    message=f"{cls.title or name} connected; the first sync "
                                            "has started" if first else
                                            f"{cls.title or name} settings saved"))
        fields = form_fields(cls, {**(saved or {}), **{k: v for k, v in data.items()}})
        status = 200 if ok else 400
    else:
        fields = form_fields(cls, saved)
        status = 200
    return render_template("admin/settings.html", name=name, title=cls.title or name,
                           fields=fields, result=result, connected=bool(saved)), status


# -- OAuth ----------------------------------------------------------------------------
@bp.post("/connectors/<name>/connect")
@admin_required
def oauth_start(name: str):
    _known(name)
    adm = admin_state()
    if name not in c.OAUTH_CONNECTORS:
        return redirect(url_for("admin.connector_settings", name=name))
    if not c.oauth_configured(adm.cfg, name):
        abort(400, description=f"Set ACCOUNT360_{name.upper()}_CLIENT_ID and "
                               f"ACCOUNT360_{name.upper()}_CLIENT_SECRET (your {name} app) "
                               "first; see docs/setup.md.")
    env = request.form.get("environment") or "production"
    if env not in c.SF_HOSTS:
        abort(400, description="environment must be production or sandbox")
    prov = c.provider(adm.cfg, name, environment=env)
    redirect_to = c.redirect_uri(adm.cfg, name, url_for("admin.oauth_callback", name=name,
                                                         _external=True))
    from authlib.common.security import generate_token

    state = generate_token(43)
    verifier = generate_token(64) if prov.pkce else None
    sess = prov.session(redirect_uri=redirect_to)
    url, _ = sess.create_authorization_url(prov.authorize_url, state=state,
                                           code_verifier=verifier)
    sess.close()
    nonce = session.get("_oauth_nonce") or secrets.token_urlsafe(24)
    session["_oauth_nonce"] = nonce
    with store().session() as s:
        s.query(OAuthPending).filter(OAuthPending.created_at < now() - OAUTH_TTL).delete()
        s.add(OAuthPending(state_hash=digest(state), connector=name, session_nonce=nonce,
                           created_at=now(), sealed=adm.vault.encrypt({
                               "code_verifier": verifier, "login_url": prov.login_url,
                               "redirect_uri": redirect_to})))
    return redirect(url)


@bp.get("/oauth/<name>/callback")
@admin_required
def oauth_callback(name: str):
    _known(name)
    adm = admin_state()
    state = request.args.get("state") or ""
    with store().session() as s:
        row = s.get(OAuthPending, digest(state)) if state else None
        if row is not None:
            s.delete(row)  # single use, whatever happens next
            pending = {"connector": row.connector, "nonce": row.session_nonce,
                       "created_at": aware(row.created_at), "sealed": row.sealed}
        else:
            pending = None
    if (pending is None or pending["connector"] != name
            or not secrets.compare_digest(pending["nonce"], session.get("_oauth_nonce") or "")
            or pending["created_at"] < now() - OAUTH_TTL):
        log.warning("%s: OAuth callback refused (unknown, replayed or foreign state)", name)
        abort(400, description="This sign-in answer does not match a Connect started from "
                               "this browser session (or it was already used): start again "
                               "from the Connectors page.")
    if request.args.get("error"):
        return redirect(url_for("admin.connectors", error=f"{name}: the vendor said "
                                f"{request.args.get('error_description') or request.args['error']}"))
    extra = adm.vault.decrypt(pending["sealed"])
    prov = c.provider(adm.cfg, name, login_url=extra.get("login_url"))
    sess = prov.session(redirect_uri=extra["redirect_uri"])
    try:
        token = sess.fetch_token(prov.token_url, code=request.args.get("code") or "",
                                 code_verifier=extra.get("code_verifier"),
                                 include_client_id=True)
    except Exception as exc:  # noqa: BLE001 - the vendor refused the code
        log.warning("%s: token exchange failed (%s)", name, type(exc).__name__)
        desc_ = getattr(exc, "description", None) or getattr(exc, "error", None) or \
            type(exc).__name__
        return redirect(url_for("admin.connectors",
                                error=f"{name}: the vendor refused the sign-in ({desc_})"))
    finally:
        sess.close()
    token = dict(token)
    if not token.get("access_token"):  # a 4xx body Authlib did not recognise as an error
        said = token.get("message") or token.get("error_description") or token.get("error")
        log.warning("%s: token exchange refused", name)
        return redirect(url_for("admin.connectors",
                                error=f"{name}: the vendor refused the sign-in ({said})"))
    first = not adm.credentials.get(name)
    adm.credentials.save(name, c.stored_from_token(prov, dict(token)), auth_kind="oauth",
                         user=g.user.email, connected=True)
    enqueue(store(), name, "connect" if first else "reconnect")
    return redirect(url_for("admin.connectors", message=f"{name} connected; the first sync "
                                                        "has started"))
