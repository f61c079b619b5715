"""Fresh on open from Salesforce, end to end: a separate `account360 serve` process fetches the
account from a fake Salesforce org over real HTTPS (simple-salesforce on top, the org's
answers shaped as Salesforce documents them), while the side panel is open in Chromium; the
panel shows it refreshing, then the new figures and a freshness line; a second open within
the limit does not call Salesforce again."""

from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest
from playwright.sync_api import expect

from tests.connectors.fake_salesforce_http import FakeSalesforceServer

from . import workspace
from .helpers import SALESFORCE, TIMEOUT, expect_account, expect_chip, shot

pytestmark = pytest.mark.browser
VANDELAY = workspace.SF["vandelay_account"]
OWNER = "0055g00000AbCdEAAV"
T0 = datetime(2026, 11, 30, 9, 0, tzinfo=timezone.utc)


def _seed(org) -> None:
    """Vandelay as Salesforce knows it: its owner, a contact and an open high-priority case
    that account360 has not seen yet (fields as in shared/vendor-specs/salesforce)."""
    org.new("User", OWNER, T0, Email="dana@vendor.example", IsActive=True)
    org.new("Account", VANDELAY, T0, Name="Vandelay Industries", Website="vandelay.com",
            OwnerId=OWNER)
    org.new("Contact", "003Hs00000ArtVaAAZ", T0, AccountId=VANDELAY,
            Email="art@vandelay.com", FirstName="Art", LastName="Vandelay", Title="CEO")
    org.new("Case", "500Hs00000VandlTAZ", T0, CaseNumber="00001031", AccountId=VANDELAY,
            Subject="Latex import stuck", Status="Working", Priority="High", IsClosed=False,
            CreatedDate="2026-11-30T09:00:00.000+0000", ClosedDate=None)


@pytest.fixture(scope="module")
def salesforce_org(ws, server, tmp_path_factory):
    """A fake Salesforce org over HTTPS, connected in the server's store; the server process
    is restarted (same port) trusting the org's certificate, and restored afterwards."""
    from server import create_app
    from server.admin import admin_state
    from server.admin.models import ConnectorConfig

    fake = FakeSalesforceServer(tmp_path_factory.mktemp("salesforce"), page_size=200)
    fake.start()
    _seed(fake.org)
    cfg = {k[len("ACCOUNT360_"):]: v for k, v in ws.env.items() if k.startswith("ACCOUNT360_")}
    app = create_app({**cfg, "SCHEDULER": "off"})
    admin_state(app).credentials.save("salesforce", {
        "instance_url": fake.instance_url, "access_token": "00D5g000004XXXX!session-1",
        "lag_seconds": 0}, connected=True)
    store = app.extensions["account360"].store
    with store.session() as s:
        s.get(ConnectorConfig, "salesforce").schedule_minutes = 0  # no background sync here
    store.dispose()
    plain = server.env
    server.stop()
    server.env = {**plain, **fake.ca_env()}
    server.start()
    yield fake
    server.stop()
    server.env = plain
    server.start()
    fake.stop()


def test_opening_a_stale_account_refreshes_it_from_salesforce(page, open_panel, salesforce_org,
                                                              artifact_dir):
    page.goto(f"{SALESFORCE}/lightning/r/Account/{VANDELAY}/view")
    expect_chip(page, "Vandelay Industries")
    salesforce_org.delay = 0.4  # a slow CRM: the panel says it is refreshing
    panel = open_panel(page)
    expect_account(panel, "Vandelay Industries")
    note = panel.get_by_test_id("a360-refresh")
    expect(note).to_have_text("Refreshing from the CRM…", timeout=TIMEOUT)
    expect(panel.get_by_test_id("a360-tickets-high")).to_have_text("high 0")  # before
    expect(note).to_have_text(
        re.compile(r"^Salesforce data of this account: just now \(fetched on open\)$"),
        timeout=TIMEOUT)
    # The case only Salesforce knew about is in the figures now, and the account's owner.
    expect(panel.get_by_test_id("a360-tickets-high")).to_have_text("high 1")
    expect(panel.get_by_test_id("a360-tickets")).to_contain_text("Open tickets · 1")
    expect(panel.get_by_test_id("a360-owner")).to_contain_text("dana@vendor.example")
    salesforce_org.delay = 0
    panel.screenshot(path=str(artifact_dir / "panel-refreshed-vandelay-salesforce.png"),
                     full_page=True)  # down to the freshness line
    shot(page, artifact_dir, "salesforce-vandelay")
    asked = [q for q in salesforce_org.org.queries() if " FROM User " not in q + " "]
    # the account and its contacts, opportunities, cases and tasks, each by the record id
    assert [q.split(" FROM ")[1].split()[0] for q in asked] == [
        "Account", "Contact", "Opportunity", "Case", "Task"]
    assert all(f"'{VANDELAY}'" in q for q in asked), asked

    # A second open within 15 minutes: the figures, no new call to Salesforce.
    calls = len(salesforce_org.org.log)
    again = open_panel(page)
    expect_account(again, "Vandelay Industries")
    expect(again.get_by_test_id("a360-refresh")).to_have_text(
        "Salesforce data of this account: just now", timeout=TIMEOUT)
    expect(again.get_by_test_id("a360-tickets-high")).to_have_text("high 1")
    assert len(salesforce_org.org.log) == calls
