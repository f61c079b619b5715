"""API tokens: created by the CLI or the admin app, stored as SHA-256 hashes, revocable,
scoped and optionally expiring.

Scopes (docs/setup.md "API token scopes"): `read` (GET routes), `write` (tasks and notes),
`import` (POST /api/v1/import), `admin` (everything). A personal token of a CSM can never
do more than read and write, whatever it was created with.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import wraps
from typing import Any

from flask import current_app, g, request
from sqlalchemy import null, or_, select, update
from sqlalchemy.orm import Session

from server import models as m
from server.db import Store
from server.errors import ApiError

TOKEN_PREFIX = "a360_"
LAST_USED_RESOLUTION = timedelta(minutes=1)
SCOPES = ("read", "write", "import", "admin")
#: What a token may do at most, by the role of the user it belongs to.
ROLE_SCOPES = {"csm": frozenset({"read", "write"}), "lead": frozenset({"read", "write"}),
               "admin": frozenset(SCOPES)}
DEFAULT_SCOPES = {"csm": ("read", "write"), "lead": ("read", "write"), "admin": SCOPES}
_BY_METHOD = object()


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def parse_scopes(raw: str | tuple | list | None) -> tuple[str, ...]:
    """Scopes from 'read,write' / 'read write' / a sequence; ValueError names a bad one."""
    items = raw.replace(",", " ").split() if isinstance(raw, str) else list(raw or ())
    bad = [s for s in items if s not in SCOPES]
    if bad or not items:
        raise ValueError(f"scopes must be among {', '.join(SCOPES)}; got {', '.join(bad) or 'none'}")
    return tuple(s for s in SCOPES if s in items)


def parse_expiry(raw: str | None, now: datetime | None = None) -> datetime | None:
    """`90d`, `12h` or `YYYY-MM-DD` (UTC midnight) as an aware time; None for no expiry."""
    if not raw:
        return None
    now = now or datetime.now(timezone.utc)
    raw = raw.strip().lower()
    units = {"d": "days", "h": "hours"}
    if raw[-1:] in units and raw[:-1].isdigit() and 0 < int(raw[:-1]) <= 36500:
        return now + timedelta(**{units[raw[-1]]: int(raw[:-1])})
    try:
        day = datetime.strptime(raw, "%Y-%m-%d").replace(tzinfo=timezone.utc)
    except ValueError:
        raise ValueError(f"--expires must look like 90d, 12h or YYYY-MM-DD; got {raw!r}") from None
    if day <= now:
        raise ValueError(f"--expires {raw} is in the past")
    return day


def add_token(session: Session, name: str, scopes: tuple[str, ...] | str | None = None,
              expires_at: datetime | None = None) -> tuple[str, m.ApiToken]:
    """Add a new token row to `session` (flushed: its id is known; default scope: admin);
    the plaintext is returned once and never stored. The caller's transaction decides
    whether it exists."""
    chosen = parse_scopes(scopes) if scopes else ("admin",)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = m.ApiToken(name=name, token_hash=_hash(token), prefix=token[:12],
                     created_at=datetime.now(timezone.utc), scopes=" ".join(chosen),
                     expires_at=expires_at)
    session.add(row)
    session.flush()
    return token, row


def create_token(store: Store, name: str, scopes: tuple[str, ...] | str | None = None,
                 expires_at: datetime | None = None) -> str:
    """Create a token (default scope: admin); the plaintext is returned once, never stored."""
    with store.session() as s:
        token, _ = add_token(s, name, scopes, expires_at)
    return token


def list_tokens(store: Store) -> list[dict]:
    with store.session() as s:
        return [{"id": t.id, "name": t.name, "prefix": t.prefix, "created_at": t.created_at,
                 "last_used_at": t.last_used_at, "revoked": t.revoked_at is not None,
                 "scopes": (t.scopes or "admin").split(), "expires_at": t.expires_at}
                for t in s.scalars(select(m.ApiToken).order_by(m.ApiToken.id))]


def revoke_token(store: Store, token_id: int) -> bool:
    with store.session() as s:
        tok = s.get(m.ApiToken, token_id)
        if tok is None or tok.revoked_at is not None:
            return False
        tok.revoked_at = datetime.now(timezone.utc)
        return True


@dataclass(frozen=True)
class Caller:
    """The verified token of a request: what it may do and whose it is."""

    id: int
    name: str
    scopes: frozenset[str]
    user_email: str | None = None
    user_role: str | None = None

    def allows(self, scope: str) -> bool:
        return "admin" in self.scopes or scope in self.scopes


def _check(session: Session, token: str, also=None) -> tuple[Caller | None, Any]:
    """The token check in `session`: one statement (the token and its user, and the scalar
    subquery `also` when given: the view's first read in the same round trip), and at most
    once a minute per token the last use, committed at once (atomic across processes).
    Returns (the caller or None, the value of `also`)."""
    from server.admin.models import User, UserToken

    digest = _hash(token)
    now = datetime.now(timezone.utc)
    row = session.execute(
        select(m.ApiToken, User.email, User.role, also if also is not None else null())
        .outerjoin(UserToken, UserToken.token_id == m.ApiToken.id)
        .outerjoin(User, User.id == UserToken.user_id)
        .where(m.ApiToken.token_hash == digest)).first()
    if row is None:
        return None, None
    tok, email, role, extra = row
    if tok.revoked_at is not None or not hmac.compare_digest(tok.token_hash, digest):
        return None, None
    if tok.expires_at is not None and tok.expires_at <= now:
        return None, None
    last = tok.last_used_at
    if last is None or now - last >= LAST_USED_RESOLUTION:
        cutoff = now - LAST_USED_RESOLUTION
        session.execute(update(m.ApiToken).where(
            m.ApiToken.id == tok.id,
            or_(m.ApiToken.last_used_at.is_(None), m.ApiToken.last_used_at <= cutoff))
            .values(last_used_at=now).execution_options(synchronize_session=False))
        session.commit()
    scopes = frozenset((tok.scopes or "admin").split())
    if role is not None:
        scopes &= ROLE_SCOPES.get(role, frozenset())
    return Caller(id=tok.id, name=tok.name, scopes=scopes, user_email=email,
                  user_role=role), extra


def verify(store: Store, token: str, session: Session | None = None) -> Caller | None:
    """The live, unexpired token matching `token`, with its last use recorded (at most one
    write a minute per token, atomic across processes). In `session` when given (a view
    that goes on reading in it: one connection and no second checkout per request)."""
    if session is not None:
        return _check(session, token)[0]
    with store.sessions() as s:
        return _check(s, token)[0]


def require_token(view=None, *, scope=_BY_METHOD, session: bool = False,
                  first_read: Callable[..., Any] | None = None):
    """Reject requests without a valid `Authorization: Bearer <token>` header, or whose token
    lacks `scope` (default: `read` for GET and HEAD, `write` otherwise; None: any token).

    `session=True`: the token is checked in a session the view receives as `db` (a view
    that only reads: `Store.read_sessions`, autocommit on PostgreSQL), so a view's reads
    share the token check's connection.
    `first_read(**view_kwargs)`: a scalar subquery read in the token check's own statement
    (one round trip for both); its value reaches the view as `first` (needs `session`)."""

    def decorate(fn):
        @wraps(fn)
        def wrapper(*args, **kwargs):
            header = request.headers.get("Authorization", "")
            scheme, _, token = header.partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                raise ApiError(401, "unauthorized",
                               "Send an API token: Authorization: Bearer <token>")
            store = current_app.extensions["account360"].store
            if not session:
                _authorize(verify(store, token.strip()), scope)
                return fn(*args, **kwargs)
            with store.read_sessions() as db:
                if first_read is None:
                    _authorize(verify(store, token.strip(), db), scope)
                    return fn(*args, db=db, **kwargs)
                caller, first = _check(db, token.strip(), first_read(**kwargs))
                _authorize(caller, scope)
                return fn(*args, db=db, first=first, **kwargs)

        return wrapper

    return decorate(view) if view is not None else decorate


def _authorize(caller: Caller | None, scope) -> None:
    if caller is None:
        raise ApiError(401, "unauthorized", "The API token is invalid, expired or revoked")
    needed = scope
    if needed is _BY_METHOD:
        needed = "read" if request.method in ("GET", "HEAD") else "write"
    if needed is not None and not caller.allows(needed):
        raise ApiError(403, "insufficient_scope",
                       f"This token lacks the '{needed}' scope",
                       {"required_scope": needed, "token_scopes": sorted(caller.scopes)})
    g.token = caller
