"""The accounts table's column chooser in real Chromium against a real `account360 serve`: at
1280x720 the default table does not scroll sideways; a column is shown and another hidden
from the keyboard (the URL carries them, the back button returns to the previous ones, the
choice is remembered for the user); a saved view restores its columns after a reload; the
CSV equals the visible table; a sort on a hidden column still orders the rows and shows as
a chip; reset brings the default back."""

from __future__ import annotations

import csv
import io
import re

import pytest

from tests.workspace.browsing import LEAD, api, sign_in

pytestmark = pytest.mark.browser

DEFAULT = ["Account", "Owner", "Band", "Health", "Phase", "ARR", "Renewal", "Days to renewal",
           "Signals"]
CHOSEN = ["Account", "Band", "Health", "Phase", "ARR", "Renewal", "Days to renewal",
          "Signals", "Sentiment"]


def headings(page) -> list[str]:
    return [h.strip().rstrip(" ▲▼") for h in
            page.locator("table.accounts thead th").all_inner_texts()]


def no_sideways_scroll(page) -> None:
    wide, shown = page.locator("div.scroll").evaluate("e => [e.scrollWidth, e.clientWidth]")
    assert wide <= shown, (wide, shown)
    assert page.evaluate("document.documentElement.scrollWidth "
                         "<= document.documentElement.clientWidth")


def tab_to(page, target, limit=40) -> None:
    """Press Tab until target has the focus (the page's own focus order)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if target.evaluate("e => e === document.activeElement"):
            return
    raise AssertionError(f"{target} not reached by Tab")


def visible_table(page) -> list[list[str]]:
    rows = page.locator("table.accounts tbody tr[data-account]")
    return [[c.strip() for c in rows.nth(i).locator("th, td").all_inner_texts()]
            for i in range(rows.count())]


def test_column_chooser_by_keyboard_saved_view_and_csv(served, chromium, artifact_dir):
    from playwright.sync_api import expect

    url, token = served
    page = sign_in(chromium, url, LEAD)
    page.get_by_role("link", name="Accounts", exact=True).click()
    assert headings(page) == DEFAULT
    expect(page).to_have_url(re.compile(r"[?&]cols=name(%2C|,)owner"))  # the URL carries them
    no_sideways_scroll(page)
    page.screenshot(path=str(artifact_dir / "workspace-accounts-default-columns.png"))

    # open the chooser, hide Owner and show Sentiment, apply: all from the keyboard
    chooser = page.locator("details.columns")
    chooser.locator("summary").focus()
    page.keyboard.press("Enter")
    expect(chooser).to_have_attribute("open", "")
    tab_to(page, page.locator('input[name="col"][value="owner"]'))
    page.keyboard.press("Space")
    tab_to(page, page.locator('input[name="col"][value="sentiment"]'))
    page.keyboard.press("Space")
    page.screenshot(path=str(artifact_dir / "workspace-accounts-column-chooser.png"))
    tab_to(page, page.get_by_role("button", name="Show these columns"))
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"cols=name,band,health,phase,arr,renewal,days,"
                                        r"signals,sentiment(&|$)"))
    assert headings(page) == CHOSEN
    no_sideways_scroll(page)
    page.go_back()  # the columns shown before
    expect(page.locator("table.accounts thead th").nth(1)).to_have_text("Owner")
    assert headings(page) == DEFAULT
    page.go_forward()
    expect(page.locator("table.accounts thead th").nth(1)).to_have_text("Band")
    assert headings(page) == CHOSEN

    # remembered for the user: a new session's table opens with them
    again = sign_in(chromium, url, LEAD)
    again.get_by_role("link", name="Accounts", exact=True).click()
    assert headings(again) == CHOSEN

    # saved with a view; the view restores them after the table showed others, and on reload
    page.get_by_label("Save this view as").fill("Sentiment view")
    page.get_by_role("button", name="Save view").click()
    page.goto(url + "/app/accounts?cols=name,owner,segment")
    assert headings(page) == ["Account", "Owner", "Segment"]
    page.get_by_role("link", name="Sentiment view").click()
    expect(page.locator("table.accounts thead th").last).to_have_text("Sentiment")
    page.reload()
    assert headings(page) == CHOSEN
    table = visible_table(page)
    with page.expect_download() as dl:
        page.get_by_test_id("csv-export").click()
    exported = list(csv.reader(io.StringIO(open(dl.value.path(), encoding="utf-8").read())))
    assert exported == [headings(page), *table] and len(table) == 50

    # sorting by a hidden column still orders the rows, shown as a chip
    page.goto(url + "/app/accounts?owner=&sort=-relationship&cols=name,owner,arr")
    expect(page.get_by_test_id("active-filters")).to_contain_text("Sorted by: Relationship ▼")
    want = [a["id"] for a in api(url, token, "accounts", owner="", sort="-relationship",
                                 limit=50)["items"]]
    rows = page.locator("table.accounts tbody tr[data-account]")
    assert [rows.nth(i).get_attribute("data-account") for i in range(rows.count())] == want

    # reset to the default, by keyboard; the user's remembered choice is forgotten
    page.goto(url + "/app/accounts")
    assert headings(page) == CHOSEN
    chooser.locator("summary").focus()
    page.keyboard.press("Enter")
    tab_to(page, page.get_by_role("button", name="Reset to default"))
    page.keyboard.press("Enter")
    expect(page.locator("table.accounts thead th").nth(1)).to_have_text("Owner")
    assert headings(page) == DEFAULT
    page.goto(url + "/app/accounts")
    assert headings(page) == DEFAULT
    no_sideways_scroll(page)
