"""Deferring a job, on either back-end, inside the caller's transaction.

`defer(session, name, **kwargs)` writes the job with the session's other writes: the job
exists exactly when they commit (a sync request and the job that serves it, an import's
spool row and its job). A `dedupe` job is not added again while an equal one (same lock)
waits for its first attempt: that one will do the work. A job with a `queueing_lock` is not
added while one with the same key waits (a unique index on both back-ends, so this holds
across processes); `waiting(...)` finds the one that does. The back-end is the store's
`job_queue` ("embedded" or "procrastinate", from ACCOUNT360_JOB_QUEUE)."""

from __future__ import annotations

import typing as t
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from server.jobs.models import Job
from server.jobs.specs import SPECS, spec
from server.models import utcnow

QUEUES = ("embedded", "procrastinate")


def kind(store: t.Any) -> str:
    return getattr(store, "job_queue", None) or "embedded"


def defer(session: t.Any, name: str, *, store: t.Any, at: datetime | None = None,
          **kwargs: t.Any) -> int | None:
    """Add job `name(**kwargs)`; its id, or None when an equal job is already waiting."""
    sp = spec(name)
    if kind(store) == "procrastinate":
        return _defer_procrastinate(session, sp, kwargs, at)
    return _defer_embedded(session, sp, kwargs, at)


def _defer_embedded(session: t.Any, sp: t.Any, kwargs: dict, at: datetime | None,
                    periodic_key: str | None = None) -> int | None:
    lock = sp.lock_for(kwargs)
    if sp.dedupe and lock is not None and session.scalar(select(Job.id).where(
            Job.task == sp.name, Job.lock == lock, Job.status == "todo", Job.attempts == 0)
            .limit(1)) is not None:
        return None
    job = Job(task=sp.name, args=kwargs, status="todo", lock=lock,
              queueing_lock=sp.queueing_lock_for(kwargs), periodic_key=periodic_key,
              attempts=0, scheduled_at=at or utcnow())
    try:
        with session.begin_nested():
            session.add(job)
            session.flush()
    except IntegrityError:   # another process deferred the same one meanwhile
        return None
    return job.id


def _manager():
    from procrastinate.manager import JobManager
    from procrastinate.sync_psycopg_connector import SyncPsycopgConnector

    global _MANAGER
    if _MANAGER is None:  # used only with the caller's connection: it never opens a pool
        _MANAGER = JobManager(SyncPsycopgConnector())
    return _MANAGER


_MANAGER = None


def procrastinate_job(sp: t.Any, kwargs: dict, at: datetime | None = None):
    from procrastinate.jobs import Job as PJob

    return PJob(id=None, queue=sp.queue, lock=sp.lock_for(kwargs),
                queueing_lock=sp.queueing_lock_for(kwargs),
                task_name=sp.name, task_kwargs=kwargs, scheduled_at=at)


def _defer_procrastinate(session: t.Any, sp: t.Any, kwargs: dict,
                         at: datetime | None) -> int | None:
    from sqlalchemy import text

    if session.get_bind().dialect.name != "postgresql":
        raise RuntimeError("ACCOUNT360_JOB_QUEUE=procrastinate needs a PostgreSQL database")
    lock = sp.lock_for(kwargs)
    if sp.dedupe and lock is not None and session.scalar(text(
            "SELECT id FROM procrastinate_jobs WHERE task_name = :t AND lock = :l "
            "AND status = 'todo' AND attempts = 0 LIMIT 1"), {"t": sp.name, "l": lock}):
        return None
    raw = session.connection().connection.driver_connection   # the caller's transaction
    job = procrastinate_job(sp, kwargs, at)
    if job.queueing_lock is None:
        return _manager().defer_job(job, connection=raw).id
    from procrastinate.exceptions import AlreadyEnqueued, UniqueViolation

    try:
        with session.begin_nested():   # a refused defer must not abort the caller's work
            raw = session.connection().connection.driver_connection   # SAVEPOINT emitted
            return _manager().defer_job(job, connection=raw).id
    except (AlreadyEnqueued, UniqueViolation, IntegrityError):
        return None


def waiting(session: t.Any, store: t.Any, queueing_lock: str) -> int | None:
    """The id of the job queued under `queueing_lock`: the one waiting, else the latest one
    running (a defer that found a job waiting may look a moment after a worker took it; that
    job started after the defer and does its work); None when there is neither."""
    from sqlalchemy import text

    if kind(store) == "procrastinate":
        return session.scalar(text(
            "SELECT id FROM procrastinate_jobs WHERE queueing_lock = :q "
            "AND status IN ('todo', 'doing') ORDER BY status = 'todo' DESC, id DESC LIMIT 1"),
            {"q": queueing_lock})
    return session.scalar(select(Job.id).where(
        Job.queueing_lock == queueing_lock, Job.status.in_(("todo", "doing")))
        .order_by((Job.status == "todo").desc(), Job.id.desc()).limit(1))


def state(session: t.Any, store: t.Any, job_id: int) -> str | None:
    """A job's status: todo, doing, succeeded, failed (procrastinate also: cancelled,
    aborted); None when it is gone."""
    from sqlalchemy import text

    if kind(store) == "procrastinate":
        return session.scalar(text("SELECT status::text FROM procrastinate_jobs WHERE id = :i"),
                              {"i": job_id})
    return session.scalar(select(Job.status).where(Job.id == job_id))


# -- what is queued (connector cards, GET /api/v1/syncs) ---------------------------------
def sync_queue(session: t.Any, store: t.Any) -> dict[str, dict]:
    """connector -> its latest sync job: status (todo, doing, succeeded, failed), attempts
    so far, and when a waiting one runs next."""
    from sqlalchemy import text

    out: dict[str, dict] = {}
    if kind(store) == "procrastinate":
        rows = session.execute(text(
            "SELECT id, status::text, attempts, scheduled_at, args->>'connector' "
            "FROM procrastinate_jobs WHERE task_name = 'sync' ORDER BY id DESC LIMIT 200"))
    else:
        rows = session.execute(select(Job.id, Job.status, Job.attempts, Job.scheduled_at,
                                      Job.args).where(Job.task == "sync")
                               .order_by(Job.id.desc()).limit(200))
    for jid, status, attempts, at, args in rows:
        connector = args if isinstance(args, str) else (args or {}).get("connector")
        out.setdefault(connector, {
            "job_id": jid, "status": status, "attempts": attempts,
            "next_attempt_at": at if status == "todo" else None})
    return out


def sync_jobs(session: t.Any, store: t.Any, connector: str | None = None) -> list[dict]:
    """The latest sync job of each connector with the connector's last error, for
    GET /api/v1/syncs."""
    from server.admin.models import ConnectorConfig
    from server.jobs.specs import max_attempts

    cfg = {"JOB_MAX_ATTEMPTS": getattr(store, "job_attempts", None)}
    errors = {r.connector: r.last_error for r in session.scalars(select(ConnectorConfig))}
    out = []
    for name, job in sorted(sync_queue(session, store).items()):
        if connector and name != connector:
            continue
        out.append({"connector": name, **job, "max_attempts": max_attempts(spec("sync"), cfg),
                    "last_error": errors.get(name)})
    return out


__all__ = ["QUEUES", "SPECS", "defer", "kind", "state", "sync_jobs", "sync_queue", "waiting"]
