"""Admin-app users: create (with a password or an invitation), accept an invitation, sign in
against the rate limit, disable. Shared by the admin pages and `account360 admin`."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, select

from server import models as m
from server.admin.models import ROLES, PairingCode, User, UserToken
from server.admin.security import (
    clear_failures,
    digest,
    hash_password,
    needs_rehash,
    take_attempt,
    verify_password,
)
from server.models import utcnow

INVITE_TTL = timedelta(days=7)


class UserError(ValueError):
    """Bad input for a user operation; the message is shown as is."""


class SignInRefused(Exception):
    """Wrong email or password, or a disabled user."""


class RateLimited(Exception):
    """Too many failed attempts from this address for this email."""


def create_user(store, email: str, role: str,
                password: str | None = None) -> tuple[User, str | None]:
    """Create a user; without a password an invite secret is returned (shown once)."""
    email = email.strip().lower()
    if email.count("@") != 1 or len(email) > 320:
        raise UserError("enter a valid email address")
    if role not in ROLES:
        raise UserError(f"role must be one of {', '.join(ROLES)}")
    invite = None
    with store.session() as s:
        if s.scalar(select(User.id).where(User.email == email)):
            raise UserError(f"{email} already has an account")
        user = User(email=email, role=role, created_at=utcnow(), disabled=False,
                    session_version=1)
        if password:
            try:
                user.password_hash = hash_password(password)
            except ValueError as exc:
                raise UserError(str(exc)) from exc
        else:
            invite = secrets.token_urlsafe(32)
            user.invite_hash = digest(invite)
            user.invite_expires_at = utcnow() + INVITE_TTL
        s.add(user)
    return user, invite


def list_users(store) -> list[User]:
    with store.sessions() as s:
        return list(s.scalars(select(User).order_by(User.email)))


def get_user(store, user_id: int) -> User | None:
    with store.sessions() as s:
        return s.get(User, user_id)


def invited_user(store, secret: str) -> User | None:
    """The enabled user whose invitation this secret is, while it is valid."""
    with store.sessions() as s:
        user = s.scalar(select(User).where(User.invite_hash == digest(secret)))
    if user is None or user.disabled or user.invite_expires_at is None \
            or user.invite_expires_at < utcnow():
        return None
    return user


def accept_invite(store, user_id: int, password: str) -> User:
    """Set the invited user's password; the invitation stops working."""
    try:
        hashed = hash_password(password)
    except ValueError as exc:
        raise UserError(str(exc)) from exc
    with store.session() as s:
        row = s.get(User, user_id)
        row.password_hash = hashed
        row.invite_hash = None
        row.invite_expires_at = None
        row.session_version += 1
        row.last_login_at = utcnow()
    return row


def sign_in(store, email: str, password: str, address: str) -> User:
    """The user with this email and password. The attempt is counted (atomically, in the
    database) before the password is checked; a success clears the count."""
    email = email.strip().lower()
    if not take_attempt(store, "login", f"{address}|{email}"):
        raise RateLimited
    with store.sessions() as s:
        user = s.scalar(select(User).where(User.email == email))
    ok = verify_password(user.password_hash if user else None, password)
    if not ok or user is None or user.disabled:
        raise SignInRefused
    clear_failures(store, "login", f"{address}|{email}")
    with store.session() as s:
        row = s.get(User, user.id)
        row.last_login_at = utcnow()
        if needs_rehash(row.password_hash):
            row.password_hash = hash_password(password)
    return row


@dataclass
class Disabled:
    user_id: int
    tokens_revoked: int


def disable_user(store, user_id: int) -> Disabled | None:
    """Disable a user: sessions end, pairing codes go, every token of theirs is revoked."""
    with store.session() as s:
        user = s.get(User, user_id)
        if user is None:
            return None
        user.disabled = True
        user.session_version += 1
        s.execute(delete(PairingCode).where(PairingCode.user_id == user_id))
        revoked = 0
        for link in s.scalars(select(UserToken).where(UserToken.user_id == user_id)):
            tok = s.get(m.ApiToken, link.token_id)
            if tok is not None and tok.revoked_at is None:
                tok.revoked_at = utcnow()
                revoked += 1
    return Disabled(user_id, revoked)


class NotAdmin(ValueError):
    """The acting user may not change the settings; the message says why."""


def acting_admin(store, by: str | None, token: str | None) -> str:
    """Who applies settings from the command line, as recorded: an admin API token's user
    (or `token <name>` for a token without a user), else `by`, which must be the email of an
    enabled admin user of the store. NotAdmin otherwise."""
    from server.auth import verify

    if token:
        caller = verify(store, token.strip())
        if caller is None:
            raise NotAdmin("settings: the token is not a live API token (unknown, revoked or "
                           "expired)")
        if not caller.allows("admin"):
            raise NotAdmin(f"settings: the token {caller.name!r} has no admin scope: only "
                           "admins apply settings")
        return caller.user_email or f"token {caller.name}"
    if not by:
        raise NotAdmin("settings: say which admin applies them: --by EMAIL of an admin user "
                       "(account360 admin list) or --token-stdin with an admin API token")
    email = by.strip().lower()
    with store.sessions() as s:
        user = s.scalar(select(User).where(User.email == email))
    if user is None:
        raise NotAdmin(f"settings: {email} is not a user of this workspace "
                       "(account360 admin create EMAIL --role admin)")
    if user.disabled:
        raise NotAdmin(f"settings: {email} is disabled")
    if user.role != "admin":
        raise NotAdmin(f"settings: {email} is a {user.role}, not an admin: only admins "
                       "apply settings")
    return user.email
