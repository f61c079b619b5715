"""HubSpot connector against a fake portal over real HTTP, through hubspot-api-client."""

from __future__ import annotations

import time
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select

from server import models as m
from server.sync import load_state, run_sync
from tests.connectors.hubspot_portal import ACME, GLOBEX, INITECH, MIN, seed

COMPANY_PROPS = {"seats_property": "seats", "renewal_date_property": "renewal_date",
                 "arr_property": "annualrevenue"}


def count(store, model, *where):
    with store.sessions() as s:
        q = select(func.count()).select_from(model)
        for w in where:
            q = q.where(w)
        return s.scalar(q)


def get(store, model, key):
    with store.sessions() as s:
        return s.get(model, key)


def test_full_sync_lands_every_object_type_with_mapped_values(store, hubspot_fake, hubspot):
    seed(hubspot_fake)
    report = run_sync(store, hubspot(**COMPANY_PROPS))
    st = report["streams"]
    assert report["status"] == "success"
    assert st["companies"]["records"] == 3 and st["companies"]["pages"] >= 2
    acme = get(store, m.Account, f"hubspot-{ACME}")
    assert acme.name == "Acme Analytics" and acme.owner == "dana@vendor.example"
    assert acme.domains == ["acme.io", "acme-analytics.com"] and acme.seats == 120
    assert acme.renewal_date == date(2026, 6, 30)
    assert acme.attributes["crm_arr"] == "1200000"
    assert get(store, m.Account, f"hubspot-{GLOBEX}").owner == "sam@vendor.example"
    assert get(store, m.Account, f"hubspot-{INITECH}").name == "initech.example"

    # contacts: one without email is skipped with its id, one without a company is unmapped
    assert (st["contacts"]["records"], st["contacts"]["skipped"], st["contacts"]["unmapped"]) \
        == (3, 1, 1)
    assert st["contacts"]["skipped_samples"] == [
        {"vendor_id": "503", "reason": "contact has no email address"}]
    assert st["contacts"]["unmapped_keys"] == {"freelance.example": 1}
    jane = get(store, m.Contact, "hubspot-501")
    assert (jane.email, jane.name, jane.title, jane.account_id) == (
        "jane@acme.io", "Jane Doe", "VP Ops", f"hubspot-{ACME}")
    assert get(store, m.Contact, "hubspot-505").account_id == f"hubspot-{GLOBEX}"  # primary

    # deals: kinds from the settings mapping, statuses from pipeline stages
    assert (st["deals"]["records"], st["deals"]["skipped"], st["deals"]["unmapped"]) == (4, 1, 1)
    assert st["deals"]["skipped_samples"][0]["vendor_id"] == "24001122337"
    won = get(store, m.Deal, "hubspot-24001122334")
    assert (won.kind, won.status, won.amount, won.close_date, won.stage) == (
        "new", "won", Decimal("48000.00"), date(2025, 1, 15), "Closed Won")
    open_ = get(store, m.Deal, "hubspot-24001122335")
    assert (open_.kind, open_.status, open_.expansion_type, open_.stage) == (
        "expansion", "open", "upsell", "Contract Sent")
    pilot = get(store, m.Deal, "hubspot-24001122336")
    assert (pilot.kind, pilot.status, pilot.amount, pilot.close_date) == (
        "new", "open", Decimal("0.00"), date(2025, 5, 2))
    assert pilot.attributes["close_date_estimated"] is True
    renewal = get(store, m.Deal, "hubspot-24001122338")
    assert (renewal.kind, renewal.status, renewal.attributes["pipeline"]) == (
        "renewal", "won", "Renewals")

    # tickets, tasks, touchpoints
    t1 = get(store, m.Ticket, "hubspot-5120099881")
    assert (t1.status, t1.priority, t1.subject) == ("pending", "high", "CSV export failing")
    t2 = get(store, m.Ticket, "hubspot-5120099882")
    assert t2.status == "closed" and t2.solved_at is not None and t2.priority == "low"
    task = get(store, m.Task, "hubspot-71230045566")
    assert (task.subject, task.status, task.due_date, task.owner, task.note) == (
        "QBR prep for Acme", "open", date(2025, 7, 8), "dana@vendor.example", "Slides & usage")
    assert (task.crm_system, task.crm_id, task.crm_sync_status) == (
        "hubspot", "71230045566", "synced")
    call = get(store, m.Touchpoint, "hubspot-call-880001")
    assert (call.kind, call.date, call.owner) == ("call", date(2025, 7, 3), "dana@vendor.example")
    assert get(store, m.Touchpoint, "hubspot-meeting-880002").kind == "qbr"
    assert get(store, m.Touchpoint, "hubspot-email-880003").date == date(2025, 7, 6)
    with store.sessions() as s:
        fresh = s.get(m.SourceFreshness, "hubspot")
        assert fresh is not None and fresh.records == 16


