"""HubSpot search returns at most 10,000 results per query: the connector re-queries."""

from __future__ import annotations

from sqlalchemy import func, select

from server import models as m
from server.sync import run_sync
from tests.connectors.hubspot_portal import ACME, T0


def contacts(store) -> int:
    with store.sessions() as s:
        return s.scalar(select(func.count()).select_from(m.Contact))


def searches(fake):
    return [r["body"] for r in fake.requests("POST", r"/contacts/search$")]


def add_contacts(fake, n, modified, start=0):
    for i in range(start, start + n):
        fake.add("contacts", 7_000_000 + i, {"email": f"u{i}@acme.io"}, modified=modified(i),
                 companies=[ACME])


def test_more_than_10000_changes_are_read_with_fresh_queries(store, hubspot_fake, hubspot):
    hubspot_fake.add("companies", ACME, {"name": "Acme", "domain": "acme.io"}, modified=T0)
    add_contacts(hubspot_fake, 10_450, lambda i: T0 + i * 1000)
    report = run_sync(store, hubspot(page_size=200), streams=["companies", "contacts"])
    assert report["streams"]["contacts"]["records"] == 10_450 and contacts(store) == 10_450
    bodies = searches(hubspot_fake)
    assert max(int(b["after"]) for b in bodies) < 10_000  # never a page HubSpot would refuse
    restarts = [b for b in bodies if b["after"] == "0"]
    assert len(restarts) == 2
    assert restarts[1]["filterGroups"][0]["filters"][0] == {
        "propertyName": "lastmodifieddate", "operator": "GTE", "value": str(T0 + 9_999 * 1000)}
    assert all(r["status"] == 200 for r in hubspot_fake.log)


def test_more_records_than_one_query_holds_sharing_one_timestamp_are_drained_by_id(store, hubspot_fake,
                                                                          hubspot):
    # The same mechanism at a cap of 1,000 (the fake and the connector agree on it) keeps
    # this test quick; the test above runs at HubSpot's real 10,000.
    hubspot_fake.search_cap = 1_000
    hubspot_fake.add("companies", ACME, {"name": "Acme", "domain": "acme.io"}, modified=T0)
    add_contacts(hubspot_fake, 2_300, lambda i: T0 + 5_000)
    add_contacts(hubspot_fake, 50, lambda i: T0 + 9_000 + i, start=2_300)
    conn = hubspot(page_size=200, search_limit=1_000)
    report = run_sync(store, conn, streams=["companies", "contacts"])
    assert report["streams"]["contacts"]["records"] == 2_350
    assert report["streams"]["contacts"]["skipped"] == 0 and contacts(store) == 2_350
    bodies = searches(hubspot_fake)
    assert max(int(b["after"]) for b in bodies) < 1_000
    assert all(r["status"] == 200 for r in hubspot_fake.log)
    drains = [b for b in bodies if b["sorts"][0]["propertyName"] == "hs_object_id"]
    assert drains and drains[0]["filterGroups"][0]["filters"] == [
        {"propertyName": "lastmodifieddate", "operator": "EQ", "value": str(T0 + 5_000)},
        {"propertyName": "hs_object_id", "operator": "GT", "value": "0"}]
    again = run_sync(store, hubspot(page_size=200, search_limit=1_000), streams=["contacts"])
    assert again["streams"]["contacts"]["records"] == 0
