"""The extension never covers the host page: a small chip in the page's flow beside the
sender or record title, the 360 in Chrome's side panel (1280x720, each host fixture)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from . import workspace
from .helpers import (
    HUBSPOT,
    SALESFORCE,
    TIMEOUT,
    boxes_intersect,
    chip,
    expect_account,
    expect_chip,
    gmail_thread,
    shot,
)

pytestmark = pytest.mark.browser

HOSTS = {
    # host: (url, the element the chip sits beside, the page's main content it must not cover)
    "gmail": (gmail_thread("FMfcgzAcmeThread0000001"), "span.gD[email='bob@acme.com']",
              "div.a3s"),
    "salesforce": (f"{SALESFORCE}/lightning/r/Account/{workspace.SF['acme_account']}/view",
                   "lightning-formatted-text", ".record-body"),
    "hubspot": (f"{HUBSPOT}/record/0-2/{workspace.HS['acme_company']}",
                "[data-selenium-test=highlightTitle]", "main"),
}


@pytest.mark.parametrize("host", sorted(HOSTS))
def test_chip_beside_anchor_never_over_content(page, host, artifact_dir):
    url, anchor_sel, content_sel = HOSTS[host]
    page.goto(url)
    expect_chip(page, "Acme Corp")
    box = chip(page).bounding_box()
    assert box["width"] < 260 and box["height"] < 30, box
    anchor = page.locator(anchor_sel).first.bounding_box()
    # Beside the anchor: on the same line, or just below it (block titles), never far away.
    assert abs((box["y"] + box["height"] / 2) - (anchor["y"] + anchor["height"] / 2)) < 40, (box, anchor)
    contents = page.locator(content_sel)
    assert contents.count() > 0
    for i in range(contents.count()):
        assert not boxes_intersect(box, contents.nth(i).bounding_box()), (host, box)
    # Nothing else of the extension is in the page: no overlay, no fixed element.
    assert page.locator("#account360-widget-host").count() == 0
    assert page.evaluate("""() => getComputedStyle(document.getElementById('account360-chip-host'))
                            .position""") == "static"
    shot(page, artifact_dir, f"{host}-chip")


def _side_panels(page):
    """The extension's side panel pages Chromium has open (DevTools protocol targets)."""
    cdp = page.context.new_cdp_session(page)
    try:
        infos = cdp.send("Target.getTargets")["targetInfos"]
    finally:
        cdp.detach()
    return [t for t in infos if t["type"] == "page" and "/panel/panel.html?tab=" in t["url"]]


def test_chip_click_opens_side_panel_that_follows_the_record(page, open_panel, artifact_dir):
    page.goto(f"{SALESFORCE}/lightning/r/Account/{workspace.SF['acme_account']}/view")
    expect_chip(page, "Acme Corp")
    before = {t["targetId"] for t in _side_panels(page)}
    chip(page).click()
    panel = None
    for _ in range(50):
        new = [t for t in _side_panels(page) if t["targetId"] not in before]
        if new and new[0]["title"].startswith("Acme Corp"):
            panel = new[0]
            break
        page.wait_for_timeout(100)
    assert panel, _side_panels(page)
    # The host page keeps its whole width: nothing was drawn over it.
    assert page.evaluate("() => window.innerWidth") == 1280
    page.get_by_test_id("nav-globex").click()
    expect_chip(page, "Globex Corporation")
    for _ in range(50):
        titles = [t["title"] for t in _side_panels(page) if t["targetId"] == panel["targetId"]]
        if titles and titles[0].startswith("Globex Corporation"):
            break
        page.wait_for_timeout(100)
    assert titles and titles[0] == "Globex Corporation · account360", titles
    # The same page in a tab, as the side panel renders it.
    view = open_panel(page)
    expect_account(view, "Globex Corporation")
    expect(view.get_by_test_id("a360-arr")).to_be_visible(timeout=TIMEOUT)
    shot(view, artifact_dir, "panel-globex")


def test_long_names_are_readable_in_full(page, open_panel, api):
    """Two accounts that differ only after 17 characters: the panel shows whole names."""
    page.goto(gmail_thread("FMfcgzInitechThread0001"))
    panel = open_panel(page)
    cands = panel.get_by_test_id("a360-candidate")
    expect(cands).to_have_count(2, timeout=TIMEOUT)
    cands.filter(has_text="Initech US").click()
    name = panel.get_by_test_id("a360-name")
    expect(name).to_have_text("Initech US")
    # No ellipsis anywhere: the name wraps instead of being cut.
    assert panel.evaluate("""() => {
        const el = document.getElementById('account360-widget-host').shadowRoot
            .querySelector('[data-testid=a360-name]');
        const cs = getComputedStyle(el);
        return cs.textOverflow !== 'ellipsis' && cs.whiteSpace !== 'nowrap'
            && el.scrollWidth <= el.clientWidth;
    }""")
