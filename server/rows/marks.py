"""What a write marks for the account-metrics rows: the accounts it touched, in the session.

Write paths (the record path, tasks and notes) call `mark()`; `server.rows.refresh` reads
the marks before the session commits. Kept apart so a write path needs nothing else of it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy.orm import Session

DIRTY_KEY = "account360.metrics_dirty"


def mark(session: Session, account_ids: Iterable[str],
         earliest: dict[str, date] | None = None) -> None:
    """Note accounts written in this transaction; earliest[a] = first day the write changes."""
    dirty = session.info.setdefault(DIRTY_KEY, {})
    earliest = earliest or {}
    for a in account_ids:
        day = earliest.get(a)
        old = dirty.get(a)
        dirty[a] = day if old is None else (old if day is None else min(old, day))
