"""Fresh on open: the side panel asks the server to refresh an account whose CRM data is
older than 15 minutes; the server fetches it from the (fake) HubSpot portal, the panel shows
it refreshing, then the new figures and a freshness line; a second open within the limit
does not call the vendor again."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.connectors import hubspot_portal as hp
from tests.connectors.fake_hubspot import FakeHubSpot

from . import workspace
from .helpers import TIMEOUT, expect_account, expect_chip, gmail_thread, shot

pytestmark = pytest.mark.browser
HOOLI = workspace.HS["hooli_company"]


@pytest.fixture(scope="module")
def hubspot_portal(ws, server):
    """A fake HubSpot portal holding Hooli, connected in the server's admin store."""
    from server import create_app
    from server.admin import admin_state
    from server.admin.models import ConnectorConfig

    fake = FakeHubSpot()
    fake.url = fake.start()
    fake.owners, fake.pipelines = hp.OWNERS, hp.PIPELINES
    at = hp.T0
    fake.add("companies", HOOLI, {"name": "Hooli XYZ", "domain": "hooli.xyz",
                                  "hubspot_owner_id": "64492917"}, at)
    fake.add("contacts", 8101, {"email": "gavin@hooli.xyz", "firstname": "Gavin",
                                "lastname": "Belson"}, at, companies=[HOOLI])
    fake.add("tickets", 8102, {"subject": "Nobody can log in", "hs_pipeline": "0",
                               "hs_pipeline_stage": "1", "hs_ticket_priority": "HIGH",
                               "createdate": "2026-11-30T09:00:00.000Z"}, at, companies=[HOOLI])
    cfg = {k[len("ACCOUNT360_"):]: v for k, v in ws.env.items() if k.startswith("ACCOUNT360_")}
    app = create_app({**cfg, "SCHEDULER": "off"})
    adm = admin_state(app)
    adm.credentials.save("hubspot", {"access_token": "pat-test-token", "base_url": fake.url,
                                     "search_lag_seconds": 0}, connected=True)
    store = app.extensions["account360"].store
    with store.session() as s:
        s.get(ConnectorConfig, "hubspot").schedule_minutes = 0  # no background sync here
    store.dispose()
    yield fake
    fake.stop()


def test_opening_a_stale_account_refreshes_it_from_hubspot(page, open_panel, hubspot_portal,
                                                           artifact_dir):
    page.goto(gmail_thread("FMfcgzHooliThread000001"))
    expect_chip(page, "Hooli XYZ")
    hubspot_portal.search_delay = 0.4  # a slow CRM: the panel says it is refreshing
    panel = open_panel(page)
    expect_account(panel, "Hooli XYZ")
    note = panel.get_by_test_id("a360-refresh")
    expect(note).to_have_text("Refreshing from the CRM…", timeout=TIMEOUT)
    expect(panel.get_by_test_id("a360-tickets-high")).to_have_text("high 0")  # before
    expect(note).to_have_text(
        re.compile(r"^HubSpot data of this account: just now \(fetched on open\)$"),
        timeout=TIMEOUT)
    # The ticket that only HubSpot knew about is in the figures now, and the owner.
    expect(panel.get_by_test_id("a360-tickets-high")).to_have_text("high 1")
    expect(panel.get_by_test_id("a360-tickets")).to_contain_text("Open tickets · 1")
    expect(panel.get_by_test_id("a360-owner")).to_contain_text("dana@vendor.example")
    hubspot_portal.search_delay = 0
    shot(panel, artifact_dir, "panel-refreshed-hooli")
    searched = len(hubspot_portal.requests("POST", r"/search$"))
    assert searched >= 3  # company, contacts, tickets... read by id

    # A second open within 15 minutes: the figures, no new call to HubSpot.
    again = open_panel(page)
    expect_account(again, "Hooli XYZ")
    expect(again.get_by_test_id("a360-refresh")).to_have_text(
        "HubSpot data of this account: just now", timeout=TIMEOUT)
    expect(again.get_by_test_id("a360-tickets-high")).to_have_text("high 1")
    assert len(hubspot_portal.requests("POST", r"/search$")) == searched
