"""Saved views of the accounts table, per user: a name and the table's query (search,
filters, ranges, sort, shown columns) as the URL carries it. Saving a name again replaces that view."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.errors import ApiError
from server.models import utcnow
from server.workspace_models import SavedView

#: The accounts table's query parameters a view keeps (paging is not part of a view).
KEYS = ("q", "owner", "segment", "band", "phase", "sort", "arr_min", "arr_max", "health_min",
        "health_max", "renewal_from", "renewal_to", "days_min", "days_max", "signals_min",
        "signals_max", "relationship_min", "relationship_max", "sentiment_min", "sentiment_max",
        "sentiment_change_min", "sentiment_change_max", "reply_hours_min", "reply_hours_max",
        "north_star_min", "north_star_max", "cols")
MAX_VIEWS = 50


def as_json(v: SavedView) -> dict:
    return {"id": v.id, "name": v.name, "query": v.query, "created_at": v.created_at}


def list_views(session: Session, user_id: int) -> list[dict]:
    q = select(SavedView).where(SavedView.user_id == user_id).order_by(SavedView.name)
    return [as_json(v) for v in session.scalars(q)]


def save_view(session: Session, user_id: int, name: str, query: dict) -> dict:
    """Save (or replace) the user's view `name` holding `query` (known keys only, as text)."""
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise ApiError(400, "validation_error", "A view needs a name of 1 to 100 characters",
                       {"name": "must be 1 to 100 characters"})
    kept = {k: str(query[k]) for k in KEYS if query.get(k) not in (None, "")}
    if "owner" in query and "owner" not in kept:
        kept["owner"] = ""  # the whole team, as the table showed it
    view = session.scalar(select(SavedView).where(SavedView.user_id == user_id,
                                                  SavedView.name == name))
    if view is None:
        count = len(list(session.scalars(select(SavedView.id)
                                         .where(SavedView.user_id == user_id))))
        if count >= MAX_VIEWS:
            raise ApiError(400, "validation_error", f"At most {MAX_VIEWS} saved views a user",
                           {"name": "delete a view first"})
        view = SavedView(user_id=user_id, name=name, query=kept, created_at=utcnow())
        session.add(view)
    else:
        view.query = kept
    session.flush()
    return as_json(view)


def delete_view(session: Session, user_id: int, view_id: int) -> bool:
    view = session.get(SavedView, view_id)
    if view is None or view.user_id != user_id:
        return False
    session.delete(view)
    return True
