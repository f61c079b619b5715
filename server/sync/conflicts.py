"""Transaction conflicts the sync engine retries itself.

Two syncs writing the same accounts and days at once (a Mixpanel and an Amplitude export
of the same events, a sync beside an API import) lock rows of several tables per page:
each flush of the record path takes its account-days in key order, then the accounts'
stamps, then the metrics marks at commit. A page of several flushes holds the first
flush's accounts while it asks for the next flush's account-days, an order no sort can make
global, so PostgreSQL may find a deadlock and abort one of the two transactions. That page
changed nothing (rolled back), so the engine lands it again after a short random pause,
up to PAGE_ATTEMPTS times, instead of failing the run (which the job queue would retry
after its backoff, from the same bookmark).
"""

from __future__ import annotations

import random

#: attempts of one page whose transaction the database aborted for a conflict
PAGE_ATTEMPTS = 5
#: SQLSTATEs of an aborted transaction that is safe to run again: deadlock detected,
#: serialization failure
RETRYABLE = frozenset({"40P01", "40001"})


def retryable(exc: BaseException) -> bool:
    """True when `exc` is the database aborting the transaction for a deadlock or a
    serialization failure: the driver's error (the record path's driver cursors) or
    SQLAlchemy's wrapping of it (`.orig`)."""
    return any(getattr(e, "sqlstate", None) in RETRYABLE for e in (exc, getattr(exc, "orig", None)))


def pause(attempt: int, rng: random.Random | None = None) -> float:
    """Seconds to wait before attempt `attempt + 1`: random, so the two transactions that
    met do not meet again in step, and growing with the attempts (at most ~1 s)."""
    return (rng or random).uniform(0.05, 0.2) * min(attempt, 5)
