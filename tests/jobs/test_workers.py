"""The procrastinate queue with real PostgreSQL and real `account360 worker` processes: one
sync per connector at a time across workers, a worker killed with kill -9 mid-sync (the job
is retried on the other worker and resumes from its bookmark: 0 lost, 0 duplicated), two
schedulers deferring a periodic job once, and a failing job retried with backoff and its
error visible."""

from __future__ import annotations

import os
import signal
import time

from sqlalchemy import func, select, text

from server import models as m
from server.admin.models import ConnectorConfig, SyncRequest
from server.admin.runner import enqueue
from server.models import SyncRun
from tests.connectors.test_hubspot_resume import portal
from tests.jobs.conftest import count, wait_for


def jobs(store, task: str) -> list[tuple]:
    with store.sessions() as s:
        return list(s.execute(text(
            "SELECT id, status::text, attempts, args FROM procrastinate_jobs "
            "WHERE task_name = :t ORDER BY id"), {"t": task}))


def runs(store) -> list[SyncRun]:
    with store.sessions() as s:
        return list(s.scalars(select(SyncRun).order_by(SyncRun.id)))


def done(store) -> bool:
    return count(store, SyncRequest, SyncRequest.finished_at.is_(None)) == 0


def test_one_sync_per_connector_at_a_time_across_two_workers(connected, workers,
                                                             hubspot_fake):
    store = connected
    portal(hubspot_fake, 40)
    hubspot_fake.search_delay = 0.05
    # no stalled-job recovery within the test (a busy machine can delay a heartbeat by the
    # 2 s the kill -9 test needs, and a recovered job would be a third run)
    workers.start(2, ACCOUNT360_JOB_STALLED_SECONDS="60")
    enqueue(store, "hubspot", "manual", streams=["companies", "deals"])
    wait_for(lambda: count(store, SyncRun, SyncRun.status == "running"), 60,
             "the first sync to start", workers)
    # while it runs: more requests; the second job waits for the connector's lock
    enqueue(store, "hubspot", "webhook", streams=["deals"])
    enqueue(store, "hubspot", "manual", streams=["deals"])   # shares the waiting job
    seen = set()
    deadline = time.time() + 90
    while not done(store) and time.time() < deadline:
        with store.sessions() as s:
            doing = s.scalar(text("SELECT count(*) FROM procrastinate_jobs "
                                  "WHERE task_name = 'sync' AND status = 'doing'"))
        seen.add(doing)
        assert doing <= 1
        assert count(store, SyncRun, SyncRun.status == "running") <= 1
        time.sleep(0.05)
    assert done(store), workers.logs()
    wait_for(lambda: all(j[1] == "succeeded" for j in jobs(store, "sync")), 30,
             "the sync jobs to finish", workers)
    assert [(j[1], j[3]) for j in jobs(store, "sync")] == [
        ("succeeded", {"connector": "hubspot"}), ("succeeded", {"connector": "hubspot"})]
    first, second = runs(store)
    assert (first.status, second.status) == ("success", "success")
    assert second.started_at >= first.finished_at           # never two at once
    assert list(second.streams) == ["deals"]
    assert count(store, m.Deal) == 40 and seen >= {1}


def test_kill_9_mid_sync_is_retried_on_the_other_worker_and_resumes(connected, workers,
                                                                   hubspot_fake):
    store = connected
    total = 300
    portal(hubspot_fake, total)
    hubspot_fake.search_delay = 0.05
    procs = workers.start(2)
    enqueue(store, "hubspot", "manual", streams=["companies", "deals"])
    wait_for(lambda: count(store, m.Deal) >= 40, 90, "40 deals to land", workers)
    (running,) = [r for r in runs(store) if r.status == "running"]
    victim = next(p for p in procs if p.pid == running.pid)
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait(timeout=10)
    landed = count(store, m.Deal)
    assert 40 <= landed < total
    wait_for(lambda: done(store), 120, "the retried sync to finish", workers)
    (other,) = [p for p in procs if p is not victim]
    killed, resumed = runs(store)
    assert (killed.status, resumed.status) == ("interrupted", "success")
    assert resumed.pid == other.pid
    # From the bookmark: the killed attempt's run row is committed with each of its pages, so
    # it counts what it landed, including a page whose COMMIT reached PostgreSQL just before
    # the kill and became visible after `landed` was counted.
    first = killed.streams["deals"]["records"]
    assert landed <= first < total
    assert resumed.streams["deals"]["records"] == total - first
    assert count(store, m.Deal) == total                            # 0 lost
    with store.sessions() as s:
        assert s.scalar(select(func.count(func.distinct(m.Deal.amount)))) == total  # 0 twice
    (job,) = jobs(store, "sync")
    assert job[1] == "succeeded" and job[2] == 2    # the killed attempt, then the retry


def test_two_schedulers_defer_each_periodic_run_once(connected, workers):
    store = connected
    workers.start(2, ACCOUNT360_METRICS_DAILY_CRON="* * * * * */2")   # every 2 seconds
    wait_for(lambda: len([j for j in jobs(store, "metrics.daily") if j[1] == "succeeded"]) >= 3,
             60, "three daily-metrics runs", workers)
    assert [p.poll() for p in workers.procs] == [None, None]   # both schedulers ran throughout
    workers.stop()
    stamps = [j[3]["timestamp"] for j in jobs(store, "metrics.daily")]
    assert len(stamps) == len(set(stamps)) >= 3         # each scheduled time deferred once
    assert all(s % 2 == 0 for s in stamps)
    with store.sessions() as s:
        last = s.scalar(text("SELECT max(defer_timestamp) FROM procrastinate_periodic_defers "
                             "WHERE task_name = 'metrics.daily'"))
    assert last == max(stamps)


def test_a_failing_sync_retries_with_backoff_and_shows_its_error(connected, workers,
                                                                 hubspot_fake, make_app):
    store = connected
    hubspot_fake.valid_tokens = {"another-token"}      # HubSpot refuses ours: 401
    workers.start(1, ACCOUNT360_JOB_MAX_ATTEMPTS="3")
    enqueue(store, "hubspot", "manual", streams=["companies"])
    wait_for(lambda: [j for j in jobs(store, "sync") if j[1] == "failed"], 60,
             "the sync to fail three times", workers)
    (job,) = jobs(store, "sync")
    assert (job[1], job[2]) == ("failed", 3)
    attempts = runs(store)
    assert [r.status for r in attempts] == ["failed", "failed", "failed"]
    # backoff: 1 s after the first failure, 2 s after the second
    assert (attempts[1].started_at - attempts[0].finished_at).total_seconds() >= 1
    assert (attempts[2].started_at - attempts[1].finished_at).total_seconds() >= 2
    with store.sessions() as s:
        error = s.get(ConnectorConfig, "hubspot").last_error
    assert error.endswith(" (attempt 3 of 3; gave up)") and "401" in error, error
    assert done(store)                                   # the request is closed, not lost
    app = make_app(JOB_QUEUE="procrastinate", JOB_MAX_ATTEMPTS=3, SECRET_KEY="jobs-test-secret")
    from server.auth import create_token

    token = create_token(app.extensions["account360"].store, "reader")
    body = app.test_client().get("/api/v1/syncs", headers={
        "Authorization": f"Bearer {token}"}).get_json()
    assert body["queue"] == [{"connector": "hubspot", "job_id": job[0], "status": "failed",
                              "attempts": 3, "next_attempt_at": None, "max_attempts": 3,
                              "last_error": error}]
