"""What each background job is: its name, the lock that keeps two of a kind apart, how often
it is retried and with what backoff, and which ones run on a schedule.

Plain data, shared by both queue back-ends (server.jobs.embedded, server.jobs.pg); the task
functions themselves are in server.jobs.work."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Spec:
    name: str
    #: `str.format` template over the job's arguments: jobs with the same lock never run at
    #: the same time, on any worker (e.g. one sync per connector).
    lock: str | None = None
    #: a second defer while a first attempt with the same lock still waits is a no-op (the
    #: waiting job will do the work). Unlike a queueing lock, a job waiting for its retry
    #: does not count, so retries and new requests never collide.
    dedupe: bool = False
    #: `str.format` template: at most one job with this key waits in the queue (a unique
    #: index of either back-end); a second defer returns None and the waiting one serves it.
    queueing_lock: str | None = None
    #: attempts in all (1 = never retried); None takes JOB_MAX_ATTEMPTS.
    attempts: int | None = None
    #: the configuration key of its cron expression when it runs on a schedule.
    cron_key: str | None = None
    queue: str = "default"

    def lock_for(self, kwargs: dict) -> str | None:
        return self.lock.format(**kwargs) if self.lock else None

    def queueing_lock_for(self, kwargs: dict) -> str | None:
        return self.queueing_lock.format(**kwargs) if self.queueing_lock else None


SPECS: dict[str, Spec] = {s.name: s for s in (
    # one connector's queued sync requests (Connect, Sync now, schedule, webhook)
    Spec("sync", lock="sync:{connector}", dedupe=True),
    # queue a sync of every connector whose schedule is due
    Spec("schedule", cron_key="SCHEDULE_CRON", attempts=1, lock="schedule", dedupe=True),
    # the day's history rows of every account (docs/metrics-rows.md)
    Spec("metrics.daily", lock="metrics", cron_key="METRICS_DAILY_CRON"),
    Spec("metrics.backfill", lock="metrics", dedupe=True),
    Spec("metrics.refresh", lock="metrics", dedupe=True),
    # a large JSON Lines import spooled by POST /api/v1/import
    Spec("import", lock="import:{import_id}", attempts=3),
    # the playbooks (server/playbooks), after each sync and after the daily metrics job
    Spec("playbooks.run", lock="playbooks", dedupe=True),
    # a failed Slack or SMTP action's retry, queued for its next_attempt_at
    Spec("playbooks.retry", lock="playbooks", attempts=1),
    # the daily digest per CSM (docs/playbooks.md), on its own schedule
    Spec("playbooks.digest", lock="playbooks.digest", cron_key="PLAYBOOKS_DIGEST_CRON",
         attempts=1, dedupe=True),
    # a settings preview of the health model page on a large workspace (server/backtest/runs.py)
    Spec("settings.preview", lock="preview:{run_id}", attempts=1),
    # the health model page's stored backtest (server/backtest/stored.py), one at a time
    Spec("backtest.run", lock="backtest", attempts=1),
    # the North Star's calendar-month rollups of every stale account (server/services/north_star.py)
    Spec("north_star.rollups", lock="north_star", dedupe=True, attempts=3),
    # one account's CRM records, by record id (fresh on open: POST .../refresh); one waits
    # per account, and a failure is recorded on the account (no retry: the next open asks)
    Spec("account.refresh", lock="refresh:{account_id}",
         queueing_lock="refresh:{account_id}", attempts=1),
)}


def spec(name: str) -> Spec:
    try:
        return SPECS[name]
    except KeyError:
        raise KeyError(f"no job named {name!r}; known: {', '.join(sorted(SPECS))}") from None


def max_attempts(sp: Spec, cfg: dict) -> int:
    return sp.attempts if sp.attempts is not None else int(cfg.get("JOB_MAX_ATTEMPTS") or 5)


def backoff_seconds(cfg: dict, attempts_done: int) -> float:
    """Wait before the next attempt after `attempts_done` failed ones: base, 2x, 4x, ...
    capped at an hour."""
    base = float(cfg.get("JOB_RETRY_SECONDS") or 30)
    return min(base * 2 ** max(attempts_done - 1, 0), 3600.0)
