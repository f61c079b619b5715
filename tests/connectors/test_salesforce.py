"""Salesforce connector through simple-salesforce, with `responses` faking the org."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
import responses
from sqlalchemy import func, select

from connectors.salesforce import SalesforceConnector, SalesforceSettings
from server import models as m
from server.sync import load_state, run_sync
from tests.connectors.fake_salesforce import INSTANCE, FakeSalesforce
from tests.connectors.salesforce_org import ACME, GLOBEX, T0, seed

TOKEN = "00D5g000004XXXX!session-1"
LIMIT = [{"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}]


@pytest.fixture
def org():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        fake = FakeSalesforce(rsps)
        seed(fake)
        yield fake


@pytest.fixture
def salesforce():
    def make(workspace=None, **overrides):
        cfg = {"instance_url": INSTANCE, "access_token": TOKEN, "lag_seconds": 0,
               "seats_field": "Seats__c", **overrides}
        sleeps: list[float] = []
        conn = SalesforceConnector(SalesforceSettings.from_dict(cfg), workspace=workspace,
                                   sleep=sleeps.append)
        conn.sleeps = sleeps
        return conn
    return make


def count(store, model):
    with store.sessions() as s:
        return s.scalar(select(func.count()).select_from(model))


def get(store, model, key):
    with store.sessions() as s:
        return s.get(model, key)


def test_full_sync_maps_every_object(store, org, salesforce):
    report = run_sync(store, salesforce())
    st = report["streams"]
    assert report["status"] == "success"
    acme = get(store, m.Account, f"salesforce-{ACME}")
    assert (acme.name, acme.domains, acme.owner) == ("Acme Analytics", ["acme.io"],
                                                     "dana@vendor.example")
    assert get(store, m.Account, f"salesforce-{GLOBEX}").domains == ["globex.com"]
    assert (st["contacts"]["records"], st["contacts"]["skipped"], st["contacts"]["unmapped"]) == (
        1, 1, 1)
    assert st["contacts"]["skipped_samples"][0]["vendor_id"] == "0035g00000MnOpRAAV"
    assert st["contacts"]["unmapped_keys"] == {"freelance.example": 1}
    jane = get(store, m.Contact, "salesforce-0035g00000MnOpQAAV")
    assert (jane.email, jane.name, jane.account_id) == ("jane@acme.io", "Jane Doe",
                                                        f"salesforce-{ACME}")
    won = get(store, m.Deal, "salesforce-0065g00000XyZ12AAF")
    assert (won.kind, won.status, won.amount, won.close_date, won.stage) == (
        "new", "won", Decimal("48000.00"), date(2025, 6, 30), "Closed Won")
    upsell = get(store, m.Deal, "salesforce-0065g00000XyZ13AAF")
    assert (upsell.kind, upsell.status, upsell.expansion_type) == ("expansion", "open", "upsell")
    pilot = get(store, m.Deal, "salesforce-0065g00000XyZ14AAF")
    assert (pilot.kind, pilot.status, pilot.amount, pilot.account_id) == (
        "new", "open", Decimal("0.00"), f"salesforce-{GLOBEX}")
    lost = get(store, m.Deal, "salesforce-0065g00000XyZ15AAF")
    assert (lost.kind, lost.status) == ("renewal", "lost")
    assert st["opportunities"]["skipped_samples"] == [
        {"vendor_id": "0065g00000XyZ16AAF",
         "reason": "opportunity Type 'Partner Resale' is not mapped to a kind (add it under "
                   "[deal_kinds.salesforce] in the settings file)"}]
    case = get(store, m.Ticket, "salesforce-5005g00000Q1w2EAAR")
    assert (case.status, case.priority, case.subject) == ("open", "high", "CSV export failing")
    task = get(store, m.Task, "salesforce-00T5g00000RsTuVEAV")
    assert (task.subject, task.status, task.due_date, task.owner, task.crm_id) == (
        "QBR prep for Acme", "open", date(2025, 7, 8), "dana@vendor.example",
        "00T5g00000RsTuVEAV")
    call = get(store, m.Touchpoint, "salesforce-task-00T5g00000RsTuWEAV")
    assert (call.kind, call.date) == ("call", date(2025, 7, 2))
    assert get(store, m.Touchpoint, "salesforce-event-00U5g00000EvT01AAA").kind == "qbr"
    # Every query is incremental on SystemModstamp, bounded, ordered, through queryAll.
    soql = org.queries("Opportunity")[0]
    assert "WHERE SystemModstamp <= " in soql and soql.endswith("ORDER BY SystemModstamp ASC, "
                                                                "Id ASC")
    assert "IsDeleted = false" in soql
    assert all(r["options"] == "batchSize=2000" for r in org.log if r.get("soql"))


def test_360_and_lookups_show_salesforce_data(org, salesforce, app, client, auth):
    run_sync(app.extensions["account360"].store, salesforce())
    for rid in (ACME, ACME[:15], "0035g00000MnOpQAAV", "0065g00000XyZ12AAF",
                "5005g00000Q1w2EAAR"):
        resp = client.get(f"/api/v1/accounts/lookup?crm=salesforce&record_id={rid}"
                          "&as_of=2025-07-10", headers=auth)
        assert resp.status_code == 200, rid
        assert resp.get_json()["account"]["id"] == f"salesforce-{ACME}"
    body = client.get(f"/api/v1/accounts/salesforce-{ACME}/360?as_of=2025-07-10",
                      headers=auth).get_json()
    assert body["revenue"]["arr"] == 48000  # lost renewal (06-15) zeroes, the new deal (06-30) adds
    assert [p["id"] for p in body["revenue"]["pipeline"]] == ["salesforce-0065g00000XyZ13AAF"]
    assert body["support"]["open_total"] == 1
    assert body["relationship"]["touchpoints_by_kind"]["qbr"] == 1
    assert body["relationship"]["touchpoints_by_kind"]["call"] == 1


def test_second_run_reads_only_changes_and_applies_deletions(store, org, salesforce):
    run_sync(store, salesforce())
    state = load_state(store, "salesforce", "opportunities")
    later = datetime.now(timezone.utc) - timedelta(seconds=5)
    org.touch("Opportunity", "0065g00000XyZ13AAF", later, StageName="Closed Won",
              IsClosed=True, IsWon=True)
    org.delete("Case", "5005g00000Q1w2EAAR", later)
    org.new("Contact", "0035g00000MnOpTAAV", later, AccountId=ACME, Email="new@acme.io",
            FirstName=None, LastName="New", Title=None)
    report = run_sync(store, salesforce())
    st = report["streams"]
    assert {k: v["records"] for k, v in st.items()} == {
        "accounts": 0, "contacts": 1, "opportunities": 1, "cases": 0, "tasks": 0, "events": 0}
    assert st["cases"]["deleted"] == 1 and get(store, m.Ticket, "salesforce-5005g00000Q1w2EAAR") \
        is None
    assert get(store, m.Deal, "salesforce-0065g00000XyZ13AAF").status == "won"
    since = datetime.fromtimestamp(state["since"] / 1000, timezone.utc)
    second = org.queries("Opportunity")[-1]
    assert f"SystemModstamp >= {since:%Y-%m-%dT%H:%M:%SZ}" in second
    assert "IsDeleted = false" not in second  # later runs see deletions through queryAll
    assert "/queryAll/" in [r["url"] for r in org.log if r.get("soql") == second][0]


def test_multi_page_queries_and_resume_after_a_crash(store, org, salesforce):
    for i in range(9):
        org.new("Opportunity", f"0065g00000Pg{i:03d}AAA", T0 + timedelta(minutes=10 + i // 2),
                Name=f"P{i}", AccountId=ACME, Amount=float(i), StageName="Prospecting",
                CloseDate="2025-12-01", IsClosed=False, IsWon=False, Type=None, OwnerId=None)
    conn = salesforce()
    real = conn.client.call
    calls = {"n": 0}

    class Crash(Exception):
        pass

    def crashing(what, fn, stream=None, **kw):
        if stream == "opportunities":
            calls["n"] += 1
            if calls["n"] == 4:
                raise Crash("died")
        return real(what, fn, stream=stream, **kw)

    conn.client.call = crashing
    with pytest.raises(Crash):
        run_sync(store, conn, streams=["accounts", "opportunities"])
    # 3 pages of 2 landed: the 4 sample-based deals (one more skipped: unmapped Type) + P0
    assert count(store, m.Deal) == 5
    report = run_sync(store, salesforce(), streams=["opportunities"])
    assert report["streams"]["opportunities"]["records"] == 8  # P1..P8, P0 not again
    assert report["streams"]["opportunities"]["skipped"] == 0
    assert count(store, m.Deal) == 13
    assert report["streams"]["opportunities"]["pages"] == 5


def test_expired_session_refreshes_once_then_continues(store, org, salesforce):
    org.valid.clear()  # the session id from the settings has expired
    refreshed = []
    conn = salesforce(refresh_token=org.refresh_token, client_id=org.client_id,
                      client_secret="secret", access_token="00D5g000004XXXX!expired")
    conn.client.on_refresh = refreshed.append
    report = run_sync(store, conn, streams=["accounts", "opportunities"])
    assert report["status"] == "success" and org.refreshes == 1
    assert refreshed[0].instance_url == INSTANCE
    assert count(store, m.Deal) == 4
    auths = [r["auth"] for r in org.log if r.get("auth")]
    assert auths[0] == "Bearer 00D5g000004XXXX!expired"
    assert set(auths[1:]) == {"Bearer 00D5g000004XXXX!refreshed-1"}


def test_expired_session_without_refresh_fails_the_run(store, org, salesforce):
    org.valid.clear()
    report = run_sync(store, salesforce())
    assert report["status"] == "failed"
    err = report["streams"]["accounts"]["errors"][0]
    assert err["type"] == "AuthError" and "Session expired or invalid" in err["message"]


def test_password_login_and_relogin(store, org, salesforce):
    conn = salesforce(instance_url=None, access_token=None, username=org.username,
                      password=org.password, security_token="tok")
    report = run_sync(store, conn, streams=["accounts"])
    assert report["status"] == "success" and org.logins == 1
    org.valid.clear()
    conn2 = salesforce(instance_url=None, access_token=None, username=org.username,
                       password=org.password, security_token="tok")
    conn2.client.sf  # noqa: B018 - logs in
    org.valid.clear()  # the session expires mid-run: one more login
    run_sync(store, conn2, streams=["contacts"])
    assert org.logins == 3
    bad = salesforce(instance_url=None, access_token=None, username="x", password="y")
    report = run_sync(store, bad, streams=["accounts"])
    assert report["status"] == "failed"
    assert "INVALID_LOGIN" in report["streams"]["accounts"]["errors"][0]["message"]


def test_request_limit_exceeded_stops_without_retrying(store, org, salesforce):
    org.fail("GET", r"FROM Contact", 403, LIMIT)
    conn = salesforce()
    report = run_sync(store, conn)
    # accounts landed before the quota ran out: partial, not failed
    assert report["status"] == "partial" and conn.sleeps == []
    assert report["streams"]["accounts"]["status"] == "success"
    assert "TotalRequests Limit exceeded" in report["error"]
    err = report["streams"]["contacts"]["errors"][0]
    assert err["type"] == "RateLimitError" and "TotalRequests Limit exceeded" in err["message"]
    assert report["streams"]["opportunities"]["status"] == "not_run"
    assert count(store, m.Account) == 2  # what was read before stays


def test_5xx_is_retried(store, org, salesforce):
    org.fail("GET", r"FROM Account", 503, [{"message": "unavailable", "errorCode": "SERVER"}],
             times=2)
    conn = salesforce()
    report = run_sync(store, conn, streams=["accounts"])
    assert report["status"] == "success" and len(conn.sleeps) == 2
    assert count(store, m.Account) == 2


def test_api_version_is_configurable(store, salesforce):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        fake = FakeSalesforce(rsps, version="62.0")
        seed(fake)
        report = run_sync(store, salesforce(api_version="62.0"), streams=["accounts"])
    assert report["streams"]["accounts"]["records"] == 2
    assert all("/services/data/v62.0/" in r["url"] for r in fake.log if r.get("soql"))


def test_settings_are_checked_at_once():
    from connectors.errors import ConfigError

    with pytest.raises(ConfigError, match="SALESFORCE_INSTANCE_URL"):
        SalesforceSettings.from_env("SALESFORCE_", {"SALESFORCE_ACCESS_TOKEN": "x"})
    with pytest.raises(ConfigError, match="SALESFORCE_ACCESS_TOKEN"):
        SalesforceSettings.from_env("SALESFORCE_", {})
    s = SalesforceSettings.from_env("SALESFORCE_", {"SALESFORCE_USERNAME": "u",
                                                    "SALESFORCE_PASSWORD": "p"})
    assert "'p'" not in repr(s)


def test_write_back_creates_a_task_on_the_account_and_retries_failures(org, salesforce, app,
                                                                      client, auth):
    from server.services.writeback import run_writeback

    store = app.extensions["account360"].store
    run_sync(store, salesforce())
    resp = client.post(f"/api/v1/accounts/salesforce-{ACME}/tasks", headers=auth,
                       json={"subject": "Plan QBR", "due_date": "2025-08-01",
                             "owner": "dana@vendor.example"})
    task_id = resp.get_json()["id"]
    org.fail("POST", r"sobjects/Task/$", 400, [
        {"message": "Assigned To ID: owner cannot be blank", "errorCode":
         "REQUIRED_FIELD_MISSING", "fields": ["OwnerId"]}])
    result = run_writeback(store, salesforce())
    assert (result["synced"], result["failed"]) == (0, 1)
    row = get(store, m.Task, task_id)
    assert (row.crm_sync_status, row.crm_sync_attempts) == ("failed", 1)
    assert "owner cannot be blank" in row.crm_sync_error
    result = run_writeback(store, salesforce())
    assert result["synced"] == 1
    row = get(store, m.Task, task_id)
    assert (row.crm_system, row.crm_sync_status, row.crm_sync_attempts) == (
        "salesforce", "synced", 2)
    body = next(r["body"] for r in org.log if r.get("body"))
    assert body == {"Subject": "Plan QBR", "WhatId": ACME, "Status": "Not Started",
                    "ActivityDate": "2025-08-01", "OwnerId": "0055g00000AbCdEAAV"}
    assert org.rows["Task"][row.crm_id]["WhatId"] == ACME
    # The next sync maps the Salesforce Task onto the same row: no duplicate.
    org.touch("Task", row.crm_id, datetime.now(timezone.utc) - timedelta(seconds=2),
              IsClosed=False, AccountId=ACME, TaskSubtype="Task", CreatedDate=None,
              Description=None, Priority="Normal")
    report = run_sync(store, salesforce(), streams=["tasks"])
    assert report["streams"]["tasks"]["records"] == 1
    assert count(store, m.Task) == 2 and get(store, m.Task, task_id).crm_id == row.crm_id


def test_a_task_create_whose_answer_is_lost_is_found_not_duplicated(org, salesforce, app,
                                                                    client, auth):
    """Salesforce creates the Task but answers 504: the create is not re-sent in the run, and
    the next run finds the Task (WhatId and Subject) instead of making a second one."""
    from server.services.writeback import run_writeback

    store = app.extensions["account360"].store
    run_sync(store, salesforce())
    resp = client.post(f"/api/v1/accounts/salesforce-{ACME}/tasks", headers=auth,
                       json={"subject": "Send O'Brien the renewal quote"})
    task_id = resp.get_json()["id"]
    before = len(org.rows.get("Task", {}))
    org.lose_answer(504)
    assert run_writeback(store, salesforce())["failed"] == 1
    assert len(org.rows["Task"]) == before + 1
    result = run_writeback(store, salesforce())
    assert result["synced"] == 1 and len(org.rows["Task"]) == before + 1
    row = get(store, m.Task, task_id)
    assert row.crm_sync_status == "synced" and row.crm_sync_attempts == 2
    assert org.rows["Task"][row.crm_id]["Subject"] == "Send O'Brien the renewal quote"
    creates = [r for r in org.log if r["method"] == "POST" and "sobjects/Task" in r["url"]]
    assert len(creates) == 1