def test_the_360_and_crm_lookups_show_hubspot_data(store, hubspot_fake, hubspot, client, auth,
                                                   app):
    seed(hubspot_fake)
    run_sync(app.extensions["account360"].store, hubspot(**COMPANY_PROPS))
    for rid in (ACME, "501", "24001122334", "5120099881"):
        resp = client.get(f"/api/v1/accounts/lookup?crm=hubspot&record_id={rid}&as_of=2025-07-10",
                          headers=auth)
        assert resp.status_code == 200, rid
        assert resp.get_json()["account"]["id"] == f"hubspot-{ACME}"
    body = client.get(f"/api/v1/accounts/hubspot-{ACME}/360?as_of=2025-07-10",
                      headers=auth).get_json()
    assert body["account"]["crm"] == [{"system": "hubspot", "id": ACME}]
    assert body["account"]["owner"] == "dana@vendor.example"
    assert body["revenue"]["arr"] == 48000
    assert [(p["id"], p["stage"]) for p in body["revenue"]["pipeline"]] == [
        ("hubspot-24001122335", "Contract Sent")]
    assert body["support"]["open_total"] == 1
    assert body["relationship"]["touchpoints_by_kind"] == {"call": 1, "qbr": 1, "email": 1,
                                                           "meeting": 0, "note": 0}
    assert [t["subject"] for t in body["tasks"]] == ["QBR prep for Acme"]
    assert "hubspot" in body["freshness"]


def _searches(fake, otype):
    return fake.requests("POST", rf"/crm/v3/objects/{otype}/search$")


def test_second_run_fetches_only_what_changed(store, hubspot_fake, hubspot):
    info = seed(hubspot_fake)
    run_sync(store, hubspot(**COMPANY_PROPS))
    since = load_state(store, "hubspot", "deals")["since"]
    before = len(_searches(hubspot_fake, "deals"))
    hubspot_fake.touch("deals", 24001122335, info["T"], dealstage="closedwon",
                       closedate="2025-07-20T00:00:00Z")
    hubspot_fake.add("contacts", 506, {"email": "new@acme.io"}, modified=info["T"] + MIN,
                     companies=[ACME])
    report = run_sync(store, hubspot(**COMPANY_PROPS))
    st = report["streams"]
    assert {k: v["records"] for k, v in st.items()} == {
        "companies": 0, "contacts": 1, "deals": 1, "tickets": 0, "tasks": 0, "calls": 0,
        "meetings": 0, "emails": 0, "notes": 0}
    assert st["deals"]["skipped"] == 0  # the malformed deal was not read again
    first_query = _searches(hubspot_fake, "deals")[before]["body"]
    assert first_query["filterGroups"][0]["filters"][0] == {
        "propertyName": "hs_lastmodifieddate", "operator": "GTE", "value": str(since)}
    deal = get(store, m.Deal, "hubspot-24001122335")
    assert (deal.status, deal.close_date) == ("won", date(2025, 7, 20))
    assert count(store, m.Deal) == 4 and count(store, m.Contact) == 4


def test_429_is_retried_after_the_retry_after_delay(store, hubspot_fake, hubspot):
    seed(hubspot_fake)
    body = {"status": "error", "message": "You have reached your ten_secondly_rolling limit.",
            "errorType": "RATE_LIMIT", "correlationId": "c033cdaa-2c40-4a64-ae48-b4cec88dad24",
            "policyName": "TEN_SECONDLY_ROLLING"}
    hubspot_fake.fail("POST", r"/deals/search$", 429, body, headers={"Retry-After": "3"})
    hubspot_fake.fail("POST", r"/tickets/search$", 429, body)  # no header: the policy says 10 s
    conn = hubspot()
    report = run_sync(store, conn)
    assert report["status"] == "success" and conn.sleeps == [3.0, 10.0]
    assert count(store, m.Deal) == 4 and count(store, m.Ticket) == 2


