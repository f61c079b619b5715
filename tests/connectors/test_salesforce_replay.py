"""Salesforce: payloads shaped like the REST API's documented answers replayed through the
connector (simple-salesforce over `responses`): flags hidden by field-level security, the
Recycle Bin through queryAll, an INVALID_FIELD error, a child whose Account comes later."""

from __future__ import annotations

from datetime import timedelta

import pytest
import responses

from server import models as m
from server.sync import run_sync
from tests.connectors.fake_salesforce import FakeSalesforce
from tests.connectors.salesforce_org import T0
from tests.connectors.test_salesforce import salesforce  # noqa: F401 (fixture)

ACME, LATE = "0015g00000AbC12AAF", "0015g00000AbC99AAF"
#: The REST API's answer to a SOQL naming a field the org does not have (HTTP 400).
INVALID_FIELD = [{"message": "\nSELECT Id, Name, Website, Seats__c FROM Account\n"
                             "                          ^\nERROR at Row:1:Column:27\n"
                             "No such column 'Seats__c' on entity 'Account'.",
                  "errorCode": "INVALID_FIELD"}]


@pytest.fixture
def org():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        fake = FakeSalesforce(rsps)
        fake.new("Account", ACME, T0, Name="Acme Analytics", Website="https://www.acme.io",
                 OwnerId=None, Seats__c=120.0)
        # IsWon / IsClosed hidden from the integration user: absent from the record
        fake.new("Opportunity", "0065g00000XyZ31AAF", T0 + timedelta(seconds=1),
                 Name="Acme - Annual", AccountId=ACME, Amount=48000.0, StageName="Closed Won",
                 CloseDate="2025-06-30", Type="New Customer", OwnerId=None)
        fake.new("Opportunity", "0065g00000XyZ32AAF", T0 + timedelta(seconds=2),
                 Name="Acme - Upsell", AccountId=ACME, Amount=None, StageName="Prospecting",
                 CloseDate="2025-10-31", Type="Existing Customer - Upgrade", OwnerId=None,
                 IsWon=False, IsClosed=False)
        # a child of an Account that is not in the store yet
        fake.new("Opportunity", "0065g00000XyZ33AAF", T0 + timedelta(seconds=3),
                 Name="Late - Renewal", AccountId=LATE, Amount=9000.0, StageName="Closed Won",
                 CloseDate="2025-05-01", Type="Renewal", OwnerId=None, IsWon=True,
                 IsClosed=True)
        yield fake


def deal(store, sfid):
    with store.sessions() as s:
        return s.get(m.Deal, f"salesforce-{sfid}")


def test_flags_hidden_by_field_security_fall_back_to_the_stage_name(store, org, salesforce):  # noqa: F811
    report = run_sync(store, salesforce(), streams=["accounts", "opportunities"])
    opp = report["streams"]["opportunities"]
    assert (opp["records"], opp["parked"], opp["skipped"]) == (2, 1, 0)
    annual, upsell = deal(store, "0065g00000XyZ31AAF"), deal(store, "0065g00000XyZ32AAF")
    assert (annual.status, annual.kind, annual.stage) == ("won", "new", "Closed Won")
    assert (upsell.status, upsell.kind, upsell.attributes["amount_missing"]) == (
        "open", "expansion", True)
    assert report["parked"] == {"deal": 1}


def test_the_late_account_releases_its_opportunity_and_the_recycle_bin_deletes(
        store, org, salesforce):  # noqa: F811
    run_sync(store, salesforce(), streams=["accounts", "opportunities"])
    org.new("Account", LATE, T0 + timedelta(seconds=10), Name="Late Co", Website=None,
            OwnerId=None)
    org.touch("Opportunity", "0065g00000XyZ31AAF", T0 + timedelta(seconds=11), IsDeleted=True)
    report = run_sync(store, salesforce(), streams=["accounts", "opportunities"])
    st = report["streams"]
    assert (st["accounts"]["records"], st["accounts"]["unparked"]) == (2, 1)
    assert st["opportunities"]["deleted"] == 1 and report["parked"] == {}
    late = deal(store, "0065g00000XyZ33AAF")
    assert (late.account_id, late.status, late.kind) == (f"salesforce-{LATE}", "won", "renewal")
    assert deal(store, "0065g00000XyZ31AAF") is None


def test_invalid_field_fails_the_accounts_stream_only_and_names_the_request(
        store, org, salesforce):  # noqa: F811
    org.fail("GET", r"FROM Account", 400, INVALID_FIELD, times=99)
    report = run_sync(store, salesforce(), streams=["accounts", "opportunities"])
    err = report["streams"]["accounts"]["errors"][0]
    assert report["streams"]["opportunities"]["status"] == "success"
    assert report["streams"]["opportunities"]["parked"] == 3  # no Account landed yet
    assert (err["type"], err["status"], err["object"]) == ("ResponseError", 400, "Account")
    assert err["endpoint"] == "GET /services/data/v60.0/queryAll/"
    assert err["text"].startswith("Salesforce Account: 400 \nSELECT Id, Name, Website")
    assert err["text"].endswith("No such column 'Seats__c' on entity 'Account'. "
                                "(GET /services/data/v60.0/queryAll/)")
    assert report["status"] == "partial"
