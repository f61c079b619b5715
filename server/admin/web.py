"""The admin app's parent blueprint: the signed-in user, CSRF on every form, security
headers, error pages (JSON for JSON routes) and the access decorators of the area views."""

from __future__ import annotations

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
from werkzeug.exceptions import HTTPException

from server.admin import connections as c
from server.admin.models import User
from server.admin.security import check_csrf, csrf_token
from server.admin.state import admin_state

bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates",
               static_folder="static", static_url_path="/static")
root = Blueprint("admin_root", __name__)


def store():
    return current_app.extensions["account360"].store


def json_view(view):
    """Mark a view as a JSON route: its errors (CSRF, sign-in, ...) answer the envelope."""
    view.json_route = True
    return view


def wants_json() -> bool:
    view = current_app.view_functions.get(request.endpoint or "")
    return bool(getattr(view, "json_route", False)) or request.path.startswith("/admin/api/") \
        or request.accept_mimetypes.best == "application/json"


@bp.before_request
def load_user() -> None:
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
def security_headers(resp):
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
def error_page(exc: HTTPException):
    if wants_json():
        return jsonify({"error": {"code": (exc.name or "error").lower().replace(" ", "_"),
                                  "message": exc.description, "details": {}}}), exc.code
    return render_template("admin/error.html", code=exc.code, title=exc.name,
                           message=exc.description), exc.code


def login_required(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        if g.user is None:
            if wants_json() or request.method != "GET":
                abort(401, description="Sign in first.")
            return redirect(url_for("admin.auth.login",
                                    next=request.full_path.rstrip("?")))
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


#: Roles that use the extension's admin-app pages (aliases, email templates); a lead reads the
#: team's data in the workspace and has no admin-app pages.
EXTENSION_ROLES = ("admin", "csm")


def extension_user_required(view):
    @wraps(view)
    @login_required
    def wrapper(*args, **kwargs):
        if g.user.role not in EXTENSION_ROLES:
            abort(403, description="Aliases and email templates are for CSMs and admins.")
        return view(*args, **kwargs)

    return wrapper


def safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//") and \
            "\\" not in target and not urlsplit(target).netloc:
        return target
    return url_for("admin.auth.home")


def public_base() -> str | None:
    base = c.option(admin_state().cfg, "PUBLIC_URL")
    return str(base).rstrip("/") if base else None


def server_url() -> str:
    """The address users reach this server at: PUBLIC_URL, else the request's host."""
    return public_base() or request.host_url.rstrip("/")


def external_url(endpoint: str, **values) -> str:
    """An absolute URL of `endpoint` under PUBLIC_URL when set."""
    base = public_base()
    if base:
        return base + url_for(endpoint, **values)
    return url_for(endpoint, _external=True, **values)


def oauth_redirect_url(name: str) -> str:
    """The exact OAuth redirect URL to register with the vendor (PUBLIC_URL when set)."""
    return c.redirect_uri(admin_state().cfg, name,
                          url_for("admin.oauth.oauth_callback", name=name, _external=True))
