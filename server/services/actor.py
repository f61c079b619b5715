"""Who is calling: the signed-in user behind an API token, for signing notes and owning tasks."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session


def user_email(session: Session, token) -> str | None:
    """The email of the admin-app user the token was issued to (My tokens, extension
    pairing), or None for tokens made with `account360 token create`."""
    if getattr(token, "user_email", None):  # server.auth.Caller knows it already
        return token.user_email
    from server.admin.models import User, UserToken

    return session.scalar(select(User.email).join(UserToken, UserToken.user_id == User.id)
                          .where(UserToken.token_id == token.id))


def label(session: Session, token) -> str:
    """How the caller signs what it writes: the user's email, else the token's name."""
    return user_email(session, token) or token.name
