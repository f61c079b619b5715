"""The procrastinate queue (ACCOUNT360_JOB_QUEUE=procrastinate, PostgreSQL): any number of
`account360 worker` processes on any machines run the jobs.

procrastinate gives: jobs in PostgreSQL (deferred in the caller's transaction, see
server.jobs.queue), `lock` (one running job per lock: one sync per connector), periodic
tasks deferred once per scheduled time however many workers run
(procrastinate_periodic_defers), retries (our backoff, server.jobs.specs) and worker
heartbeats. A worker killed mid-job (kill -9) stops beating; every worker checks for such
stalled jobs and puts them back in the queue, where another worker picks them up."""

from __future__ import annotations

import logging

from server.jobs import work
from server.jobs.specs import SPECS, backoff_seconds, max_attempts

log = logging.getLogger(__name__)

#: finished jobs kept this long (the builtin remove_old_jobs task runs daily).
KEEP_HOURS = 24 * 7


def conninfo(url: str) -> str:
    """A libpq connection string from the SQLAlchemy URL."""
    from sqlalchemy.engine import make_url

    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _retry(cfg: dict, total: int):
    from procrastinate import BaseRetryStrategy, RetryDecision

    class Backoff(BaseRetryStrategy):
        """`total` attempts, waiting JOB_RETRY_SECONDS, then twice as long each time."""

        def get_retry_decision(self, *, exception, job):  # noqa: ANN001
            if job.attempts + 1 >= total:
                return None
            return RetryDecision(retry_in={"seconds": backoff_seconds(cfg, job.attempts + 1)})

    return Backoff()


def build_app(rt: work.Runtime):
    """The procrastinate App with every task of server.jobs.work registered."""
    import procrastinate

    cfg = rt.cfg
    app = procrastinate.App(connector=procrastinate.PsycopgConnector(
        conninfo=conninfo(cfg["DATABASE_URL"]), min_size=1, max_size=4))
    for name, sp in SPECS.items():
        total = max_attempts(sp, cfg)
        fn = work.FUNCTIONS[name]

        def run(context, _fn=fn, _total=total, **kwargs):  # noqa: ANN001
            attempt = work.Attempt(context.job.attempts + 1, _total)
            _fn(rt, attempt, **kwargs)

        static_lock = sp.lock if sp.lock and "{" not in sp.lock else None
        task = app.task(name=name, pass_context=True, queue=sp.queue,
                        retry=_retry(cfg, total) if total > 1 else False,
                        lock=static_lock)(run)
        if sp.cron_key:
            app.periodic(cron=str(cfg[sp.cron_key]), periodic_id=name)(task)

    @app.periodic(cron="17 3 * * *", periodic_id="jobs.prune")
    @app.task(name="jobs.prune", pass_context=True, lock="jobs.prune")
    async def prune(context, timestamp: int) -> None:  # noqa: ANN001
        await context.app.job_manager.delete_old_jobs(nb_hours=KEEP_HOURS, include_failed=True)

    return app


async def _recover(app, job) -> None:  # noqa: ANN001
    """Queue a stalled job again; one whose queueing lock another waiting job holds (that
    one does its work) is closed as failed instead."""
    from procrastinate.exceptions import AlreadyEnqueued, UniqueViolation
    from procrastinate.jobs import Status

    try:
        await app.job_manager.retry_job(job)
        log.warning("job %s %d: its worker stopped; queued again", job.task_name, job.id)
    except (AlreadyEnqueued, UniqueViolation):
        await app.job_manager.finish_job(job, status=Status.FAILED, delete_job=False)
        log.warning("job %s %d: its worker stopped; a waiting job does its work",
                    job.task_name, job.id)
    except Exception:  # noqa: BLE001 - requeued by another worker meanwhile
        pass


def run_worker(rt: work.Runtime, concurrency: int, once: bool = False) -> None:
    """Run jobs until SIGTERM/SIGINT (procrastinate's signal handling: running jobs finish)."""
    import asyncio

    cfg = rt.cfg
    stalled = float(cfg.get("JOB_STALLED_SECONDS") or 30)
    app = build_app(rt)

    async def main() -> None:
        async with app.open_async():
            stop = asyncio.Event()

            async def watch() -> None:   # stalled-job recovery, every third of the timeout
                while not stop.is_set():
                    try:
                        for job in await app.job_manager.get_stalled_jobs(
                                seconds_since_heartbeat=stalled):
                            await _recover(app, job)
                    except Exception:  # noqa: BLE001
                        log.exception("stalled-job check failed")
                    try:
                        await asyncio.wait_for(stop.wait(), timeout=max(stalled / 3, 0.5))
                    except TimeoutError:
                        pass

            watcher = asyncio.create_task(watch())
            try:
                await app.run_worker_async(
                    concurrency=concurrency, wait=not once, name=rt.worker_id,
                    update_heartbeat_interval=max(stalled / 3, 0.5),
                    stalled_worker_timeout=stalled, install_signal_handlers=True)
            finally:
                stop.set()
                await watcher

    log.info("procrastinate worker started (%s, concurrency %d)", rt.worker_id, concurrency)
    asyncio.run(main())


__all__ = ["build_app", "conninfo", "run_worker"]
