"""The accounts table's relationship and sentiment columns in real Chromium against a real
`account360 serve`: they render with the API list's figures, a range filter and a sort by
keyboard narrow and order them as the API does, and the CSV export equals the table."""

from __future__ import annotations

import csv
import io
import re

import pytest

from tests.workspace.browsing import LEAD, XSS, api, sign_in
from tests.workspace.records import EVERY_NS

pytestmark = pytest.mark.browser


def test_relationship_and_sentiment_columns_filter_sort_and_export(served, chromium,
                                                                   artifact_dir):
    from playwright.sync_api import expect

    url, token = served
    page = sign_in(chromium, url, LEAD)
    page.goto(f"{url}/app/accounts?{EVERY_NS}")  # every column (the default set is narrower)
    heads = page.locator("table.accounts thead th")
    for heading in ("Relationship", "Reply hours", "Sentiment", "Sentiment 90d change",
                    "Reports shared"):
        expect(heads.filter(has_text=heading).first).to_be_visible()
    # only the accounts with customer emails have a reply time: a range keeps those
    page.locator("details.ranges summary").click()
    page.get_by_label("Reply hours at most").fill("100")
    page.get_by_role("button", name="Apply").click()
    expect(page).to_have_url(re.compile(r"[?&]reply_hours_max=100(&|$)"))
    # sort by the reply time with the keyboard: focus the heading's link, press Enter
    page.get_by_role("link", name="Reply hours", exact=True).focus()
    page.keyboard.press("Enter")
    expect(page.locator('th[aria-sort="ascending"]')).to_have_text("Reply hours ▲")
    rows = page.locator("table.accounts tbody tr[data-account]")
    ids = [rows.nth(i).get_attribute("data-account") for i in range(rows.count())]
    listed = api(url, token, "accounts", owner="", reply_hours_max=100, sort="reply_hours",
                 limit=50)["items"]
    assert ids == [a["id"] for a in listed] and set(ids) == {"xss-1", "ops-1"}
    hours = [a["email_reply_hours_median"] for a in listed]
    assert hours == sorted(hours) and hours == [1.0, 4.5]  # 1 h; 3 h and 6 h
    for i, item in enumerate(listed):
        row = rows.nth(i)
        expect(row.locator('td[data-col="email_reply_hours_median"]')).to_have_text(
            f"{item['email_reply_hours_median']:.1f}")
        rel, sent = item["relationship_score"], item["sentiment"]
        expect(row.locator('td[data-col="relationship_score"]')).to_have_text(
            "" if rel is None else f"{rel:.0f}")
        expect(row.locator('td[data-col="sentiment"]')).to_have_text(
            "" if sent is None else (f"{sent:+.0f}" if round(sent) else "0"))
    expect(page.locator('tr[data-account="xss-1"] th')).to_have_text(XSS)  # text, not markup
    table = [[c.strip() for c in rows.nth(i).locator("th, td").all_inner_texts()]
             for i in range(rows.count())]
    headings = [h.strip().rstrip(" ▲▼") for h in heads.all_inner_texts()]
    with page.expect_download() as dl:
        page.get_by_test_id("csv-export").click()
    body = open(dl.value.path(), encoding="utf-8").read()
    assert list(csv.reader(io.StringIO(body))) == [headings, *table]
    page.screenshot(path=str(artifact_dir / "workspace-accounts-relationship.png"),
                    full_page=True)
    page.locator("div.scroll").evaluate("e => { e.scrollLeft = e.scrollWidth; }")
    page.locator("div.scroll").screenshot(
        path=str(artifact_dir / "workspace-accounts-relationship-columns.png"))
    # descending by the same keyboard path reverses the order
    page.get_by_role("link", name="Reply hours ▲").focus()
    page.keyboard.press("Enter")
    expect(page.locator('th[aria-sort="descending"]')).to_have_text("Reply hours ▼")
    assert [rows.nth(i).get_attribute("data-account") for i in range(rows.count())] == ids[::-1]
