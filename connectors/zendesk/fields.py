"""The helpdesk fields of a Zendesk ticket a CSM reads beyond status and priority.

From the ticket: ``satisfaction_rating`` (``score`` good/bad and its ``comment``; offered,
unoffered or no rating gives none), ``type`` (problem, incident, question, task),
``via.channel`` (email, web, chat, api...), the assignee (the agent's email from the
``users`` side-load, else the Zendesk user id), ``group_id`` and ``tags``. From the ticket's
metric set: ``first_resolution_time_in_minutes`` (calendar) after ``created_at`` as
``first_resolution_at``.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

RATINGS = ("good", "bad")


def iso(dt: datetime) -> str:
    return dt.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def calendar_minutes(metric: dict, field: str) -> float | None:
    """A Zendesk ticket metric in minutes (its calendar value), None when absent."""
    value = metric.get(field)
    if isinstance(value, dict):
        value = value.get("calendar")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def helpdesk_fields(t: dict, metric: dict | None, emails: dict, created: datetime) -> dict:
    """Import-format ticket fields (docs/import-format.md) from a Zendesk ticket."""
    out: dict = {}
    rating = t.get("satisfaction_rating")
    if isinstance(rating, dict) and str(rating.get("score") or "").lower() in RATINGS:
        out["satisfaction"] = str(rating["score"]).lower()
        comment = rating.get("comment")
        if isinstance(comment, str) and comment.strip():
            out["satisfaction_comment"] = comment.strip()
    if isinstance(t.get("type"), str) and t["type"]:
        out["ticket_type"] = t["type"]
    via = t.get("via")
    if isinstance(via, dict) and isinstance(via.get("channel"), str) and via["channel"]:
        out["channel"] = via["channel"]
    assignee = t.get("assignee_id")
    if assignee is not None and not isinstance(assignee, bool):
        out["assignee"] = emails.get(assignee) or str(assignee)
    if t.get("group_id") is not None and not isinstance(t["group_id"], bool):
        out["group"] = str(t["group_id"])
    tags = [x for x in t.get("tags") or () if isinstance(x, str) and x]
    if tags:
        out["tags"] = list(dict.fromkeys(tags))
    if metric:
        first = calendar_minutes(metric, "first_resolution_time_in_minutes")
        if first is not None:
            out["first_resolution_at"] = iso(created + timedelta(minutes=first))
    return out
