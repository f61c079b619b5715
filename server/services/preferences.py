"""A user's remembered choices on workspace pages (user_preferences), by name."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete
from sqlalchemy.orm import Session

from server.db_upsert import upsert
from server.models import utcnow
from server.workspace_models import UserPreference


def get(session: Session, user_id: int, name: str) -> Any:
    row = session.get(UserPreference, (user_id, name))
    return None if row is None else row.value


def put(session: Session, user_id: int, name: str, value: Any) -> None:
    """Remember value (None: forget the choice)."""
    if value is None:
        session.execute(delete(UserPreference).where(UserPreference.user_id == user_id,
                                                     UserPreference.name == name))
        return
    upsert(session, UserPreference, [{"user_id": user_id, "name": name, "value": value,
                                      "updated_at": utcnow()}], ["user_id", "name"])
