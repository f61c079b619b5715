"""API tokens of admin-app users: issue one linked to its user in a single transaction, list
them (a user's own; for admins every token, command-line ones included), revoke."""

from __future__ import annotations

from sqlalchemy import desc, select

from server import models as m
from server.admin.models import User, UserToken
from server.auth import DEFAULT_SCOPES, ROLE_SCOPES, SCOPES, add_token, parse_expiry


class NotYours(Exception):
    """A user tried to revoke another user's (or an unowned) token without being an admin."""


class BadToken(ValueError):
    """A token request names a scope the user's role may not hold, or a bad expiry."""


def scopes_for(role: str) -> tuple[str, ...]:
    """The scopes a user of this role may put on a token, in the declared order."""
    allowed = ROLE_SCOPES.get(role, frozenset())
    return tuple(sc for sc in SCOPES if sc in allowed)


def issue(store, user_id: int, name: str, purpose: str = "personal",
          scopes: list[str] | tuple[str, ...] | None = None, expires: str | None = None) -> str:
    """A new token of this user: the token and its owner link commit together or not at all.
    `scopes` (default: the role's defaults) must be among those the role may hold; `expires`
    is `90d`, `12h` or `YYYY-MM-DD` (None: never). BadToken says what is wrong."""
    try:
        expires_at = parse_expiry(expires)
    except ValueError as e:
        raise BadToken(str(e).replace("--expires", "Expiry")) from None
    with store.session() as s:
        user = s.get(User, user_id)
        role = user.role if user is not None else "csm"
        chosen = tuple(scopes) if scopes else DEFAULT_SCOPES.get(role, ("read",))
        refused = [sc for sc in chosen if sc not in scopes_for(role)]
        if refused:
            raise BadToken(f"A {role} may not hold the scope {', '.join(refused)}; "
                           f"choose among {', '.join(scopes_for(role))}.")
        token, row = add_token(s, name, scopes=chosen, expires_at=expires_at)
        s.add(UserToken(token_id=row.id, user_id=user_id, purpose=purpose))
    return token


def tokens_of(store, user_id: int | None) -> list[dict]:
    """The tokens of one user, newest first; with None every token, including those made on
    the command line (owner None)."""
    q = select(m.ApiToken, UserToken, User).outerjoin(
        UserToken, UserToken.token_id == m.ApiToken.id).outerjoin(
        User, User.id == UserToken.user_id)
    if user_id is not None:
        q = q.where(UserToken.user_id == user_id)
    with store.sessions() as s:
        return [{"id": t.id, "name": t.name, "prefix": t.prefix,
                 "purpose": ut.purpose if ut else "command line",
                 "owner": u.email if u else None, "created_at": t.created_at,
                 "last_used_at": t.last_used_at, "revoked": t.revoked_at is not None,
                 "scopes": (t.scopes or "admin").split(), "expires_at": t.expires_at,
                 "expired": t.expires_at is not None and t.expires_at <= m.utcnow()}
                for t, ut, u in s.execute(q.order_by(desc(m.ApiToken.id)))]


def revoke(store, token_id: int, by: User) -> bool:
    """Revoke a token: a user's own, or any (command-line ones too) for an admin. False when
    no such token exists; NotYours when `by` may not revoke it."""
    with store.session() as s:
        link = s.get(UserToken, token_id)
        if by.role != "admin" and (link is None or link.user_id != by.id):
            raise NotYours
        tok = s.get(m.ApiToken, token_id)
        if tok is None:
            return False
        if tok.revoked_at is None:
            tok.revoked_at = m.utcnow()
    return True
