"""The account page in real Chromium: opened from the accounts table, its history charts have
data points, a task is added and ticked done from the page, an account named with markup shows
as text (no dialog fires), and a lead's nav holds only what a lead may use."""

from __future__ import annotations

import pytest

from tests.workspace.browsing import CSM, XSS, api, chart_points, sign_in

pytestmark = pytest.mark.browser


def test_account_page_charts_tasks_and_escaping(served, chromium, artifact_dir):
    from playwright.sync_api import expect

    url, token = served
    page = sign_in(chromium, url, CSM)
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.get_by_role("link", name="Accounts", exact=True).click()
    page.get_by_role("searchbox", name="Search").fill("<img")
    page.get_by_role("button", name="Apply").click()
    page.get_by_role("link", name=XSS).click()
    expect(page).to_have_url(f"{url}/app/accounts/xss-1")
    expect(page.get_by_test_id("account-name")).to_have_text(XSS)
    health, good, watch = chart_points(page, "chart-health")
    assert len(health) >= 365 and set(good) == {70} and set(watch) == {40}
    arr = chart_points(page, "chart-arr")[0]
    assert len(arr) == len(health) and arr[-1] == 4200
    users = chart_points(page, "chart-users")[0]
    assert len(users) == len(health)
    task = page.locator('ul.tasks li[data-task="xss-t1"]')
    expect(task).to_contain_text(XSS)

    page.get_by_label("New task").fill("Plan the renewal call")
    page.get_by_label("Due").fill("2030-01-15")
    page.get_by_role("button", name="Add task").click()
    added = page.locator("ul.tasks li", has_text="Plan the renewal call")
    expect(added).to_have_attribute("data-status", "open")
    expect(added).to_contain_text("due 2030-01-15")
    page.screenshot(path=str(artifact_dir / "workspace-account.png"))
    page.screenshot(path=str(artifact_dir / "workspace-account-full.png"), full_page=True)
    added.get_by_role("button", name="Mark done: Plan the renewal call").click()
    expect(page.locator("ul.tasks li", has_text="Plan the renewal call")).to_have_attribute(
        "data-status", "done")
    tasks = api(url, token, "accounts/xss-1/tasks")["items"]
    assert [t["status"] for t in tasks if t["subject"] == "Plan the renewal call"] == ["done"]
    assert dialogs == []

    page.get_by_role("link", name="Priority accounts").click()
    page.locator("table.priority tbody tr[data-account] th a").first.click()
    expect(page.get_by_test_id("headline")).to_contain_text("Health")
    health = chart_points(page, "chart-health")[0]
    assert [v for v in health if v is not None]  # an at-risk account has a scored history
    page.screenshot(path=str(artifact_dir / "workspace-account-at-risk.png"))


def test_saved_view_with_a_range_and_its_csv(served, chromium, artifact_dir):
    import csv
    import io

    from playwright.sync_api import expect

    url, token = served
    page = sign_in(chromium, url, CSM)
    page.get_by_role("link", name="Accounts", exact=True).click()
    page.locator("form.filters").get_by_label("Owner").select_option("")
    page.locator("details.ranges summary").click()
    page.get_by_label("ARR at least").fill("100000")
    page.get_by_label("Health at most").fill("69.9")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator("details.ranges")).to_have_attribute("open", "")
    rows = page.locator("table.accounts tbody tr[data-account]")
    table = [[c.strip() for c in rows.nth(i).locator("th, td").all_inner_texts()]
             for i in range(rows.count())]
    every = api(url, token, "accounts", limit=500, sort="name")["items"]
    want = [a["id"] for a in every if a["arr"] >= 100000 and a["health_score"] is not None
            and a["health_score"] <= 69.9]
    assert want and [rows.nth(i).get_attribute("data-account")
                     for i in range(rows.count())] == want
    page.get_by_label("Save this view as").fill("Large, not good")
    page.get_by_role("button", name="Save view").click()
    page.get_by_role("link", name="Team dashboard").click()
    page.get_by_role("link", name="Accounts", exact=True).click()
    expect(rows.first).to_be_visible()
    assert {rows.nth(i).locator('td[data-col="owner"]').inner_text()
            for i in range(rows.count())} == {CSM}  # back to the CSM's own book
    page.get_by_role("link", name="Large, not good").click()
    expect(page.get_by_label("ARR at least")).to_have_value("100000")
    again = [[c.strip() for c in rows.nth(i).locator("th, td").all_inner_texts()]
             for i in range(rows.count())]
    assert again == table
    with page.expect_download() as dl:
        page.get_by_test_id("csv-export").click()
    exported = list(csv.reader(io.StringIO(open(dl.value.path(), encoding="utf-8").read())))
    assert exported[1:] == table
    page.screenshot(path=str(artifact_dir / "workspace-saved-view.png"))
