"""Zendesk: the tickets are read even when the organizations cannot be."""

from __future__ import annotations

import pytest

from server.sync import load_state, run_sync
from tests.connectors.fixtures_usage import helpers as H
from tests.connectors.fixtures_usage.fake_server import Resp
from tests.connectors.test_zendesk_sync import (  # noqa: F401 (fixtures)
    EXPORT,
    ORGS,
    PAGE_1,
    PAGE_2,
    ZendeskFake,
    connector,
    server,
    store,
)

pytestmark = pytest.mark.store
NOT_FOUND = b'{"error": "RecordNotFound", "description": "Not found"}'


def test_a_404_on_organizations_still_reads_the_tickets(server, store):  # noqa: F811
    fake = ZendeskFake(server, {None: PAGE_1, "c1": PAGE_2})
    server.route("GET", ORGS, lambda req: Resp(404, NOT_FOUND,
                                               {"Content-Type": "application/json"}))
    report = run_sync(store, connector(server, store))
    counts = report["streams"]["tickets"]
    assert report["status"] == "partial" and counts["status"] == "partial"
    assert counts["by_type"] == {"ticket": 1}            # ticket 8, by its requester's email
    assert H.tickets(store)["zendesk:8"].account_id == "acc-globex"
    assert counts["unmapped_keys"] == {
        "organization 509974 (organizations not read)": 7,
        "organization 700 (organizations not read)": 1,
        "organization 600 (organizations not read)": 1, "@gmail.com": 1}
    err = counts["errors"][0]
    assert (err["object"], err["endpoint"], err["status"]) == (
        "organizations", "GET /api/v2/organizations.json", 404)
    assert err["text"] == ("Zendesk organizations: 404 RecordNotFound "
                           "(GET /api/v2/organizations.json)")
    assert report["error"] == "tickets: " + err["text"]
    assert len(server.calls(EXPORT)) == 2                  # both export pages were read
    # the cursor did not move: once the organizations answer, the same tickets land
    assert load_state(store, "zendesk", "tickets") is None
    server.route("GET", ORGS, fake.orgs)
    again = run_sync(store, connector(server, store))
    assert again["status"] == "success"
    assert again["streams"]["tickets"]["by_type"] == {"ticket": 9}
    assert load_state(store, "zendesk", "tickets") == {"cursor": "c2"}


def test_a_401_on_organizations_still_stops_the_stream(server, store):  # noqa: F811
    ZendeskFake(server, {None: PAGE_1, "c1": PAGE_2})
    server.route("GET", ORGS, lambda req: Resp(401, b'{"error": "Couldn\'t authenticate you"}'))
    report = run_sync(store, connector(server, store))
    assert report["status"] == "failed"
    assert report["error"] == ("Zendesk organizations: 401 not authorised: Couldn't "
                               "authenticate you (GET /api/v2/organizations.json)")
    assert server.calls(EXPORT) == []
