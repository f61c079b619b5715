"""Fresh on open when no job worker runs the refresh in time: the server answers 202
"queued" (here: it waits only 0.3 s for the job while the CRM takes seconds), the panel
says the refresh is queued with the age of the data it has, asks again a few seconds later,
and once the job has landed the CRM's records it shows the new figures. Runs after
test_extension_refresh.py (Hooli is stale again when this module ends)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tests.connectors import hubspot_portal as hp
from tests.connectors.fake_hubspot import FakeHubSpot

from . import workspace
from .helpers import TIMEOUT, expect_account, expect_chip, gmail_thread

pytestmark = pytest.mark.browser
HOOLI = workspace.HS["hooli_company"]


def _stale(store) -> None:
    from server.extension_models import AccountRefresh

    with store.session() as s:
        row = s.get(AccountRefresh, ("hooli", "hubspot"))
        if row is not None:
            row.started_at -= timedelta(hours=2)
            row.finished_at = (row.finished_at or row.started_at) - timedelta(hours=2)


@pytest.fixture(scope="module")
def slow_portal(ws, server):
    """A slow fake HubSpot holding Hooli with a second urgent ticket; the server restarted
    (same port) waiting only 0.3 s for a refresh job, and restored afterwards."""
    from server import create_app
    from server.admin import admin_state
    from server.admin.models import ConnectorConfig

    fake = FakeHubSpot()
    fake.url = fake.start()
    fake.owners, fake.pipelines = hp.OWNERS, hp.PIPELINES
    at = hp.T0
    fake.add("companies", HOOLI, {"name": "Hooli XYZ", "domain": "hooli.xyz",
                                  "hubspot_owner_id": "64492917"}, at)
    for tid, subject in ((8102, "Nobody can log in"), (8103, "Data export lost rows")):
        fake.add("tickets", tid, {"subject": subject, "hs_pipeline": "0",
                                  "hs_pipeline_stage": "1", "hs_ticket_priority": "HIGH",
                                  "createdate": "2026-11-30T09:00:00.000Z"}, at,
                 companies=[HOOLI])
    fake.search_delay = 1.5        # a few searches: several seconds for the refresh
    cfg = {k[len("ACCOUNT360_"):]: v for k, v in ws.env.items() if k.startswith("ACCOUNT360_")}
    app = create_app({**cfg, "SCHEDULER": "off"})
    admin_state(app).credentials.save("hubspot", {
        "access_token": "pat-test-token", "base_url": fake.url, "search_lag_seconds": 0},
        connected=True)
    store = app.extensions["account360"].store
    with store.session() as s:
        s.get(ConnectorConfig, "hubspot").schedule_minutes = 0
    _stale(store)
    plain = server.env
    server.stop()
    server.env = {**plain, "ACCOUNT360_REFRESH_WAIT_SECONDS": "0.3"}
    server.start()
    yield fake
    server.stop()
    server.env = plain
    server.start()
    _stale(store)
    store.dispose()
    fake.stop()


def test_a_queued_refresh_is_shown_and_the_panel_asks_again(page, open_panel, slow_portal):
    page.goto(gmail_thread("FMfcgzHooliThread000001"))
    expect_chip(page, "Hooli XYZ")
    panel = open_panel(page)
    expect_account(panel, "Hooli XYZ")
    note = panel.get_by_test_id("a360-refresh")
    expect(note).to_have_text(re.compile(r"^HubSpot data of this account: .+ \(refresh queued\)$"),
                              timeout=TIMEOUT)
    assert note.get_attribute("data-kind") == "busy"
    # the job lands Hooli's tickets; the panel's next ask sees it and shows the figures
    expect(note).to_have_text(
        re.compile(r"^HubSpot data of this account: just now \(fetched on open\)$"),
        timeout=30_000)
    expect(panel.get_by_test_id("a360-tickets")).to_contain_text("Open tickets · 2")
    expect(panel.get_by_test_id("a360-tickets-high")).to_have_text("high 2")
    # one refresh job (the company read once by id), however often the panel asked
    assert len(slow_portal.requests("POST", r"/companies/search$")) == 1
