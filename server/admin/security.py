"""Sign-in security: argon2id password hashes, the CSRF token, the login rate limit and the
session cookie flags."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta, timezone

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import Flask, abort, request, session
from flask.sessions import SecureCookieSessionInterface
from sqlalchemy import delete, func, select

from server.admin.models import LoginAttempt

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


# -- login rate limit -----------------------------------------------------------------
def client_address() -> str:
    return request.remote_addr or "unknown"


def _key(email: str) -> str:
    return digest(f"{client_address()}|{email.strip().lower()}")


def login_blocked(store, email: str) -> bool:
    since = datetime.now(timezone.utc) - LOGIN_WINDOW
    with store.sessions() as s:
        n = s.scalar(select(func.count()).select_from(LoginAttempt).where(
            LoginAttempt.key == _key(email), LoginAttempt.at >= since))
    return (n or 0) >= LOGIN_LIMIT


def record_failure(store, email: str) -> None:
    now = datetime.now(timezone.utc)
    with store.session() as s:
        s.add(LoginAttempt(key=_key(email), at=now))
        s.execute(delete(LoginAttempt).where(LoginAttempt.at < now - LOGIN_WINDOW * 4))


def clear_failures(store, email: str) -> None:
    with store.session() as s:
        s.execute(delete(LoginAttempt).where(LoginAttempt.key == _key(email)))


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
