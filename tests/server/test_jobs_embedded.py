"""The embedded job queue (the `jobs` table, runner threads): a job commits with the write
that defers it, queueing locks, locks, periodic jobs once per scheduled time, retries with
backoff, stalled jobs put back. The same tests run on PostgreSQL in the second pass."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from server.admin import admin_state
from server.admin.models import SyncRequest
from server.admin.runner import enqueue
from server.jobs.embedded import EmbeddedWorker, latest_tick
from server.jobs.models import Job
from server.jobs.queue import defer, waiting
from server.jobs.specs import backoff_seconds
from server.models import utcnow
from server.rows.models import AccountDay


def jobs(store, **where):
    with store.sessions() as s:
        q = select(Job).order_by(Job.id)
        for k, v in where.items():
            q = q.where(getattr(Job, k) == v)
        return list(s.scalars(q))


def test_a_sync_request_and_its_job_commit_together(app):
    store = app.extensions["account360"].store
    with pytest.raises(RuntimeError), store.session() as s:
        s.add(SyncRequest(connector="hubspot", reason="manual", full=False,
                          requested_at=utcnow()))
        s.flush()
        defer(s, "sync", store=store, connector="hubspot")
        raise RuntimeError("the request fails after the defer")
    assert jobs(store) == []
    first = enqueue(store, "hubspot", "manual")
    second = enqueue(store, "hubspot", "webhook", streams=["deals"])
    enqueue(store, "zendesk", "connect")
    with store.sessions() as s:
        assert s.scalar(select(func.count()).select_from(SyncRequest)) == 2 + 1
    # one waiting job per connector: it serves both requests
    assert [(j.task, j.args, j.lock, j.status) for j in jobs(store)] == [
        ("sync", {"connector": "hubspot"}, "sync:hubspot", "todo"),
        ("sync", {"connector": "zendesk"}, "sync:zendesk", "todo")]
    assert second == first + 1


def test_jobs_with_one_lock_run_one_at_a_time(app):
    store = app.extensions["account360"].store
    worker = admin_state(app).runner
    with store.session() as s:
        a = defer(s, "metrics.daily", store=store)
        b = defer(s, "metrics.backfill", store=store, days=1)
        c = defer(s, "metrics.backfill", store=store, days=2)   # one already waits: no-op
    assert c is None
    claimed = worker.claim(10)
    assert [j.id for j in claimed] == [a]            # b waits: both hold the "metrics" lock
    assert worker.claim(10) == []
    other = EmbeddedWorker(worker.rt)
    assert other.claim(10) == []                     # nor does another worker take it
    worker.run(claimed[0])
    assert [j.id for j in other.claim(10)] == [b]
    assert [j.status for j in jobs(store)] == ["succeeded", "doing"]


def test_periodic_jobs_are_deferred_once_per_scheduled_time(app, load):
    load([{"type": "account", "id": "acme", "name": "Acme"},
          {"type": "account", "id": "beta", "name": "Beta"}])
    store = app.extensions["account360"].store
    one = admin_state(app).runner
    two = EmbeddedWorker(one.rt)
    now = utcnow().replace(hour=0, minute=6, second=30, microsecond=0)
    assert latest_tick("5 0 * * *", now) == now.replace(minute=5, second=0)
    made = one.defer_periodic(now) + two.defer_periodic(now) + one.defer_periodic(now)
    assert len(made) == 2                            # the daily job and the schedule check
    stamp = int(now.replace(minute=5, second=0).timestamp())
    assert [(j.task, j.periodic_key) for j in jobs(store, task="metrics.daily")] == [
        ("metrics.daily", f"metrics.daily@{stamp}")]
    later = now + timedelta(minutes=20)
    assert one.defer_periodic(later) == []           # the schedule check still waits
    for th in one.tick():
        th.join(30)
    (daily,) = jobs(store, task="metrics.daily")
    assert daily.status == "succeeded" and daily.error is None
    with store.sessions() as s:
        assert sorted(s.scalars(select(AccountDay.account_id))) == ["acme", "beta"]
    # past the daily job's catch-up window: only the next schedule check
    (jid,) = one.defer_periodic(later)
    assert [(j.task, j.periodic_key) for j in jobs(store, id=jid)] == [
        ("schedule", f"schedule@{int(later.replace(second=0).timestamp())}")]


def test_a_failing_job_is_retried_with_backoff_then_fails_with_its_error(make_app):
    app = make_app(JOB_RETRY_SECONDS=40, JOB_MAX_ATTEMPTS=3)
    store = app.extensions["account360"].store
    worker = admin_state(app).runner
    assert [backoff_seconds({"JOB_RETRY_SECONDS": 40}, n) for n in (1, 2, 3, 10)] == [
        40, 80, 160, 3600]
    with store.session() as s:
        defer(s, "metrics.daily", store=store, day="not-a-date")
    error = "ValueError: Invalid isoformat string: 'not-a-date'"
    for attempt, wait in ((1, 40), (2, 80)):
        before = utcnow()
        for th in worker.tick():
            th.join(30)
        (job,) = jobs(store)
        assert (job.status, job.attempts, job.error) == ("todo", attempt, error)
        assert before + timedelta(seconds=wait) <= job.scheduled_at <= utcnow() + timedelta(
            seconds=wait)
        assert worker.tick() == []                   # not before its time
        with store.session() as s:
            s.get(Job, job.id).scheduled_at = utcnow() - timedelta(seconds=1)
    for th in worker.tick():
        th.join(30)
    (job,) = jobs(store)
    assert (job.status, job.attempts, job.error) == ("failed", 3, error)


def test_a_job_whose_worker_stopped_beating_is_queued_again(make_app):
    app = make_app(JOB_STALLED_SECONDS=30)
    store = app.extensions["account360"].store
    worker = admin_state(app).runner
    with store.session() as s:
        dead = defer(s, "metrics.refresh", store=store)
        mine = defer(s, "metrics.backfill", store=store, days=1)
        for jid, who in ((dead, "other-host:4242:1"), (mine, worker.worker_id)):
            job = s.get(Job, jid)
            job.status, job.worker = "doing", who
            job.heartbeat_at = utcnow() - timedelta(seconds=31)
    assert worker.recover_stalled() == 1
    assert [(j.id, j.status, j.worker) for j in jobs(store)] == [
        (dead, "todo", None), (mine, "doing", worker.worker_id)]


def test_one_job_waits_per_queueing_lock_and_a_stalled_one_it_supersedes_is_closed(make_app):
    app = make_app(JOB_STALLED_SECONDS=30)
    store = app.extensions["account360"].store
    worker = admin_state(app).runner
    with store.session() as s:
        first = defer(s, "account.refresh", store=store, account_id="acme")
        assert defer(s, "account.refresh", store=store, account_id="acme") is None
        other = defer(s, "account.refresh", store=store, account_id="globex")
    assert [(j.id, j.queueing_lock) for j in jobs(store, status="todo")] == [
        (first, "refresh:acme"), (other, "refresh:globex")]
    with store.session() as s:            # acme's job runs on a worker that then dies ...
        job = s.get(Job, first)
        job.status, job.worker = "doing", "other-host:4242:1"
        job.heartbeat_at = utcnow() - timedelta(seconds=31)
    with store.session() as s:            # ... after a new open queued a second one
        again = defer(s, "account.refresh", store=store, account_id="acme")
    assert again is not None
    assert worker.recover_stalled() == 0
    (dead,) = jobs(store, id=first)
    assert (dead.status, dead.error) == ("failed", "its worker stopped; a waiting job does "
                                                   "its work")
    assert [j.id for j in jobs(store, status="todo")] == [other, again]


def test_waiting_finds_the_job_a_worker_took_after_a_defer_found_it_waiting(app):
    """A refresh request whose defer met a waiting job looks for that job a moment later: a
    worker may have taken it meanwhile, and the request must wait for it, not answer 202."""
    store = app.extensions["account360"].store
    worker = admin_state(app).runner
    with store.session() as s:
        first = defer(s, "account.refresh", store=store, account_id="acme")
    with store.session() as s:
        assert defer(s, "account.refresh", store=store, account_id="acme") is None
    assert [j.id for j in worker.claim(1)] == [first]          # taken before the look
    with store.sessions() as s:
        assert waiting(s, store, "refresh:acme") == first
    with store.session() as s:                                   # a later open queues the next
        again = defer(s, "account.refresh", store=store, account_id="acme")
    with store.sessions() as s:
        assert waiting(s, store, "refresh:acme") == again        # the waiting one first
        assert waiting(s, store, "refresh:globex") is None
    with store.session() as s:
        for j in s.scalars(select(Job)):
            j.status = "succeeded"
    with store.sessions() as s:
        assert waiting(s, store, "refresh:acme") is None


def test_latest_tick_with_seconds():
    now = datetime(2026, 12, 1, 12, 0, 7, tzinfo=timezone.utc)
    assert latest_tick("* * * * * */5", now) == now.replace(second=5)   # 6th field: seconds


def test_a_request_while_a_sync_waits_for_its_retry_gets_a_job_of_its_own(app):
    store = app.extensions["account360"].store
    enqueue(store, "hubspot", "schedule")
    with store.session() as s:
        (job,) = s.scalars(select(Job))
        job.attempts, job.scheduled_at = 1, utcnow() + timedelta(minutes=5)
    enqueue(store, "hubspot", "manual")
    assert [(j.attempts, j.status) for j in jobs(store)] == [(1, "todo"), (0, "todo")]
    (now,) = admin_state(app).runner.claim(10)     # the new one runs now, the retry later
    assert now.attempts == 0


def test_the_daily_job_queues_a_playbooks_run(make_app, tmp_path):
    from server.importer import import_lines
    from server.models import Task
    from server.playbooks.models import PlaybookRun

    book = tmp_path / "playbooks.toml"
    book.write_text('[[playbook]]\nname = "Never touched"\nwhen = { signal = "no_touch" }\n'
                    '[[playbook.action]]\ntask = { subject = "Reach out to {account.name}" }\n')
    app = make_app(PLAYBOOKS=str(book))
    store, worker = app.extensions["account360"].store, admin_state(app).runner
    start = (utcnow() - timedelta(days=200)).date().isoformat()
    import_lines(store, [b'{"type": "account", "id": "quiet", "name": "Quiet Co", '
                         b'"onboarding_start": "' + start.encode() + b'"}'])
    with store.session() as s:
        defer(s, "metrics.daily", store=store)
    for _ in range(2):                       # the daily job, then the run it queued
        for th in worker.tick():
            th.join(30)
    assert [(j.task, j.args, j.status) for j in jobs(store)] == [
        ("metrics.daily", {}, "succeeded"),
        ("playbooks.run", {"trigger": "daily"}, "succeeded")]
    with store.sessions() as s:
        assert [r.trigger for r in s.scalars(select(PlaybookRun))] == ["daily"]
        assert [t.subject for t in s.scalars(select(Task))] == ["Reach out to Quiet Co"]
