""""Log as touchpoint" (the extension's Gmail button, POST /api/v1/accounts/<id>/touchpoints):
an email touchpoint, its message, and a done task written back to the linked CRM.

The message (channel `email`) is the same record any import or connector lands: scored for
sentiment once, its text kept only as the workspace's message policy says (`full`, a
snippet, or none). It is made in the touchpoint's transaction with an id derived from the
touchpoint's, so a request and its retries (the Idempotency-Key header) make one touchpoint
and one message, never a message without its touchpoint.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timezone

from sqlalchemy.orm import Session

from server import models as m
from server.message_ingest import message_row, policy_of
from server.services.account360 import touch


class UnknownAccount(LookupError):
    """No account with that id."""


def log_email(s: Session, account_id: str, *, who: str | None, logged_by: str,
              subject: str | None, email: str | None = None, direction: str | None = None,
              text: str | None = None, at: datetime | None = None,
              thread_id: str | None = None) -> dict:
    """Record the email touchpoint, its message and the done task; returns the answer.

    `direction` is `in` (the customer wrote the email) or `out` (the team did; the
    default); `text` the email's text (else its subject); `at` when it was sent (else now).
    Raises UnknownAccount, or server.records.RecordError for a message that is not valid.
    """
    if s.get(m.Account, account_id) is None:
        raise UnknownAccount(account_id)
    now = datetime.now(timezone.utc)
    subject = (subject or "").strip() or "(no subject)"
    direction = direction or "out"
    tp = m.Touchpoint(id="tp_" + uuid.uuid4().hex[:20], account_id=account_id,
                      date=(at or now).date(), kind="email", owner=who,
                      attributes={"subject": subject, "with": email, "logged_by": logged_by})
    rec = {"type": "message", "id": f"msg_{tp.id}", "account_id": account_id,
           "at": (at or now).isoformat(), "channel": "email", "direction": direction,
           "text": (text or "").strip() or subject, "source": "log_touchpoint",
           "touchpoint": tp.id}
    if email:
        rec["contact_email"] = email
    if who and direction == "out":
        rec["author"] = who
    if thread_id:
        rec["thread_id"] = f"gmail:{thread_id}"
    row = message_row(rec, account_id, policy_of(s), now)
    task = m.Task(id="t_" + uuid.uuid4().hex[:20], account_id=account_id,
                  subject=f"Email: {subject}", status="done", owner=who, created_at=now,
                  updated_at=now, source="api", crm_sync_attempts=0,
                  attributes={"created_by": logged_by, "touchpoint": tp.id})
    s.add_all([tp, m.Message(**row), task])
    touch(s, account_id)
    s.flush()
    return {"id": tp.id, "kind": "email", "date": tp.date, "subject": subject, "owner": who,
            "task_id": task.id, "message_id": row["id"], "direction": direction}
