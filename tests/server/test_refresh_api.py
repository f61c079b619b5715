"""POST /api/v1/accounts/<id>/refresh against the fake HubSpot portal, with the connector
configured as the admin app stores it: the fetch is an `account.refresh` job on the embedded
queue, run by the app's own runner (woken by the request); without a runner in time the
answer is 202 "queued", one job waits per account, and the job lands the records later."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from server import models as m
from server.jobs.models import Job
from server.sync import run_sync
from tests.connectors import hubspot_portal as hp
from tests.connectors.fake_hubspot import FakeHubSpot


@pytest.fixture
def fake():
    f = FakeHubSpot()
    f.url = f.start()
    hp.seed(f)
    yield f
    f.stop()


QUIET = {"SCHEDULE_CRON": "0 0 1 1 *", "METRICS_DAILY_CRON": "0 0 1 1 *"}


def connected_app(make_app, fake, **cfg):
    from connectors.hubspot import HubSpotConnector, HubSpotSettings
    from server.admin import admin_state

    app = make_app(**QUIET, **cfg)
    store = app.extensions["account360"].store
    settings = {"access_token": "pat-test-token", "base_url": fake.url, "search_lag_seconds": 0}
    conn = HubSpotConnector(HubSpotSettings.from_dict(settings))
    assert run_sync(store, conn)["status"] == "success"
    conn.close()
    admin_state(app).credentials.save("hubspot", settings, connected=True)
    with store.session() as s:  # the last full sync was an hour ago
        hour_ago = datetime.now(timezone.utc) - timedelta(hours=1)
        s.get(m.SourceFreshness, "hubspot").synced_at = hour_ago
    return app


@pytest.fixture
def app(make_app, fake):
    """The app with its embedded runner started, as `account360 serve` runs it."""
    from server.admin import admin_state

    app = connected_app(make_app, fake)
    runner = admin_state(app).runner
    runner.poll_seconds = 30     # only the request's wake-up runs the job in time
    runner.start()
    yield app
    runner.stop()


def refresh_jobs(app) -> list[tuple]:
    with app.extensions["account360"].store.sessions() as s:
        return list(s.execute(select(Job.status, Job.args["account_id"].as_string())
                              .where(Job.task == "account.refresh").order_by(Job.id)))


def company_fetches(fake) -> int:
    return sum(1 for e in fake.requests("POST", r"/companies/search$"))


def test_refresh_on_open_then_fresh(app, client, auth, fake):
    acme = f"hubspot-{hp.ACME}"
    fake.touch("contacts", 501, hp.T0 + 900 * hp.MIN, jobtitle="Chief of Ops")
    r = client.post(f"/api/v1/accounts/{acme}/refresh", headers=auth)
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert body["status"] == "refreshed" and body["system"] == "hubspot"
    assert body["fetched_at"] and body["next_after"]
    people = client.get(f"/api/v1/accounts/{acme}/360", headers=auth).get_json()
    assert people["account"]["id"] == acme
    with app.extensions["account360"].store.sessions() as s:
        assert s.get(m.Contact, "hubspot-501").title == "Chief of Ops"
    before = len(fake.log)
    again = client.post(f"/api/v1/accounts/{acme}/refresh", headers=auth).get_json()
    assert again["status"] == "fresh" and len(fake.log) == before
    assert refresh_jobs(app) == [("succeeded", acme)]     # the fetch ran as a job


def test_refresh_errors(app, client, auth, fake):
    assert client.post("/api/v1/accounts/nope/refresh", headers=auth).status_code == 404
    assert client.post(f"/api/v1/accounts/hubspot-{hp.ACME}/refresh").status_code == 401
    fake.expire("pat-test-token")
    r = client.post(f"/api/v1/accounts/hubspot-{hp.ACME}/refresh", headers=auth)
    assert r.status_code == 502
    err = r.get_json()["error"]
    assert err["code"] == "crm_unavailable" and set(err) == {"code", "message", "details"}


def test_without_a_worker_in_time_202_queued_and_one_job_per_account(make_app, fake):
    from server.admin import admin_state
    from server.auth import create_token

    app = connected_app(make_app, fake, REFRESH_WAIT_SECONDS=0.2)   # no runner started
    store = app.extensions["account360"].store
    auth = {"Authorization": f"Bearer {create_token(store, 'ext')}"}
    client = app.test_client()
    acme = f"hubspot-{hp.ACME}"
    fake.touch("contacts", 501, hp.T0 + 900 * hp.MIN, jobtitle="Chief of Ops")
    url = f"/api/v1/accounts/{acme}/refresh"
    synced = company_fetches(fake)                          # the sync's own searches
    first = client.post(url, headers=auth)
    assert first.status_code == 202, first.get_json()
    body = first.get_json()
    assert body["status"] == "queued" and body["system"] == "hubspot" and body["job_id"]
    assert body["fetched_at"] is None and body["crm_data_at"] is not None   # the last sync
    second = client.post(url, headers=auth)
    assert second.status_code == 202 and second.get_json()["job_id"] == body["job_id"]
    assert refresh_jobs(app) == [("todo", acme)]           # the queueing lock: one waits
    assert company_fetches(fake) == synced
    for th in admin_state(app).runner.tick():              # a worker runs it
        th.join(30)
    assert refresh_jobs(app) == [("succeeded", acme)] and company_fetches(fake) == synced + 1
    with store.sessions() as s:
        assert s.get(m.Contact, "hubspot-501").title == "Chief of Ops"
    after = client.post(url, headers=auth)
    assert after.status_code == 200
    assert after.get_json()["status"] == "fresh" and after.get_json()["fetched_at"]


def test_concurrent_opens_share_one_fetch(app, auth, fake):
    acme = f"hubspot-{hp.ACME}"
    fake.search_delay = 0.2
    synced = company_fetches(fake)
    answers: list = []

    def open_it():
        r = app.test_client().post(f"/api/v1/accounts/{acme}/refresh", headers=auth)
        answers.append((r.status_code, r.get_json()["status"]))

    threads = [threading.Thread(target=open_it) for _ in range(5)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(60)
    assert len(answers) == 5 and all(code == 200 for code, _ in answers), answers
    assert {st for _, st in answers} <= {"refreshed", "shared"}, answers
    assert company_fetches(fake) == synced + 1, answers    # one fetch served all five
