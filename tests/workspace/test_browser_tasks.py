"""My tasks (/app/tasks) in real Chromium against the served demo workspace: a CSM's open tasks
overdue first, ticked done from the keyboard (gone from the list, done in the API), a CSM vs a
lead's scope; the dashboard's email reply median and North Star equal to the API's; and the
accounts table sorted on any column from the keyboard."""

from __future__ import annotations

import re

import pytest

from tests.workspace.browsing import (
    CSM,
    LEAD,
    OTHER,
    api,
    chart_points,
    portfolio,
    shown,
    sign_in,
)
from tests.workspace.records import EVERY_NS

pytestmark = pytest.mark.browser


def task_rows(page) -> list[tuple[str, bool]]:
    rows = page.locator("table.tasks-table tbody tr[data-task]")
    return [(rows.nth(i).get_attribute("data-task"),
             rows.nth(i).get_attribute("data-overdue") == "1") for i in range(rows.count())]


def status(url, token, account, task_id) -> str:
    return {t["id"]: t["status"] for t in
            api(url, token, f"accounts/{account}/tasks")["items"]}[task_id]


def test_my_tasks_overdue_first_tick_done_and_scoping(served, chromium, artifact_dir):
    from playwright.sync_api import expect

    url, token = served
    page = sign_in(chromium, url, CSM)
    page.get_by_role("link", name="My tasks").click()
    expect(page.get_by_role("heading", name="My tasks")).to_be_visible()
    mine = task_rows(page)
    ids = [i for i, _ in mine]
    overdue = [o for _, o in mine]
    assert overdue == sorted(overdue, reverse=True) and overdue[0]  # overdue first
    assert ids.index("ws-late") < ids.index("ws-soon")
    assert "ws-other" not in ids  # another CSM's task on their account
    expect(page.get_by_test_id("tasks-summary")).to_contain_text(
        f"{len(ids)} open, {sum(overdue)} overdue")
    expect(page.locator('tr[data-task="ws-late"]')).to_contain_text("(overdue)")
    page.screenshot(path=str(artifact_dir / "workspace-tasks-csm.png"), full_page=True)

    assert status(url, token, "xss-1", "ws-late") == "open"
    page.get_by_role("button", name="Mark done: Call back (late)").focus()
    page.keyboard.press("Enter")  # ticked from the keyboard
    expect(page).to_have_url(url + "/app/tasks")
    expect(page.locator('tr[data-task="ws-late"]')).to_have_count(0)
    assert [i for i, _ in task_rows(page)] == [i for i in ids if i != "ws-late"]
    assert status(url, token, "xss-1", "ws-late") == "done"

    page.get_by_label("Owner").select_option("")  # a CSM may switch to the whole team
    page.get_by_role("button", name="Apply").click()
    expect(page.locator('tr[data-task="ws-other"]')).to_be_visible()
    expect(page.get_by_role("button", name="Mark done: Other CSM's task")).to_have_count(0)

    lead = sign_in(chromium, url, LEAD)
    lead.goto(url + "/app/tasks")
    team = task_rows(lead)
    assert {"ws-other", "ws-soon"} <= {i for i, _ in team} and "ws-late" not in dict(team)
    assert [o for _, o in team] == sorted((o for _, o in team), reverse=True)
    expect(lead.get_by_test_id("tasks-summary")).to_contain_text("The whole team's tasks")
    lead.get_by_label("Owner").select_option(OTHER)
    lead.get_by_role("button", name="Apply").click()
    assert "ws-soon" not in dict(task_rows(lead)) and "ws-other" in dict(task_rows(lead))
    lead.screenshot(path=str(artifact_dir / "workspace-tasks-lead.png"), full_page=True)


