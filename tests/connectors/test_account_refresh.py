"""Fresh on open: one account and its contacts, deals, tickets and tasks fetched by record id
from HubSpot (fake portal over HTTP) and Salesforce (fake org behind `responses`), landed
through the record path; rate limited per account and shared by concurrent callers."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import responses

from connectors.salesforce import SalesforceConnector, SalesforceSettings
from server import models as m
from server.services import refresh as svc
from server.sync import run_sync
from tests.connectors import hubspot_portal as hp
from tests.connectors import salesforce_org as so
from tests.connectors.fake_salesforce import INSTANCE, FakeSalesforce

AGE = timedelta(minutes=15)


def get(store, model, key):
    with store.sessions() as s:
        return s.get(model, key)


def searches(fake):
    return len(fake.requests("POST", r"/search$"))


def test_hubspot_refresh_fetches_only_that_company(store, hubspot_fake, hubspot):
    hp.seed(hubspot_fake)
    assert run_sync(store, hubspot())["status"] == "success"
    acme = f"hubspot-{hp.ACME}"
    later = hp.T0 + 500 * hp.MIN
    hubspot_fake.touch("contacts", 501, later, jobtitle="COO")
    hubspot_fake.add("contacts", 777, {"email": "new@acme.io", "firstname": "New"}, later,
                     companies=[hp.ACME])
    hubspot_fake.touch("deals", 24001122334, later, amount="51000")
    hubspot_fake.touch("contacts", 502, later, jobtitle="changed at Globex")
    out = svc.refresh(store, acme, lambda name: hubspot(), AGE, force=True)
    assert out["status"] == "refreshed" and out["system"] == "hubspot", out
    assert out["records"] >= 5 and out["fetched_at"] is not None
    assert get(store, m.Contact, "hubspot-501").title == "COO"
    assert get(store, m.Contact, "hubspot-777").account_id == acme
    assert float(get(store, m.Deal, "hubspot-24001122334").amount) == 51000
    # Globex's contact was not asked for: it keeps its old title.
    assert get(store, m.Contact, "hubspot-502").title != "changed at Globex"
    # Every search of the refresh asked for ids, not for a modified-time window.
    asked = hubspot_fake.requests("POST", r"/search$")[-5:]
    assert [e["body"]["filterGroups"][0]["filters"][0]["operator"] for e in asked] == ["IN"] * 5
    assert [f["propertyName"] for e in asked for f in e["body"]["filterGroups"][0]["filters"]] \
        == ["hs_object_id"] * 5


def test_a_second_open_within_the_age_does_not_call_the_vendor(store, hubspot_fake, hubspot):
    hp.seed(hubspot_fake)
    run_sync(store, hubspot())
    acme = f"hubspot-{hp.ACME}"
    first = svc.refresh(store, acme, lambda name: hubspot(), AGE, force=True)
    assert first["status"] == "refreshed"
    before = len(hubspot_fake.log)
    again = svc.refresh(store, acme, lambda name: hubspot(), AGE)
    assert again["status"] == "fresh" and again["fetched_at"] == first["fetched_at"]
    assert len(hubspot_fake.log) == before
    # Just after the full sync, the account is fresh too: nothing to fetch.
    globex = svc.refresh(store, f"hubspot-{hp.GLOBEX}", lambda name: hubspot(), AGE)
    assert globex["status"] == "fresh" and len(hubspot_fake.log) == before


def test_concurrent_opens_share_one_fetch(store, hubspot_fake, hubspot):
    hp.seed(hubspot_fake)
    run_sync(store, hubspot())
    acme = f"hubspot-{hp.ACME}"
    hubspot_fake.search_delay = 0.3
    base = searches(hubspot_fake)
    results: list[dict] = []

    def open_it():
        results.append(svc.refresh(store, acme, lambda name: hubspot(), timedelta(0)))

    threads = [threading.Thread(target=open_it) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(r["status"] for r in results) == ["refreshed", "shared", "shared"], results
    assert len({r["fetched_at"] for r in results}) == 1
    solo = searches(hubspot_fake) - base
    hubspot_fake.search_delay = 0
    base = searches(hubspot_fake)
    svc.refresh(store, acme, lambda name: hubspot(), timedelta(0))
    assert solo == searches(hubspot_fake) - base  # three opens cost one refresh


def test_vendor_failure_is_reported_and_not_retried_at_once(store, hubspot_fake, hubspot):
    hp.seed(hubspot_fake)
    run_sync(store, hubspot())
    acme = f"hubspot-{hp.ACME}"
    out = svc.refresh(store, acme, lambda name: hubspot(access_token="revoked"), AGE,
                      force=True)
    assert out["status"] == "failed" and out["error"]
    before = len(hubspot_fake.log)
    again = svc.refresh(store, acme, lambda name: hubspot(access_token="revoked"), timedelta(0))
    assert again["status"] == "failed" and len(hubspot_fake.log) == before


def test_unlinked_account_and_unknown_account(store, load):
    from server.errors import ApiError

    with store.session() as s:
        s.add(m.Account(id="plain", name="Plain", domains=[]))
    assert svc.refresh(store, "plain", lambda name: None, AGE)["status"] == "not_linked"
    with pytest.raises(ApiError) as exc:
        svc.refresh(store, "nope", lambda name: None, AGE)
    assert exc.value.status == 404


def test_salesforce_refresh_reads_the_account_and_its_children(store):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        org = FakeSalesforce(rsps)
        so.seed(org)

        def sf(name=None):
            return SalesforceConnector(SalesforceSettings.from_dict(
                {"instance_url": INSTANCE, "access_token": "00D5g000004XXXX!session-1",
                 "lag_seconds": 0}), sleep=lambda s: None)

        assert run_sync(store, sf())["status"] == "success"
        acme = f"salesforce-{so.ACME}"
        org.touch("Contact", "0035g00000MnOpQAAV", so.T0 + timedelta(days=2), Title="COO")
        org.new("Contact", "0035g00000MnOpZAAV", so.T0 + timedelta(days=2), AccountId=so.ACME,
                Email="new@acme.io", FirstName="New", LastName="Person", Title=None)
        before = len(org.queries())
        out = svc.refresh(store, acme, sf, AGE, force=True)
        assert out["status"] == "refreshed", out
        assert get(store, m.Contact, "salesforce-0035g00000MnOpQAAV").title == "COO"
        assert get(store, m.Contact, "salesforce-0035g00000MnOpZAAV").account_id == acme
        asked = [q for q in org.queries()[before:] if " FROM User " not in q + " "]
        assert len(asked) == 5 and all(f"'{so.ACME}'" in q for q in asked), asked
        assert any(q.startswith("SELECT") and " FROM Account WHERE Id = " in q for q in asked)


def test_account_whose_crm_is_not_connected_is_left_alone(store, hubspot_fake, hubspot):
    from connectors.errors import ConfigError

    hp.seed(hubspot_fake)
    run_sync(store, hubspot())

    def not_connected(name):
        raise ConfigError(f"{name} is not connected", connector=name)

    before = len(hubspot_fake.log)
    out = svc.refresh(store, f"hubspot-{hp.ACME}", not_connected, AGE, force=True)
    assert out["status"] == "not_connected" and out["system"] == "hubspot"
    assert len(hubspot_fake.log) == before