def test_5xx_is_transient_and_a_stream_that_keeps_failing_resumes_next_run(
        store, hubspot_fake, hubspot):
    seed(hubspot_fake)
    hubspot_fake.fail("POST", r"/contacts/search$", 502, times=2)
    conn = hubspot(max_retries=2)
    conn.client.retrier.jitter = lambda: 1.0
    report = run_sync(store, conn, streams=["companies", "contacts"])
    assert report["status"] == "success" and conn.sleeps == [0.5, 1.0]
    assert count(store, m.Contact) == 3
    hubspot_fake.fail("POST", r"/deals/search$", 503, times=3, skip=1)  # after the first page
    report = run_sync(store, hubspot(max_retries=2), streams=["deals", "tickets"])
    assert report["status"] == "partial"
    assert report["streams"]["deals"]["status"] == "failed"
    assert report["streams"]["deals"]["errors"][0]["status"] == 503
    assert report["streams"]["tickets"]["records"] == 2
    landed = count(store, m.Deal)
    assert landed == 2
    again = run_sync(store, hubspot(), streams=["deals"])
    assert again["streams"]["deals"]["records"] == 2 and count(store, m.Deal) == 4


def _oauth(hubspot_fake, **kw):
    return {"access_token": "expired-access-token", "refresh_token": "refresh-1",
            "client_id": "client-id", "client_secret": "client-secret", **kw}


def test_401_refreshes_the_oauth_token_once_and_continues(store, hubspot_fake, hubspot):
    seed(hubspot_fake)
    refreshed = []
    conn = hubspot(**_oauth(hubspot_fake))
    conn.client.auth.on_refresh = refreshed.append
    report = run_sync(store, conn)
    assert report["status"] == "success"
    assert hubspot_fake.refreshes == 1 and len(refreshed) == 1
    assert refreshed[0].refresh_token == "refresh-1" and refreshed[0].expires_at is not None
    # (the token-info call of the preflight carries the token in its path, not a header)
    auths = [r["auth"] for r in hubspot_fake.log if not r["path"].startswith("/oauth/")]
    assert auths[0] == "Bearer expired-access-token"
    assert set(auths[1:]) == {f"Bearer {refreshed[0].access_token}"}
    assert count(store, m.Deal) == 4


def test_an_expiring_token_is_refreshed_before_the_call(store, hubspot_fake, hubspot):
    seed(hubspot_fake)
    conn = hubspot(**_oauth(hubspot_fake, token_expires_at=1.0))
    conn.check()
    assert hubspot_fake.refreshes == 1
    assert all(r["auth"] != "Bearer expired-access-token" for r in hubspot_fake.log)


def test_401_without_refresh_settings_stops_the_run(store, hubspot_fake, hubspot):
    seed(hubspot_fake)
    report = run_sync(store, hubspot(access_token="revoked"))
    assert report["status"] == "failed"
    error = report["streams"]["companies"]["errors"][0]
    assert error["type"] == "AuthError" and error["status"] == 401
    assert "Authentication credentials not found" in error["message"]
    assert report["streams"]["deals"]["status"] == "not_run"


def test_unmapped_deal_type_is_skipped_and_named(store, hubspot_fake, hubspot):
    seed(hubspot_fake)
    hubspot_fake.add("deals", 24001122390, {"amount": "1", "dealstage": "closedwon",
                                            "dealtype": "Partner Resale", "pipeline": "default",
                                            "closedate": "2025-03-01"},
                     modified=seed_time(hubspot_fake), companies=[ACME])
    report = run_sync(store, hubspot(), streams=["companies", "deals"])
    reasons = {s["vendor_id"]: s["reason"] for s in report["streams"]["deals"]["skipped_samples"]}
    assert "'Partner Resale' is not mapped" in reasons["24001122390"]
    from server.settings import parse

    ws = parse({"deal_kinds": {"hubspot": {"Partner Resale": "new"}}})
    report = run_sync(store, hubspot(workspace=ws), streams=["deals"], full=True)
    assert get(store, m.Deal, "hubspot-24001122390").kind == "new"


def seed_time(fake):
    return max(o.modified for c in fake.collections.values() for o in c.objs.values()) + MIN


def test_archived_objects_are_deleted_on_the_next_run(store, hubspot_fake, hubspot):
    seed(hubspot_fake)
    run_sync(store, hubspot())
    now = int(time.time() * 1000)
    hubspot_fake.archive("deals", 24001122335, now)
    hubspot_fake.archive("contacts", 501, now)
    hubspot_fake.archive("companies", INITECH, now)
    report = run_sync(store, hubspot())
    st = report["streams"]
    assert (st["deals"]["deleted"], st["contacts"]["deleted"], st["companies"]["deleted"]) == (
        1, 1, 1)
    assert get(store, m.Deal, "hubspot-24001122335") is None
    assert get(store, m.Contact, "hubspot-501") is None
    assert get(store, m.Account, f"hubspot-{INITECH}") is None
    again = run_sync(store, hubspot())
    assert sum(s["deleted"] for s in again["streams"].values()) == 0
    assert count(store, m.Deal) == 3
