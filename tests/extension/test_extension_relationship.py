"""The widget's sentiment line with its evidence and the compact stakeholder list."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .helpers import TIMEOUT, expect_account, gmail_thread, shot

pytestmark = pytest.mark.browser


def signed(v: float) -> str:
    return ("+" if v > 0 else "\u2212" if v < 0 else "") + f"{abs(v):.0f}"


def test_sentiment_and_stakeholders_in_the_panel(page, open_panel, api, artifact_dir):
    rel = api.get("/api/v1/accounts/umbrella/360")["relationship"]
    sent = rel["sentiment"]
    assert sent["messages"] == 2 and [e["tone"] for e in sent["evidence"]] == [
        "negative", "positive"]
    page.goto(gmail_thread("FMfcgzUmbrellaThread001"))
    panel = open_panel(page)
    expect_account(panel, "Umbrella Health")
    box = panel.get_by_test_id("a360-sentiment")
    expect(box.locator("h3")).to_have_text("Sentiment \u00b7 " + signed(sent["score"]),
                                           timeout=TIMEOUT)
    expect(box).to_contain_text("2 messages (90d)")
    ev = box.get_by_test_id("a360-evidence")
    expect(ev).to_have_count(2)
    expect(ev.nth(0)).to_contain_text("SSO login keeps failing and we are really frustrated.")
    expect(ev.nth(0)).to_contain_text(signed(sent["evidence"][0]["score"]))
    expect(ev.nth(0)).to_contain_text("dana@umbrella.io")
    expect(ev.nth(1)).to_contain_text("The rollout is going great")
    people = panel.get_by_test_id("a360-stakeholders")
    expect(people.locator("h3")).to_have_text(
        "Stakeholders \u00b7 relationship " + f"{rel['score']:.0f}")
    rows = people.get_by_test_id("a360-stakeholder")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("Dana Ray")
    expect(rows.nth(0)).to_contain_text("2 in / 1 out (90d)")
    expect(rows.nth(1)).to_contain_text("Carol (personal address)")
    expect(rows.nth(1)).to_contain_text("last touch never")
    people.scroll_into_view_if_needed()
    shot(panel, artifact_dir, "panel-sentiment-stakeholders")
