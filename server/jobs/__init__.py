"""Background jobs behind one small interface, on two back-ends.

- `defer(session, name, store=..., **kwargs)` (server.jobs.queue): queue a job inside the
  caller's transaction.
- the jobs (server.jobs.specs: lock, retries, schedule; server.jobs.work: the functions):
  `sync`, `schedule`, `metrics.daily`, `metrics.backfill`, `metrics.refresh`,
  `account.refresh`, `import`, `playbooks.run` (after each sync and the daily job),
  `playbooks.digest`, `playbooks.retry`, `settings.preview`, `backtest.run`.
- the runners: server.jobs.embedded (the `jobs` table, threads of the web process or of
  `account360 worker`; SQLite default) and server.jobs.pg (procrastinate on PostgreSQL, any
  number of `account360 worker` processes). `run_worker(rt, ...)` runs the configured one.
"""

from __future__ import annotations

import typing as t


def run_worker(rt: t.Any, concurrency: int, poll_seconds: float = 2.0,
               once: bool = False, stop: t.Any = None) -> None:
    """Run the configured queue's jobs in this process until stopped."""
    from server.jobs.queue import kind

    if kind(rt.store) == "procrastinate":
        from server.jobs import pg

        pg.run_worker(rt, concurrency, once=once)
        return
    from server.jobs.embedded import EmbeddedWorker

    worker = EmbeddedWorker(rt, poll_seconds=poll_seconds, concurrency=concurrency)
    if once:
        worker.defer_periodic()
        while True:
            started = worker.tick()
            if not started:
                return
            for th in started:
                th.join()
    worker.start()
    try:
        while not stop.wait(1.0):
            pass
    except KeyboardInterrupt:
        pass
    worker.stop()
