"""Background syncs with live per-stream progress, the schedule, and the HubSpot webhook."""

from __future__ import annotations

import json
import time
from pathlib import Path

from sqlalchemy import select

from server.admin.models import SyncRequest
from tests.admin.test_oauth import connect
from tests.connectors.hubspot_portal import seed


def test_first_sync_runs_in_the_background_with_live_progress(app, admin_browser, oauth_fake,
                                                             admin_state_):
    seed(oauth_fake)
    oauth_fake.search_delay = 0.4
    connect(admin_browser, oauth_fake)
    cards = admin_browser.get("/admin/api/connectors").get_json()["connectors"]
    hub = next(c for c in cards if c["name"] == "hubspot")
    assert hub["status"] == "syncing" and hub["pending"] == 1 and hub["run"] is None
    runner = admin_state_.runner
    started = runner.tick()
    assert [t.name for t in started] == ["a360-sync-hubspot"]
    seen_running, seen_partial = set(), False
    deadline = time.time() + 60
    while started[0].is_alive() and time.time() < deadline:
        hub = next(c for c in admin_browser.get("/admin/api/connectors").get_json()["connectors"]
                   if c["name"] == "hubspot")
        if hub["run"] and hub["run"]["status"] == "running":
            assert hub["status"] == "syncing"
            for s in hub["run"]["streams"]:
                if s["status"] == "running":
                    seen_running.add(s["name"])
            if 0 < hub["run"]["done"] < hub["run"]["total"]:
                seen_partial = True
        time.sleep(0.02)
    started[0].join(5)
    assert seen_running and seen_partial  # progress was visible while the sync ran
    hub = next(c for c in admin_browser.get("/admin/api/connectors").get_json()["connectors"]
               if c["name"] == "hubspot")
    assert hub["status"] == "connected", hub
    assert hub["run"]["status"] == "success" and hub["run"]["done"] == hub["run"]["total"]
    assert hub["run"]["totals"]["records"] > 0 and hub["pending"] == 0
    assert {s["name"] for s in hub["run"]["streams"]} >= {"companies", "contacts", "deals"}
    page = admin_browser.get("/admin/connectors").get_data(as_text=True)
    assert 'data-stream="companies"' in page and "success" in page
    # the schedule: nothing is due right after a run; due once the interval has passed
    assert runner.schedule_due() == []
    admin_browser.post("/admin/connectors/hubspot/schedule", {"minutes": "0"})
    assert runner.schedule_due() == []


def test_schedule_queues_a_due_connector(app, admin_browser, oauth_fake, admin_state_):
    connect(admin_browser, oauth_fake)
    store = app.extensions["account360"].store
    with store.session() as s:
        for r in s.scalars(select(SyncRequest)):
            r.finished_at = r.requested_at  # the first sync is out of the way
    assert admin_state_.runner.schedule_due() == ["hubspot"]  # never ran: due
    assert admin_state_.runner.schedule_due() == []  # already queued


def test_failed_sync_shows_the_error_on_the_card(app, admin_browser, oauth_fake, admin_state_):
    connect(admin_browser, oauth_fake)
    oauth_fake.valid_tokens.clear()
    oauth_fake.refresh_token = "changed-at-the-vendor"  # the refresh fails too
    for th in admin_state_.runner.tick():
        th.join(30)
    hub = next(c for c in admin_browser.get("/admin/api/connectors").get_json()["connectors"]
               if c["name"] == "hubspot")
    assert hub["status"] == "error" and hub["last_error"]
    assert oauth_fake.client_secret not in json.dumps(hub)


# -- webhooks ---------------------------------------------------------------------------
VECTOR_BODY = ('[{"eventId":1,"subscriptionId":12345,"portalId":62515,"occurredAt":1564113600000,'
               '"subscriptionType":"contact.creation","attemptNumber":0,"objectId":123,'
               '"changeSource":"CRM","changeFlag":"NEW","appId":54321}]')


