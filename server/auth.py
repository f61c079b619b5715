"""API tokens: created by the CLI, stored as SHA-256 hashes, revocable."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta, timezone
from functools import wraps

from flask import current_app, g, request
from sqlalchemy import select
from sqlalchemy.orm import Session

from server import models as m
from server.db import Store
from server.errors import ApiError

TOKEN_PREFIX = "a360_"
LAST_USED_RESOLUTION = timedelta(minutes=1)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def add_token(session: Session, name: str) -> tuple[str, m.ApiToken]:
    """Add a new token row to `session` (flushed: its id is known); the plaintext is returned
    once and never stored. The caller's transaction decides whether it exists."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = m.ApiToken(name=name, token_hash=_hash(token), prefix=token[:12],
                     created_at=datetime.now(timezone.utc))
    session.add(row)
    session.flush()
    return token, row


def create_token(store: Store, name: str) -> str:
    """Create a token; the plaintext is returned once and never stored."""
    with store.session() as s:
        token, _ = add_token(s, name)
    return token


def list_tokens(store: Store) -> list[dict]:
    with store.session() as s:
        return [{"id": t.id, "name": t.name, "prefix": t.prefix, "created_at": t.created_at,
                 "last_used_at": t.last_used_at, "revoked": t.revoked_at is not None}
                for t in s.scalars(select(m.ApiToken).order_by(m.ApiToken.id))]


def revoke_token(store: Store, token_id: int) -> bool:
    with store.session() as s:
        tok = s.get(m.ApiToken, token_id)
        if tok is None or tok.revoked_at is not None:
            return False
        tok.revoked_at = datetime.now(timezone.utc)
        return True


def verify(store: Store, token: str) -> m.ApiToken | None:
    """The live token matching `token`, with its last use recorded (minute resolution)."""
    digest = _hash(token)
    with store.session() as s:
        tok = s.scalar(select(m.ApiToken).where(m.ApiToken.token_hash == digest))
        if tok is None or tok.revoked_at is not None:
            return None
        if not hmac.compare_digest(tok.token_hash, digest):
            return None
        now = datetime.now(timezone.utc)
        last = tok.last_used_at
        if last is not None and last.tzinfo is None:
            last = last.replace(tzinfo=timezone.utc)
        if last is None or now - last > LAST_USED_RESOLUTION:
            tok.last_used_at = now
        s.expunge(tok)
        return tok


def require_token(view):
    """Reject requests without a valid `Authorization: Bearer <token>` header."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ApiError(401, "unauthorized", "Send an API token: Authorization: Bearer <token>")
        tok = verify(current_app.extensions["account360"].store, token.strip())
        if tok is None:
            raise ApiError(401, "unauthorized", "The API token is invalid or revoked")
        g.token = tok
        return view(*args, **kwargs)

    return wrapper
