"""The embedded queue: jobs in the `jobs` table, run by threads of the web process
(ACCOUNT360_SCHEDULER=web, the default) or of `account360 worker`.

A pass claims waiting jobs atomically (UPDATE ... WHERE status = 'todo' and no running job
holds the same lock), so several processes may run passes without running two jobs of one
lock. Periodic jobs are deferred once per scheduled time (a unique key), retries wait with
backoff, and a job whose worker stopped beating is put back in the queue."""

from __future__ import annotations

import logging
import os
import socket
import threading
import typing as t
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, exists, select, update
from sqlalchemy.orm import aliased

from server.jobs import work
from server.jobs.models import Job
from server.jobs.queue import _defer_embedded
from server.jobs.specs import SPECS, backoff_seconds, max_attempts
from server.models import utcnow

log = logging.getLogger(__name__)

#: periodic runs missed by at most this long (a restart) are still made up.
CATCH_UP = timedelta(minutes=10)
KEEP_DONE = timedelta(days=7)


def latest_tick(cron: str, now: datetime) -> datetime:
    from croniter import croniter

    return croniter(cron, now).get_prev(datetime)


class EmbeddedWorker:
    """Claims waiting jobs and runs each in its own thread."""

    def __init__(self, rt: work.Runtime, poll_seconds: float = 2.0,
                 concurrency: int = 4) -> None:
        self.rt = rt
        self.store = rt.store
        self.poll_seconds = poll_seconds
        self.concurrency = max(1, concurrency)
        self.worker_id = f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"[:100]
        self.threads: dict[int, threading.Thread] = {}
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._loop: threading.Thread | None = None

    # -- periodic jobs ---------------------------------------------------------------
    def schedule_due(self) -> list[str]:
        """Queue a sync of every connector whose schedule is due (the periodic check, run
        now); returns the connectors queued."""
        return work.schedule(self.rt, work.Attempt(1, 1))

    def defer_periodic(self, now: datetime | None = None) -> list[int]:
        """Defer each periodic job's latest scheduled time, once (a unique key per time)."""
        now = now or utcnow()
        made = []
        for sp in SPECS.values():
            if not sp.cron_key:
                continue
            at = latest_tick(str(self.rt.cfg.get(sp.cron_key)), now)
            if now - at > CATCH_UP:
                continue
            stamp = int(at.timestamp())
            with self.store.session() as s:
                jid = _defer_embedded(s, sp, {"timestamp": stamp}, None,
                                      periodic_key=f"{sp.name}@{stamp}")
            if jid is not None:
                made.append(jid)
        return made

    # -- claiming and running ----------------------------------------------------------
    def recover_stalled(self) -> int:
        """Put back in the queue the running jobs whose worker stopped beating."""
        limit = utcnow() - timedelta(seconds=float(self.rt.cfg.get("JOB_STALLED_SECONDS") or 30))
        stalled = [Job.status == "doing", Job.heartbeat_at < limit, Job.worker != self.worker_id]
        other = aliased(Job)
        superseded = exists().where(and_(other.queueing_lock == Job.queueing_lock,
                                         other.status == "todo"))
        with self.store.session() as s:
            # a waiting job with the same queueing lock does the stalled one's work
            s.execute(update(Job).where(*stalled, superseded).values(
                status="failed", worker=None, finished_at=utcnow(),
                error="its worker stopped; a waiting job does its work")
                .execution_options(synchronize_session=False))
            res = s.execute(update(Job).where(*stalled).values(status="todo", worker=None)
                            .execution_options(synchronize_session=False))
            return res.rowcount

    def beat(self) -> None:
        mine = [jid for jid, th in self.threads.items() if th.is_alive()]
        if mine:
            with self.store.session() as s:
                s.execute(update(Job).where(Job.id.in_(mine), Job.status == "doing")
                          .values(heartbeat_at=utcnow())
                          .execution_options(synchronize_session=False))

    def claim(self, limit: int) -> list[Job]:
        now = utcnow()
        other = aliased(Job)
        with self.store.sessions() as s:
            waiting = list(s.scalars(select(Job).where(Job.status == "todo",
                                                       Job.scheduled_at <= now)
                                     .order_by(Job.id).limit(200)))
        got, locks = [], set()
        for job in waiting:
            if len(got) >= limit:
                break
            if (job.lock is not None and job.lock in locks) or job.id in self.threads:
                continue
            held = exists().where(and_(other.lock == job.lock, other.status == "doing"))
            cond = [Job.id == job.id, Job.status == "todo"]
            if job.lock is not None:
                cond.append(~held)
            with self.store.session() as s:
                res = s.execute(update(Job).where(*cond).values(
                    status="doing", worker=self.worker_id, started_at=utcnow(),
                    heartbeat_at=utcnow()).execution_options(synchronize_session=False))
            if res.rowcount == 1:
                got.append(job)
                if job.lock is not None:
                    locks.add(job.lock)
        return got

    def tick(self) -> list[threading.Thread]:
        """One pass: put stalled jobs back, start a thread for each claimed job."""
        self.threads = {k: th for k, th in self.threads.items() if th.is_alive()}
        try:
            self.recover_stalled()
        except Exception:  # noqa: BLE001
            log.exception("stalled-job check failed")
        started = []
        for job in self.claim(self.concurrency - len(self.threads)):
            name = "a360-" + (job.lock.replace(":", "-") if job.lock else job.task)
            th = threading.Thread(target=self.run, args=(job,), name=name, daemon=True)
            self.threads[job.id] = th
            th.start()
            started.append(th)
        return started

    def run(self, job: Job) -> t.Any:
        sp = SPECS[job.task]
        attempt = work.Attempt(job.attempts + 1, max_attempts(sp, self.rt.cfg))
        result, error = None, None
        try:
            result = work.FUNCTIONS[job.task](self.rt, attempt, **(job.args or {}))
        except Exception as exc:  # noqa: BLE001 - recorded on the job, retried
            if not isinstance(exc, work.JobFailed):
                log.exception("job %s %d failed", job.task, job.id)
            error = f"{type(exc).__name__}: {exc}"[:2000]
        values: dict[str, t.Any] = {"worker": None, "error": error}
        if error is None:
            values.update(status="succeeded", finished_at=utcnow())
        elif attempt.final:
            values.update(status="failed", finished_at=utcnow(), attempts=attempt.number)
        else:
            values.update(status="todo", attempts=attempt.number, scheduled_at=utcnow()
                          + timedelta(seconds=backoff_seconds(self.rt.cfg, attempt.number)))
        with self.store.session() as s:
            s.execute(update(Job).where(Job.id == job.id).values(**values)
                      .execution_options(synchronize_session=False))
        self._wake.set()   # a job waiting for this one's lock can start now
        return result

    def prune(self) -> None:
        with self.store.session() as s:
            s.execute(delete(Job).where(Job.status == "succeeded",
                                        Job.finished_at < utcnow() - KEEP_DONE))

    # -- loop ------------------------------------------------------------------------
    def start(self) -> None:
        if self._loop is not None and self._loop.is_alive():
            return
        self._stop.clear()
        self._loop = threading.Thread(target=self.loop, name="a360-runner", daemon=True)
        self._loop.start()

    def loop(self) -> None:
        log.info("job runner started (%s)", self.worker_id)
        passes = 0
        while not self._stop.is_set():
            try:
                self.defer_periodic()
                self.beat()
                self.tick()
                if passes % 1000 == 0:
                    self.prune()
            except Exception:  # noqa: BLE001
                log.exception("job runner pass failed")
            passes += 1
            self._wake.wait(self.poll_seconds)
            self._wake.clear()

    @property
    def running(self) -> bool:
        return self._loop is not None and self._loop.is_alive() and not self._stop.is_set()

    def wake(self) -> None:
        """Run a pass now (a job was just deferred by this process) instead of at the next
        poll."""
        self._wake.set()

    def stop(self, wait: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        for th in [self._loop, *self.threads.values()]:
            if th is not None and th.is_alive():
                th.join(wait)

    def wait_idle(self, timeout: float = 30.0) -> None:
        for th in list(self.threads.values()):
            th.join(timeout)