def test_signature_v3_matches_the_published_vector():
    from server.admin.webhooks import signature_v3, verify_v3

    sig = signature_v3("yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy", "POST",
                       "https://example.com/hubspot/webhook", VECTOR_BODY.encode(),
                       "1751900000123")
    assert sig == "q6DYcT3ICd5fpdzlaQmYfdhjF+M2yXgY99Lcfu8vS8o="
    assert verify_v3("yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy", "POST",
                     "https://example.com/hubspot/webhook", VECTOR_BODY.encode(), sig,
                     "1751900000123", now_ms=1751900000123 + 299_000)
    assert not verify_v3("yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy", "POST",
                         "https://example.com/hubspot/webhook", VECTOR_BODY.encode(), sig,
                         "1751900000123", now_ms=1751900000123 + 301_000)


def _post(client, secret, body: bytes, ts: int | None = None, sig: str | None = None,
          uri="http://localhost/webhooks/hubspot"):
    from server.admin.webhooks import signature_v3

    ts = int(time.time() * 1000) if ts is None else ts
    sig = sig or signature_v3(secret, "POST", uri, body, str(ts))
    return client.post("/webhooks/hubspot", data=body, content_type="application/json",
                       headers={"X-HubSpot-Signature-v3": sig,
                                "X-HubSpot-Request-Timestamp": str(ts)})


def _requests(app):
    with app.extensions["account360"].store.sessions() as s:
        return list(s.scalars(select(SyncRequest).where(SyncRequest.reason == "webhook")))


def test_webhook_good_signature_queues_an_incremental_sync(app, admin_browser, oauth_fake):
    connect(admin_browser, oauth_fake)
    body = open(Path(__file__).resolve().parents[1] / "fixtures" / "vendor-specs" / "hubspot" / "webhook_batch.json", "rb").read()
    r = _post(app.test_client(), oauth_fake.client_secret, body)
    assert r.status_code == 202, r.data
    assert r.get_json()["streams"] == ["companies", "deals"]
    (req,) = _requests(app)
    assert req.streams == ["companies", "deals"] and not req.full
    assert req.detail["objects"] == {"deals": ["24001122335"], "companies": ["18544961424"]}


def test_webhook_bad_or_stale_signature_is_refused_and_changes_nothing(app, admin_browser,
                                                                      oauth_fake):
    connect(admin_browser, oauth_fake)
    body = VECTOR_BODY.encode()
    c = app.test_client()
    assert _post(c, "not-the-app-secret", body).status_code == 401
    assert _post(c, oauth_fake.client_secret, body,
                 ts=int(time.time() * 1000) - 6 * 60 * 1000).status_code == 401
    assert _post(c, oauth_fake.client_secret, body, sig="AAAA").status_code == 401
    good = _post(c, oauth_fake.client_secret, body)  # tampered body below
    assert good.status_code == 202
    from server.admin.webhooks import signature_v3

    ts = str(int(time.time() * 1000))
    sig = signature_v3(oauth_fake.client_secret, "POST", "http://localhost/webhooks/hubspot",
                       body, ts)
    r = c.post("/webhooks/hubspot", data=body.replace(b"123", b"999"),
               content_type="application/json",
               headers={"X-HubSpot-Signature-v3": sig, "X-HubSpot-Request-Timestamp": ts})
    assert r.status_code == 401
    r = c.post("/webhooks/hubspot", data=body, content_type="application/json")
    assert r.status_code == 401
    assert len(_requests(app)) == 1  # only the good one


def test_webhook_uri_uses_the_public_url(make_app, oauth_fake):
    app = make_app(PUBLIC_URL="https://cs.example.com", **oauth_fake.app_config())
    body = VECTOR_BODY.encode()
    c = app.test_client()
    assert _post(c, oauth_fake.client_secret, body).status_code == 401
    r = _post(c, oauth_fake.client_secret, body,
              uri="https://cs.example.com/webhooks/hubspot")
    assert r.status_code == 200  # valid, but HubSpot is not connected: nothing to queue
