"""A failing background sync is retried with backoff; the connector card and
GET /api/v1/syncs show its last error and attempts, and a later success clears them."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from server.auth import create_token
from server.jobs.models import Job
from server.models import utcnow
from tests.admin.test_oauth import connect


def card(b):
    return next(c for c in b.get("/admin/api/connectors").get_json()["connectors"]
                if c["name"] == "hubspot")


def test_failed_sync_is_retried_and_its_error_and_attempts_are_shown(app, admin_browser,
                                                                     oauth_fake,
                                                                     admin_state_):
    store = app.extensions["account360"].store
    connect(admin_browser, oauth_fake)
    good_refresh = oauth_fake.refresh_token
    oauth_fake.valid_tokens.clear()
    oauth_fake.refresh_token = "changed-at-the-vendor"  # the refresh fails too
    before = utcnow()
    for th in admin_state_.runner.tick():
        th.join(30)
    hub = card(admin_browser)
    said = "HubSpot refused the refresh token: unknown refresh token"
    assert hub["status"] == "error" and hub["pending"] == 1
    assert said in hub["last_error"]
    assert hub["last_error"].endswith(" (attempt 1 of 5; retrying)"), hub["last_error"]
    retry = hub["retry"]
    assert (retry["attempts"], retry["of"], retry["status"]) == (1, 5, "todo")
    page = admin_browser.get("/admin/connectors").get_data(as_text=True)
    assert "1 failed of 5 attempts, next at" in page
    with store.sessions() as s:
        (job,) = s.scalars(select(Job).where(Job.task == "sync"))
        assert before + timedelta(seconds=30) <= job.scheduled_at
    token = create_token(store, "reader")
    body = app.test_client().get("/api/v1/syncs", headers={
        "Authorization": f"Bearer {token}"}).get_json()
    (queued,) = body["queue"]
    assert (queued["connector"], queued["status"], queued["attempts"],
            queued["max_attempts"]) == ("hubspot", "todo", 1, 5)
    assert queued["last_error"] == hub["last_error"] and queued["next_attempt_at"]
    assert body["items"][0]["status"] == "failed" and said in body["items"][0]["error"]
    # the vendor is back; the retry (made due now) succeeds and clears the error
    oauth_fake.refresh_token = good_refresh
    with store.session() as s:
        s.get(Job, job.id).scheduled_at = utcnow()
    for th in admin_state_.runner.tick():
        th.join(30)
    hub = card(admin_browser)
    assert (hub["status"], hub["last_error"], hub["retry"], hub["pending"]) == (
        "connected", None, None, 0)
    assert hub["run"]["status"] == "success"
