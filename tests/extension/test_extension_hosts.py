"""Host matching, single-page navigation and the lookup states, per host page: the chip in
the page and the side panel that follows the page's context."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from . import workspace
from .helpers import (
    HUBSPOT,
    SALESFORCE,
    TIMEOUT,
    chip,
    expect_account,
    expect_chip,
    gmail_thread,
    shot,
    widget,
)

pytestmark = pytest.mark.browser
SF = workspace.SF
HS = workspace.HS


# ------------------------------------------------------------------------------ Gmail
def test_gmail_thread_shows_external_senders_account(page, open_panel, artifact_dir):
    """The CSM replied last (ourco.com, also an account): the chip and panel skip it for
    bob@acme.com."""
    page.goto(gmail_thread("FMfcgzAcmeThread0000001"))
    expect_chip(page, "Acme Corp")
    expect(page.get_by_test_id("a360-chip-band")).to_have_text("At risk")
    expect(page.get_by_test_id("a360-chip-arr")).to_have_text("ARR $120K")
    shot(page, artifact_dir, "gmail-acme-chip")
    page = open_panel(page)
    expect_account(page, "Acme Corp")
    expect(page.get_by_test_id("a360-owner")).to_contain_text("jane@ourco.com")
    expect(page.get_by_test_id("a360-band")).to_have_text("At risk")
    expect(page.get_by_test_id("a360-arr")).to_contain_text("$120K")
    expect(page.get_by_test_id("a360-renewal")).to_contain_text("53 days left")
    expect(page.get_by_test_id("a360-nrr")).to_contain_text("+$20K")
    expect(page.get_by_test_id("a360-phase")).to_contain_text("Renewal")
    expect(page.get_by_test_id("a360-pipeline")).to_contain_text("Acme renewal 2027")
    expect(page.get_by_test_id("a360-tickets-urgent")).to_have_text("urgent 1")
    expect(page.get_by_test_id("a360-tickets-high")).to_have_text("high 1")
    expect(page.get_by_test_id("a360-signals")).to_contain_text("Active users fell")
    expect(page.get_by_test_id("a360-tasks")).to_contain_text("Send QBR deck")
    expect(page.get_by_test_id("a360-tasks")).not_to_contain_text("Kickoff call")  # done
    expect(page.get_by_test_id("a360-freshness")).to_contain_text("import")
    # 30 daily points drawn as an SVG polyline, built with createElementNS.
    assert page.evaluate("""() => {
        const svg = document.getElementById('account360-widget-host').shadowRoot
            .querySelector('[data-testid=a360-sparkline]');
        return svg.namespaceURI === 'http://www.w3.org/2000/svg'
            && svg.querySelector('polyline').getAttribute('points').split(' ').length;
    }""") == 30
    # The "why" panel lists every health component with input, score, weight and points.
    page.get_by_text("Why this health score?").click()
    why = page.get_by_test_id("a360-why")
    for label in ("Seat utilization", "Usage trend", "Support", "Engagement", "NPS"):
        expect(why).to_contain_text(label)
    expect(why).to_contain_text("22.5%")
    expect(page.get_by_test_id("a360-settings-version")).to_contain_text(
        "Scored with the workspace settings (no version applied yet; digest ")
    shot(page, artifact_dir, "gmail-acme")


def test_gmail_hash_navigation_updates_widget(page, open_panel, artifact_dir):
    page.goto(gmail_thread("FMfcgzAcmeThread0000001"))
    expect_chip(page, "Acme Corp")
    panel = open_panel(page)
    expect_account(panel, "Acme Corp")
    page.evaluate("() => { location.hash = '#inbox/FMfcgzGlobexThread00001'; }")
    expect_chip(page, "Globex Corporation")
    expect_account(panel, "Globex Corporation")
    # Back to the inbox list: no thread, no chip, an empty panel.
    page.evaluate("() => { location.hash = '#inbox'; }")
    expect(page.locator("#account360-chip-host")).to_be_hidden(timeout=TIMEOUT)
    expect(widget(panel)).to_have_attribute("data-state", "idle", timeout=TIMEOUT)
    expect(panel.get_by_test_id("panel-empty")).to_be_visible()
    # Opening a thread from the list (a click, as a user would).
    page.locator("tr[data-thread=FMfcgzUmbrellaThread001]").click()
    expect_chip(page, "Umbrella Health")
    expect_account(panel, "Umbrella Health")
    shot(page, artifact_dir, "gmail-spa-umbrella")
    shot(panel, artifact_dir, "panel-gmail-umbrella")


def test_gmail_freemail_sender_matches_by_contact(page):
    page.goto(gmail_thread("FMfcgzFreemailThread001"))
    expect_chip(page, "Umbrella Health")


def test_gmail_internal_thread_shows_nothing(page):
    page.goto(gmail_thread("FMfcgzInternalThread001"))
    expect(page.locator("h2.hP")).to_have_text("Team sync")
    page.wait_for_timeout(600)
    expect(page.locator("#account360-chip-host")).to_be_hidden()


def test_gmail_no_match_is_discreet(page, open_panel, artifact_dir):
    page.goto(gmail_thread("FMfcgzNoMatchThread0001"))
    expect(chip(page)).to_have_attribute("data-state", "nomatch", timeout=TIMEOUT)
    expect(chip(page)).to_have_attribute("title", re.compile("^No account for nomatch-example.com"))
    assert page.a360.dialogs == []
    box = chip(page).bounding_box()
    assert box and box["height"] < 40 and box["width"] < 400, box
    host = page
    page = open_panel(page)
    nomatch = page.get_by_test_id("a360-nomatch")
    expect(nomatch).to_contain_text("No account for nomatch-example.com", timeout=TIMEOUT)
    expect(page.get_by_test_id("a360-error")).to_have_count(0)
    assert host.a360.dialogs == []
    shot(host, artifact_dir, "gmail-no-match")


def test_gmail_multiple_candidates_pick(page, open_panel, artifact_dir):
    page.goto(gmail_thread("FMfcgzInitechThread0001"))
    expect(chip(page)).to_have_attribute("data-state", "candidates", timeout=TIMEOUT)
    expect(chip(page)).to_contain_text("2 accounts")
    page = open_panel(page)
    cands = page.get_by_test_id("a360-candidate")
    expect(cands).to_have_count(2, timeout=TIMEOUT)
    expect(page.get_by_test_id("a360-candidates")).to_contain_text("2 accounts match initech.com")
    expect(cands.nth(0)).to_contain_text("Initech EU")
    expect(cands.nth(1)).to_contain_text("Initech US")
    shot(page, artifact_dir, "gmail-candidates")
    cands.filter(has_text="Initech US").click()
    expect_account(page, "Initech US")
    expect(page.get_by_test_id("a360-owner")).to_contain_text("raj@ourco.com")
    # The switcher goes back to the list.
    page.get_by_test_id("a360-switch").click()
    expect(page.get_by_test_id("a360-candidate")).to_have_count(2)


def test_gmail_xss_payload_is_text(page, open_panel, artifact_dir):
    page.goto(gmail_thread("FMfcgzXssThread00000001"))
    expect_chip(page, workspace.XSS_NAME)
    chip_root = "document.getElementById('account360-chip-host').shadowRoot"
    assert page.evaluate(f"() => {chip_root}.querySelectorAll('img, script, b, i').length") == 0
    host = page
    page = open_panel(page)
    expect_account(page, workspace.XSS_NAME)
    expect(page.get_by_test_id("a360-tasks")).to_contain_text(workspace.XSS_TASK)
    page.wait_for_timeout(300)
    root = "document.getElementById('account360-widget-host').shadowRoot"
    injected = "img, script, svg[onload], b, i"
    assert page.evaluate(f"() => {root}.querySelectorAll('{injected}').length") == 0
    assert page.evaluate(f"() => {root}.querySelector('[data-testid=a360-name]').textContent") \
        == workspace.XSS_NAME
    assert host.a360.dialogs == []
    assert host.a360.errors == []
    shot(page, artifact_dir, "gmail-xss")


# ------------------------------------------------------------------------- Salesforce
@pytest.mark.parametrize("obj,record_id", [
    ("Account", SF["acme_account"]),
    ("Opportunity", SF["acme_opportunity"]),
    ("Case", SF["acme_case"]),
    ("Contact", SF["acme_contact"]),
])
def test_salesforce_record_pages(page, obj, record_id):
    page.goto(f"{SALESFORCE}/lightning/r/{obj}/{record_id}/view")
    expect_chip(page, "Acme Corp")


def test_salesforce_15_char_id_and_short_route(page):
    page.goto(f"{SALESFORCE}/lightning/r/{SF['acme_account'][:15]}/view")
    expect_chip(page, "Acme Corp")


def test_salesforce_route_changes_update_widget(page, open_panel, artifact_dir):
    page.goto(f"{SALESFORCE}/lightning/r/Account/{SF['acme_account']}/view")
    expect_chip(page, "Acme Corp")
    panel = open_panel(page)
    expect_account(panel, "Acme Corp")
    shot(page, artifact_dir, "salesforce-acme")
    shot(panel, artifact_dir, "panel-salesforce-acme")
    page.get_by_test_id("nav-globex").click()
    expect(page).to_have_url(f"{SALESFORCE}/lightning/r/Account/{SF['globex_account']}/view")
    expect_chip(page, "Globex Corporation")
    expect_account(panel, "Globex Corporation")
    page.get_by_test_id("nav-list").click()  # a list view is not a record
    expect(page.locator("#account360-chip-host")).to_be_hidden(timeout=TIMEOUT)
    expect(widget(panel)).to_have_attribute("data-state", "idle", timeout=TIMEOUT)
    page.go_back()
    expect_chip(page, "Globex Corporation")
    expect_account(panel, "Globex Corporation")


def test_salesforce_unknown_record_no_match(page, open_panel):
    page.goto(f"{SALESFORCE}/lightning/r/Account/{SF['unknown_account']}/view")
    expect(chip(page)).to_have_attribute("data-state", "nomatch", timeout=TIMEOUT)
    page = open_panel(page)
    expect(page.get_by_test_id("a360-nomatch")).to_contain_text("No account for Salesforce Account",
                                                               timeout=TIMEOUT)


# ---------------------------------------------------------------------------- HubSpot
@pytest.mark.parametrize("path", [
    f"/record/0-2/{HS['acme_company']}",
    f"/record/0-1/{HS['acme_contact']}",
    f"/record/0-3/{HS['acme_deal']}/view/1",
    f"/record/0-5/{HS['acme_ticket']}",
    f"/company/{HS['acme_company']}",
])
def test_hubspot_record_pages(page, path):
    page.goto(HUBSPOT + path)
    expect_chip(page, "Acme Corp")


def test_hubspot_eu_data_centre(page, open_panel, artifact_dir):
    """app-eu1.hubspot.com serves the same record paths as app.hubspot.com."""
    page.goto(f"https://app-eu1.hubspot.com/contacts/4455667/record/0-2/{HS['globex_company']}")
    expect_chip(page, "Globex Corporation")
    shot(page, artifact_dir, "hubspot-eu-globex")
    expect_account(open_panel(page), "Globex Corporation")


def test_hubspot_route_changes_update_widget(page, open_panel, artifact_dir):
    page.goto(f"{HUBSPOT}/record/0-2/{HS['acme_company']}")
    expect_chip(page, "Acme Corp")
    panel = open_panel(page)
    expect_account(panel, "Acme Corp")
    shot(page, artifact_dir, "hubspot-acme")
    shot(panel, artifact_dir, "panel-hubspot-acme")
    page.get_by_test_id("nav-globex").click()
    expect_chip(page, "Globex Corporation")
    expect_account(panel, "Globex Corporation")
    page.get_by_test_id("nav-list").click()
    expect(page.locator("#account360-chip-host")).to_be_hidden(timeout=TIMEOUT)
    expect(widget(panel)).to_have_attribute("data-state", "idle", timeout=TIMEOUT)
    page.get_by_test_id("nav-deal").click()
    expect_chip(page, "Acme Corp")
    expect_account(panel, "Acme Corp")


def test_hubspot_unknown_record_no_match(page, open_panel):
    page.goto(f"{HUBSPOT}/record/0-2/{HS['unknown_company']}")
    expect(chip(page)).to_have_attribute("data-state", "nomatch", timeout=TIMEOUT)
    page = open_panel(page)
    expect(page.get_by_test_id("a360-nomatch")).to_contain_text("No account for HubSpot company",
                                                               timeout=TIMEOUT)


def test_no_widget_outside_record_pages(page):
    page.goto(f"{HUBSPOT}/objects/0-2/views/all/list")
    page.wait_for_timeout(500)
    assert page.locator("#account360-chip-host").count() == 0
    assert page.locator("#account360-widget-host").count() == 0
