"""Zendesk: CSAT ratings, type, channel, assignee, group, tags and first resolution land,
and the 360's support figures show CSAT."""

from __future__ import annotations

import pytest

from server.sync import run_sync
from tests.connectors.fixtures_usage import helpers as H
from tests.connectors.fixtures_usage import payloads as P
from tests.connectors.test_zendesk_sync import ORGS_1, ZendeskFake, connector, server, store  # noqa: F401

pytestmark = pytest.mark.store
ACME_ORG = ORGS_1[0]["id"]


def rated(tid, score, comment=None, **kw):
    t = P.zd_ticket(tid, ACME_ORG, kw.pop("status", "solved"), "normal", kw.pop("created"))
    t["satisfaction_rating"] = {"id": 3600000 + tid, "score": score, "comment": comment} \
        if score is not None else None
    t.update(kw)
    return t


PAGE = P.zd_page(
    [rated(21, "good", "Great support!", created="2025-07-01T09:00:00Z", type="question",
           via={"channel": "email", "source": {"from": {}, "to": {}, "rel": None}},
           assignee_id=7001, group_id=360001, tags=["billing", "vip", "billing"]),
     rated(22, "bad", "Took a week", created="2025-06-20T09:00:00Z", type="problem",
           via={"channel": "web", "source": {}}, assignee_id=7002, group_id=None, tags=[]),
     rated(23, "offered", created="2025-07-02T09:00:00Z"),       # asked, no answer: no rating
     rated(24, None, created="2025-07-03T09:00:00Z", status="open")],
    [P.zd_metric(21, "2025-07-01T09:00:00Z", 30, 1440, solved_at="2025-07-02T09:00:00Z"),
     P.zd_metric(22, "2025-06-20T09:00:00Z", 60, 10080, solved_at="2025-06-27T09:00:00Z"),
     P.zd_metric(23, "2025-07-02T09:00:00Z", 15, 120, solved_at="2025-07-02T11:00:00Z")],
    users=[P.zd_user(7001, "ana@acme-support.com")],
    after_cursor="x1", end=True)


def test_csat_and_helpdesk_fields_land_and_show_in_the_360(server, store, client, auth):  # noqa: F811
    ZendeskFake(server, {None: PAGE})
    report = run_sync(store, connector(server, store))
    assert report["status"] == "success"
    assert report["streams"]["tickets"]["by_type"] == {"ticket": 4}
    t = H.tickets(store)
    good = t["zendesk:21"]
    assert good.satisfaction == "good"
    assert {k: good.attributes.get(k) for k in (
        "satisfaction_comment", "ticket_type", "channel", "assignee", "group", "tags",
        "first_resolution_at")} == {
        "satisfaction_comment": "Great support!", "ticket_type": "question", "channel": "email",
        "assignee": "ana@acme-support.com", "group": "360001", "tags": ["billing", "vip"],
        "first_resolution_at": "2025-07-02T09:00:00Z"}
    bad = t["zendesk:22"]
    assert (bad.satisfaction, bad.attributes["satisfaction_comment"],
            bad.attributes["assignee"], bad.attributes["channel"]) == (
        "bad", "Took a week", "7002", "web")                 # no email known: the user id
    assert "group" not in bad.attributes and "tags" not in bad.attributes
    assert t["zendesk:23"].satisfaction is None and t["zendesk:24"].satisfaction is None
    sup = H.view_360(client, auth, "acc-acme", "2025-07-10")["support"]
    # ratings on tickets solved in the last 90 days: 21 good, 22 bad -> 50 %
    assert (sup["csat"], sup["csat_good"], sup["csat_bad"]) == (0.5, 1, 1)
