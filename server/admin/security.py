"""Sign-in security: argon2id password hashes, the CSRF token, the attempt counters of the
sign-in and pairing rate limits, and the session cookie flags."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta, timezone

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import Flask, abort, request, session
from flask.sessions import SecureCookieSessionInterface
from sqlalchemy import case, delete

from server.admin.models import RateLimit
from server.db_upsert import dialect_insert

#: argon2id with the library's RFC 9106 "low memory" profile defaults.
_hasher = PasswordHasher()
#: A hash computed once, so that unknown emails cost as much time as known ones.
_DUMMY = _hasher.hash(secrets.token_urlsafe(16))

MIN_PASSWORD = 10
LOGIN_LIMIT = 5
LOGIN_WINDOW = timedelta(minutes=15)
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise ValueError(f"use at least {MIN_PASSWORD} characters")
    return _hasher.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    """Constant work whether or not the user exists."""
    try:
        return _hasher.verify(stored or _DUMMY, password) and stored is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    return _hasher.check_needs_rehash(stored)


def digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


# -- CSRF -----------------------------------------------------------------------------
def csrf_token() -> str:
    """The session's CSRF token (a random value kept in the signed session cookie)."""
    tok = session.get("_csrf")
    if not tok:
        tok = secrets.token_urlsafe(32)
        session["_csrf"] = tok
    return tok


def check_csrf() -> None:
    """Abort 400 unless the form field or header carries the session's token."""
    expected = session.get("_csrf")
    sent = request.form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER) or ""
    if not expected or not hmac.compare_digest(str(expected), str(sent)):
        abort(400, description="The form expired or did not come from this site; reload the "
                               "page and try again.")


# -- rate limits ----------------------------------------------------------------------
def client_address() -> str:
    return request.remote_addr or "unknown"


def _counter_key(scope: str, subject: str) -> str:
    return digest(f"{scope}|{subject.strip().lower()}")


def take_attempt(store, scope: str, subject: str, limit: int = LOGIN_LIMIT,
                 window: timedelta = LOGIN_WINDOW) -> bool:
    """Count one attempt of `subject` (e.g. address|email) and say whether it may proceed.

    The count is taken before the password or code is checked, in one INSERT ... ON CONFLICT
    DO UPDATE ... RETURNING statement: parallel requests, threads or worker processes each
    get a distinct count, so at most `limit` attempts per window are ever checked."""
    at = datetime.now(timezone.utc)
    since = at - window
    t = RateLimit.__table__
    insert = dialect_insert(store.dialect)
    expired = t.c.window_start < since
    stmt = insert(t).values(key=_counter_key(scope, subject), window_start=at, count=1)
    stmt = stmt.on_conflict_do_update(index_elements=[t.c.key], set_={
        "count": case((expired, 1), else_=t.c.count + 1),
        "window_start": case((expired, at), else_=t.c.window_start),
    }).returning(t.c.count)
    with store.session() as s:
        n = s.execute(stmt).scalar_one()
        s.execute(delete(RateLimit).where(RateLimit.window_start < at - window * 4))
    return n <= limit


def clear_failures(store, scope: str, subject: str) -> None:
    """Forget the attempts of `subject` (after a success)."""
    with store.session() as s:
        s.execute(delete(RateLimit).where(RateLimit.key == _counter_key(scope, subject)))


# -- session cookie -------------------------------------------------------------------
class SessionInterface(SecureCookieSessionInterface):
    """Signed-cookie sessions whose cookie is Secure whenever the request came over HTTPS
    (directly, or through a proxy trusted by ProxyFix), or when configured so."""

    def get_cookie_secure(self, app: Flask) -> bool:
        if app.config.get("SESSION_COOKIE_SECURE"):
            return True
        try:
            return request.is_secure
        except RuntimeError:
            return False


def configure_sessions(app: Flask, cfg: dict) -> None:
    app.session_interface = SessionInterface()
    app.config.update(
        SESSION_COOKIE_NAME="a360_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=str(cfg.get("PUBLIC_URL") or "").startswith("https://"),
        PERMANENT_SESSION_LIFETIME=timedelta(hours=12),
    )
