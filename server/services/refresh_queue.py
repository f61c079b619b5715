"""Fresh on open as a job: `POST /api/v1/accounts/<id>/refresh` answers from what is known
when no fetch is due (fresh, failed a moment ago, not linked, not connected); otherwise it
queues the account's `account.refresh` job (a queueing lock per account: however many
requests, web workers or machines ask, one job waits) and waits up to
ACCOUNT360_REFRESH_WAIT_SECONDS for a job worker to run it. In time it answers as before
("refreshed", or "shared" when another request's job served it; "failed" -> 502);
otherwise 202 with status "queued" and the data the account has now, and the job still
lands the records. Works on the embedded queue (the web process's runner is woken at once)
and on procrastinate (job workers are notified by PostgreSQL)."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from server.jobs.queue import defer, state, waiting
from server.models import utcnow
from server.services import refresh as svc

#: job states after which the account's refresh row holds the outcome
ENDED = ("succeeded", "failed", "cancelled", "aborted")


def request(store, account_id: str, connector_for: Callable[[str], Any], max_age: timedelta,
            wait_seconds: float, kick: Callable[[], None] | None = None) -> tuple[dict, int]:
    """The answer and its HTTP status (200, or 202 while the job is still to finish)."""
    found = svc.target(store, account_id, connector_for)
    if isinstance(found, dict):
        return found, 200
    system, _record_id, conn = found
    svc.close(conn)   # built only to know the CRM is connected: the job fetches
    synced, row = svc.known(store, account_id, system)
    now = utcnow()
    if svc.running(row, now):   # a job is fetching it right now: wait for that one
        row = svc._wait(store, account_id, system, wait_seconds)
        if row.finished_at is not None:
            return _final(row, "shared", max_age, synced)
        return _queued(row, system, max_age, synced, None), 202
    early = svc.no_fetch(row, synced, max_age, now)
    if early is not None:
        return early, 200
    asked = utcnow()
    lock = f"refresh:{account_id}"
    with store.session() as s:
        job_id = defer(s, "account.refresh", store=store, account_id=account_id,
                       requested_at=asked.isoformat())
        mine = job_id is not None
        if job_id is None:
            job_id = waiting(s, store, lock)
    if kick is not None:
        kick()
    if job_id is not None and not _ended(store, job_id, wait_seconds):
        _synced, row = svc.known(store, account_id, system)
        return _queued(row, system, max_age, synced, job_id), 202
    _synced, row = svc.known(store, account_id, system)
    if row is None or row.finished_at is None or (mine and row.finished_at < asked):
        # ended without landing (e.g. the CRM was disconnected meanwhile)
        return _queued(row, system, max_age, synced, job_id), 202
    return _final(row, "refreshed" if mine else "shared", max_age, synced)


def _ended(store, job_id: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    pause = 0.02
    while True:
        with store.sessions() as s:
            if state(s, store, job_id) in ENDED + (None,):
                return True
        if time.monotonic() + pause > deadline:
            return False
        time.sleep(pause)
        pause = min(pause * 1.5, 0.25)


def _final(row, status: str, max_age: timedelta, synced: datetime | None) -> tuple[dict, int]:
    out = svc._answer(row, status if row.status == "success" else "failed", max_age, synced)
    return out, 200


def _queued(row, system: str, max_age: timedelta, synced: datetime | None,
            job_id: int | None) -> dict:
    """202: the data the account has now; the job lands the CRM's when a worker runs it."""
    out = svc._answer(row, "queued", max_age, synced)
    out["system"], out["error"] = system, None
    out["job_id"] = job_id
    return out
