"""Pairing codes: the fallback of one-click extension pairing that needs no manifest edit.

The My tokens page shows a short code bound to the signed-in user (8 characters from an
alphabet without look-alikes, valid 10 minutes, single use, only its SHA-256 stored). The
extension's options page posts it with the server URL to `POST /api/v1/pair`, which answers a
fresh personal API token of that user and deletes the code. Claims are rate limited per client
address: each is counted atomically in the database, like sign-ins, before the code is checked."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete

from server.admin import security
from server.admin.models import PairingCode, User
from server.admin.security import LOGIN_LIMIT, LOGIN_WINDOW, client_address, digest
from server.models import utcnow

#: No 0/O, 1/I/L: easy to read aloud and to type.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
LENGTH = 8
TTL = timedelta(minutes=10)
#: Claims allowed per client address and window (the sign-in limit's numbers).
LIMIT = LOGIN_LIMIT
WINDOW = LOGIN_WINDOW


class PairingRefused(Exception):
    """The code is malformed, unknown, expired or already used."""


def normalize(code: str) -> str:
    """Upper case, without the spaces and dashes people type or copy along."""
    return "".join(ch for ch in str(code).upper() if ch not in " -\t")


def display(code: str) -> str:
    """ABCD-EFGH, as the page shows it."""
    return code[:4] + "-" + code[4:]


def issue(store, user_id: int) -> tuple[str, datetime]:
    """A new code for the user, replacing the user's earlier unused ones; returned once."""
    code = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    at = utcnow()
    expires = at + TTL
    with store.session() as s:
        s.execute(delete(PairingCode).where(
            (PairingCode.user_id == user_id) | (PairingCode.expires_at < at)))
        s.add(PairingCode(code_hash=digest(code), user_id=user_id, created_at=at,
                          expires_at=expires))
    return code, expires


def take_attempt(store) -> bool:
    """Count one claim from this address before the code is checked; False once over LIMIT."""
    return security.take_attempt(store, "pair", client_address(), LIMIT, WINDOW)


def clear_attempts(store) -> None:
    """A code was claimed: this address starts afresh."""
    security.clear_failures(store, "pair", client_address())


def claim(store, code: str) -> User:
    """Burn the code and return its (enabled) user; PairingRefused otherwise."""
    norm = normalize(code)
    if len(norm) != LENGTH or any(ch not in ALPHABET for ch in norm):
        raise PairingRefused
    h = digest(norm)
    at = utcnow()
    with store.session() as s:
        row = s.get(PairingCode, h)
        if row is None:
            raise PairingRefused
        user_id = row.user_id
        # Single use even under concurrent claims: only the request whose delete hits wins.
        gone = s.execute(delete(PairingCode).where(PairingCode.code_hash == h,
                                                   PairingCode.expires_at >= at),
                         execution_options={"synchronize_session": False})
        if gone.rowcount != 1:
            raise PairingRefused
        user = s.get(User, user_id)
        if user is None or user.disabled:
            raise PairingRefused
    return user
