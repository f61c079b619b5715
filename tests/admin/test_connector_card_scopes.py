"""The connector card says which stream failed and which HubSpot scope is missing."""

from __future__ import annotations

from tests.admin.test_oauth import connect
from tests.connectors.hubspot_portal import seed
from tests.connectors.test_stream_failures import MISSING_DEALS_SCOPE


def test_the_card_names_the_missing_scope_and_the_other_streams_landed(
        app, admin_browser, oauth_fake, admin_state_):
    seed(oauth_fake)
    oauth_fake.fail("POST", r"/deals/search$", 403, MISSING_DEALS_SCOPE, times=99)
    connect(admin_browser, oauth_fake)
    for th in admin_state_.runner.tick():
        th.join(60)
    hub = next(c for c in admin_browser.get("/admin/api/connectors").get_json()["connectors"]
               if c["name"] == "hubspot")
    run = hub["run"]
    assert hub["status"] == "error" and run["status"] == "partial"
    assert run["missing_scopes"] == [{"stream": "deals", "scopes": ["crm.objects.deals.read"]}]
    streams = {s["name"]: (s["status"], s["records"]) for s in run["streams"]}
    assert streams["deals"] == ("failed", 0) and streams["tickets"] == ("success", 2)
    assert streams["emails"] == ("success", 1)
    deals = next(s for s in run["streams"] if s["name"] == "deals")
    assert deals["error"].startswith("HubSpot deals: 403 not authorised: missing scope "
                                     "crm.objects.deals.read")
    assert hub["last_error"].startswith("deals: HubSpot deals: 403")
    page = admin_browser.get("/admin/connectors").get_data(as_text=True)
    assert 'data-field="missing-scopes" class="err">deals: crm.objects.deals.read</dd>' in page
    assert "HubSpot deals: 403 not authorised" in page


def test_a_partial_run_is_not_retried_and_the_next_sync_reads_the_failed_stream_again(
        app, admin_browser, oauth_fake, admin_state_):
    from sqlalchemy import select

    from server.jobs.models import Job

    store = app.extensions["account360"].store
    seed(oauth_fake)
    oauth_fake.fail("POST", r"/deals/search$", 403, MISSING_DEALS_SCOPE, times=99)
    connect(admin_browser, oauth_fake)
    for th in admin_state_.runner.tick():
        th.join(60)
    with store.sessions() as s:
        jobs = s.scalars(select(Job).where(Job.task == "sync")).all()
    # finished with no failed attempt: a missing scope is not retried attempt after attempt
    assert [(j.status, j.attempts) for j in jobs] == [("succeeded", 0)]
    hub = next(c for c in admin_browser.get("/admin/api/connectors").get_json()["connectors"]
               if c["name"] == "hubspot")
    assert hub["retry"] is None and hub["pending"] == 0
    assert hub["last_error"].endswith("(partial run; the next sync reads the failed "
                                      "streams again)"), hub["last_error"]
