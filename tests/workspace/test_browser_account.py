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
