"""Connectors feed messages: HubSpot email and call bodies, through the fake portal and the
real hubspot-api-client."""

from __future__ import annotations

from sqlalchemy import select

import pytest

from server import models as m
from server.settings import parse
from server.sync import run_sync
from tests.connectors.hubspot_portal import ACME, T0, seed


def messages(store) -> dict[str, m.Message]:
    with store.sessions() as s:
        return {x.id: x for x in s.scalars(select(m.Message))}


def test_hubspot_email_and_call_bodies_land_as_messages(store, hubspot_fake, hubspot):
    store.settings = parse({"messages": {"text": "full", "retention_days": 0}})  # 2025 data
    seed(hubspot_fake)
    hubspot_fake.add("emails", 880010, {
        "hs_timestamp": "2025-07-05T09:00:00.000Z", "hs_email_subject": "Re: export",
        "hs_email_direction": "INCOMING_EMAIL", "hs_email_text": "The export is broken again.",
        "hs_email_from_email": "Jane@Acme.io", "hs_email_to_email": "dana@vendor.example",
        "hs_email_thread_id": "th-77"}, modified=T0 + 500_000, companies=[ACME])
    hubspot_fake.add("emails", 880011, {
        "hs_timestamp": "2025-07-05T11:30:00.000Z", "hs_email_subject": "Re: export",
        "hs_email_direction": "EMAIL", "hs_email_text": "Sorry! Fixed now, thanks for waiting.",
        "hs_email_from_email": "dana@vendor.example",
        "hs_email_to_email": "Jane Doe <jane@acme.io>; ops@acme.io",
        "hs_email_thread_id": "th-77", "hubspot_owner_id": "64492917"},
        modified=T0 + 500_001, companies=[ACME])
    hubspot_fake.add("calls", 880012, {
        "hs_timestamp": "2025-07-06T15:00:00.000Z", "hs_call_title": "Escalation",
        "hs_call_direction": "INBOUND", "hs_call_body": "<p>Customer is <b>happy</b> now</p>"},
        modified=T0 + 500_002, companies=[ACME])
    report = run_sync(store, hubspot())
    assert report["status"] == "success"
    got = messages(store)
    acc = f"hubspot-{ACME}"
    assert {(i, x.account_id, x.channel, x.direction, x.contact_email, x.thread_id)
            for i, x in got.items()} == {
        ("hubspot-email-message-880010", acc, "email", "in", "jane@acme.io", "hubspot:th-77"),
        ("hubspot-email-message-880011", acc, "email", "out", "jane@acme.io", "hubspot:th-77"),
        ("hubspot-call-message-880012", acc, "call", "in", None, None)}
    inbound, reply = got["hubspot-email-message-880010"], got["hubspot-email-message-880011"]
    assert inbound.text == "The export is broken again."
    assert inbound.sentiment < 0 < reply.sentiment
    assert reply.author == "dana@vendor.example"
    assert got["hubspot-call-message-880012"].text == "Customer is happy now"
    assert inbound.at.isoformat() == "2025-07-05T09:00:00+00:00"
    # the touchpoints still land, and the seeded email without a body gives no message
    with store.sessions() as s:
        assert s.get(m.Touchpoint, "hubspot-email-880010") is not None
    assert "hubspot-email-message-880003" not in got
    # a second run changes nothing
    run_sync(store, hubspot())
    assert set(messages(store)) == set(got)


@pytest.fixture
def store_with_accounts(app):
    from tests.connectors.fixtures_usage import helpers as H

    st = app.extensions["account360"].store
    H.seed(st)
    return st