def test_dashboard_reply_median_and_north_star_equal_the_api(served, chromium, artifact_dir):
    from playwright.sync_api import expect

    url, token = served
    page = sign_in(chromium, url, LEAD)
    body = portfolio(url, token)
    reply = body["team"]["email_reply_hours_median"]
    assert reply["value"] is not None and reply["inputs"]["replies"] >= 3
    assert shown(page, "email_reply_hours_median") == reply["value"]
    row = page.locator('tr[data-figure="email_reply_hours_median"]')
    expect(row.locator("td").first).to_have_text("leading")
    for csm in body["by_csm"]:
        assert shown(page, "email_reply_hours_median", csm["owner"]) == \
            csm["email_reply_hours_median"]["value"]
    mine = {c["owner"]: c for c in body["by_csm"]}
    assert mine[OTHER]["email_reply_hours_median"]["value"] == 1.0  # one reply, after 1 h
    cell = row.locator(f'td[data-group="{OTHER}"]')
    expect(cell.locator("summary")).to_have_text("1.0 h")
    cell.locator("summary").click()
    expect(cell.get_by_text("replies")).to_be_visible()

    star = body["north_star"]
    assert star["name"] == "Reports shared" and len(star["by_month"]) == 13
    section = page.get_by_test_id("north-star")
    expect(section.get_by_role("heading")).to_contain_text("North Star: Reports shared")
    expect(section.get_by_role("heading")).to_contain_text("leading")
    cells = section.locator("td[data-month]")
    assert [cells.nth(i).get_attribute("data-month") for i in range(cells.count())] == \
        [m["month"] for m in star["by_month"]]
    assert [int(cells.nth(i).get_attribute("data-value")) for i in range(cells.count())] == \
        [m["value"] for m in star["by_month"]]
    assert sum(m["value"] for m in star["by_month"]) > 0
    assert chart_points(page, "chart-north-star")[0] == [m["value"] for m in star["by_month"]]
    section.locator("summary").click()
    expect(section.get_by_text("count of the events report_shared")).to_be_visible()
    section.scroll_into_view_if_needed()
    page.screenshot(path=str(artifact_dir / "workspace-dashboard-north-star.png"),
                    full_page=True)

    page.goto(f"{url}/app/?owner={CSM}")  # the CSM's book: their replies and North Star
    theirs = portfolio(url, token, owner=CSM)
    assert shown(page, "email_reply_hours_median") == \
        theirs["team"]["email_reply_hours_median"]["value"] == 4.5  # 3 h and 6 h
    cells = page.get_by_test_id("north-star").locator("td[data-month]")
    assert [int(cells.nth(i).get_attribute("data-value")) for i in range(cells.count())] == \
        [m["value"] for m in theirs["north_star"]["by_month"]]


def test_every_column_sorts_from_the_keyboard(served, chromium, artifact_dir):
    from playwright.sync_api import expect

    url, token = served
    page = sign_in(chromium, url, LEAD)
    page.goto(f"{url}/app/accounts?{EVERY_NS}")  # every column (the default set is narrower)
    heads = page.locator("table.accounts thead th a")
    every = page.locator("table.accounts thead th")
    assert every.count() >= 14  # identity, CRM, revenue, health, relationship and usage columns
    assert heads.count() == every.count()  # every column heading is a sort link
    page.get_by_role("link", name="Days to renewal", exact=True).focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/app/accounts\?.*sort=days(&|$)"))
    sorted_th = page.locator('table.accounts th[aria-sort="ascending"]')
    expect(sorted_th).to_have_text("Days to renewal ▲")
    want = [a["id"] for a in api(url, token, "accounts", sort="days", limit=50)["items"]]
    rows = page.locator("table.accounts tbody tr[data-account]")
    assert [rows.nth(i).get_attribute("data-account") for i in range(rows.count())] == want
    page.keyboard.press("Tab")  # focus moves on from the heading that was followed
    sorted_th.locator("a").focus()
    page.keyboard.press("Enter")  # again: descending
    expect(page.locator('th[aria-sort="descending"]')).to_have_text("Days to renewal ▼")
    page.get_by_role("link", name="Signals", exact=True).focus()
    page.keyboard.press("Enter")
    expect(page.locator('th[aria-sort="ascending"]')).to_have_text("Signals ▲")
    counts = page.locator('td[data-col="signals"]').all_inner_texts()
    assert [int(c) for c in counts] == sorted(int(c) for c in counts)
    page.screenshot(path=str(artifact_dir / "workspace-accounts-sorted.png"))
