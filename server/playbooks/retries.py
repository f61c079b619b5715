"""Retries of failed Slack and SMTP calls, shared by the playbook actions and the daily
digests: each failure is recorded with the vendor's error and tried again with backoff
(60 s doubling, at most an hour; Slack's Retry-After on a 429), at most 5 attempts, by a
`playbooks.retry` job queued for that moment. A failure that no retry can fix (the CSM has
no Slack user, the account has no CSM) is final at once.

A receiver that does not answer (connection refused, a timeout) is not called again in the
same run: the actions after it wait for their retry at once.

A retry is claimed by an UPDATE that only matches the row in the state it was read in, so
two workers never both send it; a claim left `pending` by a crashed process for 15 minutes
is tried again.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from server.playbooks.deliver import Outcome

MAX_ATTEMPTS = 5
BASE_BACKOFF = 60.0
MAX_BACKOFF = 3600.0
STALE_PENDING = timedelta(minutes=15)


def backoff(attempts: int) -> float:
    """Seconds before retry number `attempts` (1, 2, ...): 60 s doubling, at most an hour."""
    return min(MAX_BACKOFF, BASE_BACKOFF * 2 ** (attempts - 1))


def record(row, outcome: Outcome, now: datetime, error_field: str = "last_error") -> str:
    """One attempt's outcome on an action or digest row: sent, retrying (with the time of
    the next attempt) or failed; every attempt is kept in `log`."""
    row.attempts = (row.attempts or 0) + 1
    row.log = [*(row.log or []), {"at": now.isoformat(), "outcome":
                                  "sent" if outcome.ok else "error", "error": outcome.error}]
    row.updated_at = now
    if outcome.ok:
        row.status, row.next_attempt_at = "sent", None
        setattr(row, error_field, None)
        if outcome.detail:
            row.detail = {**(row.detail or {}), "result": outcome.detail}
    elif outcome.final or row.attempts >= MAX_ATTEMPTS:
        row.status, row.next_attempt_at = "failed", None
        setattr(row, error_field, outcome.error)
    else:
        wait = outcome.retry_after if outcome.retry_after is not None else backoff(row.attempts)
        row.status = "retrying"
        setattr(row, error_field, outcome.error)
        row.next_attempt_at = now + timedelta(seconds=wait)
    return row.status


def receiver(url: str | None) -> str:
    """The receiver an HTTP call goes to, as the guard names it: its host."""
    return "https " + (urlsplit(url or "").netloc or "slack.com")


def guarded(down: dict[str, str], key: str, call: Callable[[], Outcome]) -> Outcome:
    """Make the call unless its receiver did not answer earlier in this run: then the action
    waits for its retry at once (one dead SMTP server or Slack endpoint costs one timeout per
    run, not one per message)."""
    if key in down:
        return Outcome(False, f"not tried: {down[key]} (earlier in this run)")
    out = call()
    if out.unreachable:
        down[key] = out.error or "unreachable"
    return out


def wake_at(session, store, when: datetime) -> None:
    """Queue the `playbooks.retry` job for `when` (with the caller's commit)."""
    from server.jobs.queue import defer

    defer(session, "playbooks.retry", store=store, at=when)
