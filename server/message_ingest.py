"""The `message` record: validated, scored once by the workspace's scorer, and stored with
only the text the message policy keeps (server.message_policy)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import update
from sqlalchemy.orm import Session

from server import models as m
from server import records as r
from server.message_policy import MessagePolicy
from server.records import RecordError
from server.sentiment import ScorerError, load_scorer, score_text

KNOWN = {"type", "id", "account_id", "at", "channel", "direction", "text", "contact_email",
         "author", "thread_id"}
IDENTITY = ("account_id", "at", "channel", "direction", "thread_id", "contact_email", "text")


def policy_of(session: Session) -> MessagePolicy:
    """The message policy of the workspace settings the session's store runs with."""
    store = session.info.get("store")
    settings = getattr(store, "settings", None) if store is not None else None
    return getattr(settings, "messages", None) or MessagePolicy()


def message_row(rec: dict, account_id: str, policy: MessagePolicy, now: datetime) -> dict:
    """The stored row of one message record; raises RecordError when it is not loadable."""
    at = r.instant(rec, "at", required=True)
    text = r.text(rec, "text", required=True)
    row = {
        "account_id": account_id, "at": at,
        "channel": r.enum(rec, "message", "channel"),
        "direction": r.enum(rec, "message", "direction"),
        "contact_email": r.email(rec, "contact_email"),
        "author": r.text(rec, "author", max_len=320),
        "thread_id": r.text(rec, "thread_id", max_len=200),
        "attributes": r.extras(rec, KNOWN),
    }
    row["id"] = r.text(rec, "id", max_len=200) or r.content_id("message", rec, IDENTITY)
    try:
        row["sentiment"] = score_text(load_scorer(policy.scorer), text) if text.strip() else None
    except ScorerError as exc:
        raise RecordError(f"sentiment: {exc}", "text") from None
    row["text"] = policy.stored_text(text, at, now)
    return row


def at_noon(day: date) -> datetime:
    """The time a dated record's message is placed at: noon UTC of its day."""
    return datetime(day.year, day.month, day.day, 12, tzinfo=UTC)


def comment_message(row: dict, source: str, text: str) -> dict:
    """The message record of an NPS or survey comment (an inbound note on the answer's day)."""
    rec = {"type": "message", "id": f"{source}:{row['id']}", "account_id": row["account_id"],
           "at": at_noon(row["date"]).isoformat(), "channel": "note", "direction": "in",
           "text": text, "source": source}
    if row.get("contact_email"):
        rec["contact_email"] = row["contact_email"]
    return rec


def purge_text(session: Session, policy: MessagePolicy, now: datetime) -> int:
    """Erase the text the policy no longer keeps (all of it for `none`, past the retention
    period otherwise); returns the number of messages changed."""
    stmt = update(m.Message).where(m.Message.text.is_not(None))
    cutoff = policy.cutoff(now)
    if policy.text != "none":
        if cutoff is None:
            return 0
        stmt = stmt.where(m.Message.at < cutoff)
    result = session.execute(stmt.values(text=None).execution_options(synchronize_session=False))
    nps = update(m.NpsResponse).where(m.NpsResponse.comment.is_not(None))
    if policy.text != "none":
        nps = nps.where(m.NpsResponse.date < cutoff.date())
    session.execute(nps.values(comment=None).execution_options(synchronize_session=False))
    return result.rowcount or 0