def test_zendesk_public_comments_land_as_messages(app, store_with_accounts):
    from datetime import datetime

    from connectors.zendesk.connector import ZendeskConnector, ZendeskSettings
    from tests.connectors.fixtures_usage import helpers as H
    from tests.connectors.fixtures_usage import payloads as P
    from tests.connectors.fixtures_usage.fake_server import FakeServer, Resp

    store = store_with_accounts
    store.settings = parse({"messages": {"text": "full", "retention_days": 0}})
    srv = FakeServer()
    page = P.zd_page([P.zd_ticket(1, 509974, "open", "high", "2025-07-01T10:00:00Z",
                                  requester=41),
                      P.zd_ticket(2, 700, "open", "low", "2025-07-02T10:00:00Z")],
                     users=[P.zd_user(41, "g1@acme.io")], after_cursor="c1", end=True)
    calls = []

    def comments(req):
        calls.append(req.path)
        if req.arg("page") == "2":
            return Resp.json({"comments": [
                {"id": 103, "type": "Comment", "author_id": 41, "public": True,
                 "body": "Works now, great job!", "plain_body": "Works now, great job!",
                 "created_at": "2025-07-01T15:00:00Z"}],
                "users": [P.zd_user(41, "g1@acme.io")], "next_page": None, "count": 3})
        return Resp.json({"comments": [
            {"id": 101, "type": "Comment", "author_id": 41, "public": True,
             "body": "The export is broken", "plain_body": "The export is broken",
             "created_at": "2025-07-01T10:00:00Z"},
            {"id": 102, "type": "Comment", "author_id": 9, "public": True,
             "body": "<p>Looking into it</p>", "plain_body": "Looking into it",
             "created_at": "2025-07-01T11:30:00Z"},
            {"id": 104, "type": "Comment", "author_id": 9, "public": False,
             "body": "internal: blame the CDN", "created_at": "2025-07-01T11:31:00Z"}],
            "users": [P.zd_user(41, "g1@acme.io"),
                      {"id": 9, "name": "Agent", "email": "agent@vendor.example",
                       "role": "agent"}],
            "next_page": f"{srv.url}/api/v2/tickets/1/comments.json?page=2", "count": 3})

    srv.route("GET", "/api/v2/incremental/tickets/cursor.json", lambda req: Resp.json(page))
    srv.route("GET", "/api/v2/organizations.json", lambda req: Resp.json({
        "organizations": [P.zd_org(509974, "Acme Inc", ["acme.io"])],
        "meta": {"has_more": False}, "links": {"next": None}}))
    srv.route("GET", "/api/v2/tickets/1/comments.json", comments)
    try:
        conn = ZendeskConnector(ZendeskSettings.from_dict(
            {"base_url": srv.url, "email": "agent@vendor.example", "api_token": "tok",
             "start_date": "2025-01-01", "comments": True}))
        conn.sleep = H.no_sleep(None)
        conn.started_at = datetime.fromisoformat("2025-07-10T12:00:00+00:00")
        report = run_sync(store, conn, streams=["ticket_comments"])
    finally:
        srv.close()
    assert report["streams"]["ticket_comments"]["by_type"] == {"message": 3}
    got = messages(store)
    assert {(i, x.direction, x.contact_email, x.author, x.thread_id, x.text)
            for i, x in got.items()} == {
        ("zendesk-comment:101", "in", "g1@acme.io", None, "zendesk:1", "The export is broken"),
        ("zendesk-comment:102", "out", "g1@acme.io", "agent@vendor.example", "zendesk:1",
         "Looking into it"),
        ("zendesk-comment:103", "in", "g1@acme.io", None, "zendesk:1",
         "Works now, great job!")}
    assert got["zendesk-comment:101"].sentiment < 0 < got["zendesk-comment:103"].sentiment
    assert calls == ["/api/v2/tickets/1/comments.json"] * 2   # ticket 2's org is unmapped


def test_zendesk_comments_are_off_by_default():
    from connectors.zendesk.connector import ZendeskConnector, ZendeskSettings

    conn = ZendeskConnector(ZendeskSettings.from_dict(
        {"base_url": "http://127.0.0.1:9", "email": "a@b.c", "api_token": "t"}))
    assert list(conn.get_stream("ticket_comments").pages(None)) == []


def test_salesforce_email_task_descriptions_land_as_messages(store):
    from datetime import timedelta

    import responses

    from connectors.salesforce import SalesforceConnector, SalesforceSettings
    from tests.connectors.fake_salesforce import INSTANCE, FakeSalesforce
    from tests.connectors.salesforce_org import ACME, T0
    from tests.connectors.salesforce_org import seed as sf_seed

    store.settings = parse({"messages": {"text": "full", "retention_days": 0}})
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        org = FakeSalesforce(rsps)
        sf_seed(org)
        org.new("Task", "00T5g00000RsTuXEAV", T0 + timedelta(seconds=9),
                Subject="Email: renewal", Status="Completed", Priority="Normal",
                ActivityDate="2025-07-02", WhatId=ACME, AccountId=ACME, IsClosed=True,
                OwnerId="0055g00000AbCdEAAV", TaskSubtype="Email",
                Description="Hi Jane,<br>thanks for a great quarter!",
                CreatedDate="2025-07-02T14:00:00.000+0000")
        conn = SalesforceConnector(SalesforceSettings.from_dict(
            {"instance_url": INSTANCE, "access_token": "00D5g000004XXXX!session-1",
             "lag_seconds": 0}), sleep=lambda _s: None)
        report = run_sync(store, conn, streams=["accounts", "tasks"])
    assert report["status"] == "success"
    got = messages(store)
    assert set(got) == {"salesforce-email-message-00T5g00000RsTuXEAV"}   # the call has none
    msg = got["salesforce-email-message-00T5g00000RsTuXEAV"]
    assert (msg.account_id, msg.channel, msg.direction, msg.author, msg.text) == (
        f"salesforce-{ACME}", "email", "out", "dana@vendor.example",
        "Hi Jane,\nthanks for a great quarter!")
    assert msg.at.isoformat() == "2025-07-02T14:00:00+00:00" and msg.sentiment > 0
