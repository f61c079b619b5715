"""POST /api/v1/accounts/<id>/refresh against the fake HubSpot portal, with the connector
configured as the admin app stores it."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from server import models as m
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


@pytest.fixture
def app(make_app, fake):
    from connectors.hubspot import HubSpotConnector, HubSpotSettings
    from server.admin import admin_state

    app = make_app()
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


def test_refresh_errors(app, client, auth, fake):
    assert client.post("/api/v1/accounts/nope/refresh", headers=auth).status_code == 404
    assert client.post(f"/api/v1/accounts/hubspot-{hp.ACME}/refresh").status_code == 401
    fake.expire("pat-test-token")
    r = client.post(f"/api/v1/accounts/hubspot-{hp.ACME}/refresh", headers=auth)
    assert r.status_code == 502
    err = r.get_json()["error"]
    assert err["code"] == "crm_unavailable" and set(err) == {"code", "message", "details"}
