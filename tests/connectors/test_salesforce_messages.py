"""Salesforce email and call Tasks land as messages whose direction comes from the vendor's
data: a call's CallType, an email's EmailMessage (`Incoming`, read by ActivityId)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import responses
from sqlalchemy import select

from connectors.salesforce import SalesforceConnector, SalesforceSettings
from server import models as m
from server.settings import parse
from server.sync import run_sync
from tests.connectors.fake_salesforce import INSTANCE, FakeSalesforce
from tests.connectors.salesforce_org import ACME, T0, seed

OWNER = "0055g00000AbCdEAAV"
IN_TASK, OUT_TASK, BARE_TASK = "00T5g00000EmA01AAA", "00T5g00000EmA02AAA", "00T5g00000EmA03AAA"
IN_CALL, OUT_CALL = "00T5g00000CaL01AAA", "00T5g00000CaL02AAA"
THREAD = "thread::Zk3bQ9xPVaG1mRw7nTc2yhA::"


def task(org, sfid, i, subtype, **fields):
    org.new("Task", sfid, T0 + timedelta(seconds=20 + i), Subject=f"{subtype} {i}",
            Status="Completed", Priority="Normal", ActivityDate="2025-07-02", WhatId=ACME,
            AccountId=ACME, IsClosed=True, OwnerId=OWNER, TaskSubtype=subtype,
            CreatedDate="2025-07-02T14:00:00.000+0000", **fields)


@pytest.fixture
def org():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        fake = FakeSalesforce(rsps)
        seed(fake)
        task(fake, IN_TASK, 1, "Email", Description="The export keeps failing, very annoying.")
        task(fake, OUT_TASK, 2, "Email", Description="Sorry about that! Fixed now.")
        task(fake, BARE_TASK, 3, "Email", Description="Logged from Outlook: see you Tuesday")
        task(fake, IN_CALL, 4, "Call", CallType="Inbound", Description="Customer called, upset")
        task(fake, OUT_CALL, 5, "Call", CallType="Outbound", Description="Great check-in call")
        fake.new("EmailMessage", "02s5g00000EmM01AAA", T0, ActivityId=IN_TASK, Incoming=True,
                 FromAddress="Jane@Acme.io", ToAddress="dana@vendor.example",
                 MessageDate="2025-07-02T09:15:00.000+0000", ThreadIdentifier=THREAD,
                 TextBody="The export keeps failing. Very annoying!")
        fake.new("EmailMessage", "02s5g00000EmM02AAA", T0, ActivityId=OUT_TASK, Incoming=False,
                 FromAddress="dana@vendor.example", ToAddress="jane@acme.io; ops@acme.io",
                 MessageDate="2025-07-02T11:40:00.000+0000", ThreadIdentifier=THREAD,
                 TextBody="Sorry about that! Fixed now, thanks for your patience.")
        yield fake


def sync(store):
    store.settings = parse({"messages": {"text": "full", "retention_days": 0}})
    conn = SalesforceConnector(SalesforceSettings.from_dict(
        {"instance_url": INSTANCE, "access_token": "00D5g000004XXXX!session-1",
         "lag_seconds": 0}), sleep=lambda _s: None)
    return run_sync(store, conn, streams=["accounts", "tasks"])


def messages(store):
    with store.sessions() as s:
        return {x.id.rsplit("-", 1)[1]: x for x in s.scalars(select(m.Message))}


def test_direction_comes_from_the_email_message_and_the_call_type(store, org):
    report = sync(store)
    assert report["status"] == "success"
    got = messages(store)
    shape = {k: (x.channel, x.direction, x.contact_email, x.author) for k, x in got.items()}
    assert shape == {
        IN_TASK: ("email", "in", "jane@acme.io", None),
        OUT_TASK: ("email", "out", "jane@acme.io", "dana@vendor.example"),
        BARE_TASK: ("email", "out", None, "dana@vendor.example"),  # no EmailMessage: ours
        IN_CALL: ("call", "in", None, None),
        OUT_CALL: ("call", "out", None, "dana@vendor.example")}
    inbound = got[IN_TASK]
    assert inbound.text == "The export keeps failing. Very annoying!"  # the email's body
    assert inbound.at.isoformat() == "2025-07-02T09:15:00+00:00"      # its MessageDate
    assert inbound.sentiment < 0 < got[OUT_TASK].sentiment
    assert got[BARE_TASK].at.isoformat() == "2025-07-02T14:00:00+00:00"
    soql = org.queries("EmailMessage")   # one query per page of Tasks with email Tasks
    assert soql and all("WHERE ActivityId IN (" in q for q in soql)
    asked = " ".join(soql)
    assert all(asked.count(x) == 1 for x in (IN_TASK, OUT_TASK, BARE_TASK))
    assert IN_CALL not in asked and OUT_CALL not in asked


def test_an_org_without_email_messages_counts_email_tasks_as_sent(store, org):
    org.fail("GET", r"FROM EmailMessage", 400, [{
        "message": "sObject type 'EmailMessage' is not supported.",
        "errorCode": "INVALID_TYPE"}], times=9)
    report = sync(store)
    assert report["status"] == "success"
    got = messages(store)
    assert {k: x.direction for k, x in got.items() if x.channel == "email"} == {
        IN_TASK: "out", OUT_TASK: "out", BARE_TASK: "out"}
    assert got[IN_TASK].text == "The export keeps failing, very annoying."  # the Description
    assert got[IN_CALL].direction == "in"
    from urllib.parse import unquote_plus
    asked = [e for e in org.log if "FROM EmailMessage" in unquote_plus(e["url"])]
    assert len(asked) == 1   # refused once: not asked again for the later pages


def test_the_email_thread_pairs_the_reply_with_the_customer_email(store, org):
    assert sync(store)["status"] == "success"
    got = messages(store)
    assert (got[IN_TASK].thread_id, got[OUT_TASK].thread_id) == (THREAD, THREAD)
    assert got[BARE_TASK].thread_id is None and got[IN_CALL].thread_id is None
    assert all("ThreadIdentifier" in q for q in org.queries("EmailMessage"))
    # the customer wrote at 09:15, the CSM answered in the thread at 11:40: 2 h 25 min
    from server.services.account360 import build_360

    with store.sessions() as s:
        view = build_360(s, got[IN_TASK].account_id, got[OUT_TASK].at.date(), store.settings)
    reply = view["relationship"]["response_time"]
    assert (reply["replies"], reply["unanswered"]) == (1, 0)
    assert reply["median_hours"] == pytest.approx(145 / 60, abs=0.01)


def test_an_api_version_without_the_thread_field_still_reads_the_emails(store, org):
    org.fail("GET", r"ThreadIdentifier", 400, [{
        "message": "No such column 'ThreadIdentifier' on entity 'EmailMessage'.",
        "errorCode": "INVALID_FIELD"}], times=9)
    assert sync(store)["status"] == "success"
    got = messages(store)
    assert (got[IN_TASK].direction, got[OUT_TASK].direction) == ("in", "out")
    assert got[IN_TASK].thread_id is None
    asked = org.queries("EmailMessage")
    assert asked and all("ThreadIdentifier" not in q for q in asked)
