"""Connectors feed messages: HubSpot email and call bodies, through the fake portal and the
real hubspot-api-client."""

from __future__ import annotations

from sqlalchemy import select

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
