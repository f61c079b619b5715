"""Fresh on open on the procrastinate queue: `POST /api/v1/accounts/<id>/refresh` defers an
`account.refresh` job that a real `account360 worker` process runs; with no worker in time
the request answers 202 "queued" and however many requests ask, one job waits per account;
the worker then lands the account's records."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import text

from server import models as m
from server.auth import create_token
from server.extension_models import AccountRefresh
from server.sync import run_sync
from tests.connectors import hubspot_portal as hp
from tests.jobs.conftest import SECRET, wait_for

ACME = f"hubspot-{hp.ACME}"


def refresh_jobs(store) -> list[tuple]:
    with store.sessions() as s:
        return list(s.execute(text(
            "SELECT id, status::text, queueing_lock FROM procrastinate_jobs "
            "WHERE task_name = 'account.refresh' ORDER BY id")))


def synced_an_hour_ago(store, hubspot_fake) -> None:
    from connectors.hubspot import HubSpotConnector, HubSpotSettings

    hp.seed(hubspot_fake)
    conn = HubSpotConnector(HubSpotSettings.from_dict({
        "access_token": "pat-test-token", "base_url": hubspot_fake.url,
        "search_lag_seconds": 0}))
    assert run_sync(store, conn)["status"] == "success"
    conn.close()
    with store.session() as s:
        fresh = s.get(m.SourceFreshness, "hubspot")
        fresh.synced_at = fresh.synced_at - timedelta(hours=1)


def title(store, contact: str) -> str | None:
    with store.sessions() as s:
        return s.get(m.Contact, contact).title


def test_refresh_is_a_job_run_by_a_worker_202_while_none_runs(connected, workers, hubspot_fake,
                                                              make_app):
    store = connected
    synced_an_hour_ago(store, hubspot_fake)
    cfg = {"JOB_QUEUE": "procrastinate", "SECRET_KEY": SECRET,
           "SCHEDULE_CRON": "0 0 1 1 *", "METRICS_DAILY_CRON": "0 0 1 1 *"}
    hasty = make_app(**cfg, REFRESH_WAIT_SECONDS=0.3).test_client()
    patient = make_app(**cfg).test_client()       # waits up to the default 10 s
    auth = {"Authorization": f"Bearer {create_token(store, 'extension')}"}
    url = f"/api/v1/accounts/{ACME}/refresh"
    hubspot_fake.touch("contacts", 501, hp.T0 + 900 * hp.MIN, jobtitle="Chief of Ops")

    first = hasty.post(url, headers=auth)         # no worker yet
    assert first.status_code == 202, first.get_json()
    body = first.get_json()
    assert (body["status"], body["system"], body["fetched_at"]) == ("queued", "hubspot", None)
    again = hasty.post(url, headers=auth)
    assert again.status_code == 202 and again.get_json()["job_id"] == body["job_id"]
    assert refresh_jobs(store) == [(body["job_id"], "todo", f"refresh:{ACME}")]
    assert title(store, "hubspot-501") != "Chief of Ops"

    workers.start(1)
    wait_for(lambda: refresh_jobs(store)[0][1] == "succeeded", 60, "the refresh job", workers)
    assert title(store, "hubspot-501") == "Chief of Ops"
    fresh = patient.post(url, headers=auth)
    assert fresh.status_code == 200 and fresh.get_json()["status"] == "fresh"

    # stale again: with a worker running, the request waits for its job and answers 200
    with store.session() as s:
        row = s.get(AccountRefresh, (ACME, "hubspot"))
        row.finished_at -= timedelta(hours=1)
        row.started_at -= timedelta(hours=1)
    hubspot_fake.touch("contacts", 501, hp.T0 + 901 * hp.MIN, jobtitle="CEO")
    done = patient.post(url, headers=auth)
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["status"] == "refreshed" and done.get_json()["fetched_at"]
    assert title(store, "hubspot-501") == "CEO"
    assert [j[1] for j in refresh_jobs(store)] == ["succeeded", "succeeded"]


def test_waiting_finds_the_job_a_worker_took_after_a_defer_found_it_waiting(pg_store):
    """On procrastinate too: the job a defer met waiting is found once a worker took it."""
    from server.jobs.queue import defer, waiting

    store = pg_store
    with store.session() as s:
        first = defer(s, "account.refresh", store=store, account_id="acme")
    with store.session() as s:
        assert defer(s, "account.refresh", store=store, account_id="acme") is None
        s.execute(text("UPDATE procrastinate_jobs SET status = 'doing' WHERE id = :i"),
                  {"i": first})
    with store.sessions() as s:
        assert waiting(s, store, "refresh:acme") == first
    with store.session() as s:
        again = defer(s, "account.refresh", store=store, account_id="acme")
    with store.sessions() as s:
        assert again not in (None, first) and waiting(s, store, "refresh:acme") == again
        assert waiting(s, store, "refresh:globex") is None


def test_a_stalled_refresh_superseded_by_a_waiting_one_is_closed(pg_store, workers):
    """Its worker died while a new open queued the account's next refresh: putting the
    stalled job back would break the queueing lock, so it is closed and the waiting job does
    the work; nothing stays 'doing'."""
    from server.jobs.queue import defer

    store = pg_store
    with store.session() as s:
        stalled = defer(s, "account.refresh", store=store, account_id="acme")
    with store.session() as s:       # claimed by a worker that is gone (no heartbeat row)
        s.execute(text("UPDATE procrastinate_jobs SET status = 'doing', worker_id = NULL "
                       "WHERE id = :i"), {"i": stalled})
    with store.session() as s:
        waiting = defer(s, "account.refresh", store=store, account_id="acme")
    assert waiting is not None and waiting != stalled
    workers.start(1)

    def statuses():
        with store.sessions() as s:
            return dict(s.execute(text("SELECT id, status::text FROM procrastinate_jobs")).all())

    wait_for(lambda: statuses().get(stalled) == "failed", 60, "the stalled job to close",
             workers)
    # the waiting one ran (the account is unknown here, so it failed: attempts=1, no retry)
    wait_for(lambda: statuses().get(waiting) in ("succeeded", "failed"), 60,
             "the waiting job to run", workers)
    assert "doing" not in statuses().values()
    log = (workers.tmp / "worker-0.log").read_text(errors="replace")
    assert f"job account.refresh {stalled}: its worker stopped; a waiting job does its work" \
        in log
    assert f"Starting job account.refresh[{stalled}]" not in log     # never run again
