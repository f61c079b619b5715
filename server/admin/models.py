"""Tables of the admin app: users, their API tokens, connector configuration (encrypted
credentials and schedule), pending OAuth flows, rate-limit counters and the sync request queue."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from server.models import Base, UtcDateTime

#: admin: everything; lead: the whole team's data, no admin pages; csm: their own book.
ROLES = ("admin", "lead", "csm")


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    role: Mapped[str] = mapped_column(String(10))
    #: argon2id hash; None until an invited user sets a password.
    password_hash: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    #: SHA-256 of the one-time invite secret, and when it stops working.
    invite_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    invite_expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    #: Bumped on password change or disable: every existing session of the user ends.
    session_version: Mapped[int] = mapped_column(Integer, default=1)


class UserToken(Base):
    """Which user an API token (server.auth) belongs to, and what it is for."""

    __tablename__ = "user_tokens"
    token_id: Mapped[int] = mapped_column(
        ForeignKey("api_tokens.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(20), default="personal")


class ConnectorConfig(Base):
    """One configured connector: its credentials (ciphertext only) and its schedule."""

    __tablename__ = "connector_configs"
    connector: Mapped[str] = mapped_column(String(40), primary_key=True)
    #: server.secrets.Vault ciphertext of a JSON object of settings, secrets included.
    sealed: Mapped[str | None] = mapped_column(Text)
    auth_kind: Mapped[str] = mapped_column(String(10), default="keys")
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    schedule_minutes: Mapped[int] = mapped_column(Integer, default=360)
    connected_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    connected_by: Mapped[str | None] = mapped_column(String(320))
    updated_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    #: Vault ciphertext of a CRM's OAuth app {client_id, client_secret} pasted in its card.
    app_sealed: Mapped[str | None] = mapped_column(Text)


class OAuthPending(Base):
    """An authorization request in flight: single use, bound to the browser session."""

    __tablename__ = "oauth_pending"
    state_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    connector: Mapped[str] = mapped_column(String(40))
    session_nonce: Mapped[str] = mapped_column(String(64))
    #: Vault ciphertext of {code_verifier, login_url, redirect_uri}.
    sealed: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class RateLimit(Base):
    """Attempts (sign-ins, pairing codes) of one hashed subject (e.g. address and email) in
    the current window; counted atomically before the password or code is checked."""

    __tablename__ = "rate_limits"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    count: Mapped[int] = mapped_column(Integer)


class SyncRequest(Base):
    """A queued sync: from Connect, "Sync now", the schedule or a webhook."""

    __tablename__ = "sync_requests"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    connector: Mapped[str] = mapped_column(String(40), index=True)
    streams: Mapped[list[str] | None] = mapped_column(JSON)
    full: Mapped[bool] = mapped_column(Boolean, default=False)
    reason: Mapped[str] = mapped_column(String(20))
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    claimed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    run_id: Mapped[int | None] = mapped_column(Integer)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class PairingCode(Base):
    """A short-lived, single-use code that pairs the browser extension as one user. Only the
    SHA-256 of the code is stored; claiming it deletes the row."""

    __tablename__ = "pairing_codes"
    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
