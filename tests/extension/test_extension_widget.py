"""Widget interactions: tasks and notes, collapse, server down and recovery, load time."""

from __future__ import annotations

import json
import os
import statistics
from datetime import date, datetime, timedelta, timezone

import pytest
from playwright.sync_api import expect

from . import conftest, workspace
from .helpers import HUBSPOT, SALESFORCE, TIMEOUT, expect_account, gmail_thread, shot, widget

pytestmark = pytest.mark.browser
UMBRELLA_THREAD = gmail_thread("FMfcgzUmbrellaThread001")


def test_add_task_tick_done_and_add_note(page, api, artifact_dir):
    page.goto(UMBRELLA_THREAD)
    expect_account(page, "Umbrella Health")
    due = (datetime.now(timezone.utc).date() + timedelta(days=3)).isoformat()

    # A task with a due date: shown at once, stored on the server.
    page.get_by_test_id("a360-add-text").fill("Send onboarding checklist")
    page.get_by_test_id("a360-add-due").fill(due)
    page.get_by_test_id("a360-add-task").click()
    task_row = page.get_by_test_id("a360-task").filter(has_text="Send onboarding checklist")
    expect(task_row).to_be_visible(timeout=TIMEOUT)
    expect(task_row).to_contain_text("due " + date.fromisoformat(due).strftime("%b %-d, %Y"))
    expect(page.get_by_test_id("a360-add-text")).to_have_value("")
    tasks = api.get("/api/v1/accounts/umbrella/tasks")["items"]
    stored = [t for t in tasks if t["subject"] == "Send onboarding checklist"]
    assert len(stored) == 1 and stored[0]["status"] == "open" and stored[0]["due_date"] == due

    # Pressing Enter adds a task without a due date.
    page.get_by_test_id("a360-add-text").fill("Book training session")
    page.get_by_test_id("a360-add-text").press("Enter")
    booked = page.get_by_test_id("a360-task").filter(has_text="Book training session")
    expect(booked).to_be_visible()

    # Ticking marks it done on the server.
    task_row.get_by_test_id("a360-task-done").check()
    expect(task_row).to_have_class("done", timeout=TIMEOUT)

    def status():
        items = api.get("/api/v1/accounts/umbrella/tasks")["items"]
        return [t["status"] for t in items if t["id"] == stored[0]["id"]]

    assert status() == ["done"]
    # Unticking reopens it; ticking again closes it.
    task_row.get_by_test_id("a360-task-done").uncheck()
    expect(task_row).not_to_have_class("done", timeout=TIMEOUT)
    assert status() == ["open"]
    task_row.get_by_test_id("a360-task-done").check()
    expect(task_row).to_have_class("done", timeout=TIMEOUT)
    assert status() == ["done"]

    # A note, shown at once and stored with the token's name as author.
    page.get_by_test_id("a360-add-text").fill("Dana prefers calls on Tuesdays")
    page.get_by_test_id("a360-add-note").click()
    expect(page.get_by_test_id("a360-note").first).to_contain_text("Dana prefers calls on Tuesdays",
                                                                  timeout=TIMEOUT)
    notes = api.get("/api/v1/accounts/umbrella/notes")["items"]
    assert notes[0]["body"] == "Dana prefers calls on Tuesdays"
    assert notes[0]["author"] == "extension-tests"
    shot(page, artifact_dir, "gmail-task-note")

    # After a reload the widget reads everything back from the server.
    page.reload()
    expect_account(page, "Umbrella Health")
    expect(page.get_by_test_id("a360-tasks")).to_contain_text("Book training session")
    expect(page.get_by_test_id("a360-tasks")).not_to_contain_text("Send onboarding checklist")
    expect(page.get_by_test_id("a360-notes")).to_contain_text("Dana prefers calls on Tuesdays")


def test_empty_subject_is_not_sent(page, api):
    page.goto(UMBRELLA_THREAD)
    expect_account(page, "Umbrella Health")
    before = len(api.get("/api/v1/accounts/umbrella/tasks")["items"])
    page.get_by_test_id("a360-add-task").click()
    expect(page.get_by_test_id("a360-form-msg")).to_have_text("Write the task subject first.")
    assert len(api.get("/api/v1/accounts/umbrella/tasks")["items"]) == before


def test_collapse_is_remembered(page, browser, storage, artifact_dir):
    page.goto(f"{SALESFORCE}/lightning/r/Account/{workspace.SF['acme_account']}/view")
    expect_account(page, "Acme Corp")
    try:
        page.get_by_test_id("a360-collapse").click()
        tab = page.get_by_test_id("a360-tab")
        expect(tab).to_have_text("A360 · 33")
        assert storage.get("widgetCollapsed") is True
        box = tab.bounding_box()
        assert box["height"] < 40 and box["width"] < 160, box
        shot(page, artifact_dir, "salesforce-collapsed")

        # Another page (another host) opens collapsed too.
        other = browser.new_page()
        other.goto(f"{HUBSPOT}/record/0-2/{workspace.HS['globex_company']}")
        expect(other.get_by_test_id("a360-tab")).to_be_visible(timeout=TIMEOUT)
        expect(other.get_by_test_id("a360-name")).to_have_count(0)
        other.close()

        tab.click()
        expect_account(page, "Acme Corp")
        assert storage.get("widgetCollapsed") is False
    finally:
        storage.set({"widgetCollapsed": False})


def test_server_down_then_recovers(page, server, artifact_dir):
    server.stop()
    try:
        page.goto(gmail_thread("FMfcgzGlobexThread00001"))
        err = page.get_by_test_id("a360-error")
        expect(err).to_have_attribute("data-code", "unreachable", timeout=TIMEOUT)
        expect(err).to_contain_text("account360 server unreachable")
        expect(err).to_contain_text(server.url)
        assert page.a360.dialogs == []
        shot(page, artifact_dir, "gmail-server-down")
        page.get_by_test_id("a360-retry").click()
        expect(err).to_have_attribute("data-code", "unreachable", timeout=TIMEOUT)
    finally:
        server.start()
    page.get_by_test_id("a360-retry").click()
    expect_account(page, "Globex Corporation")


def test_bad_token_state(page, storage, ws):
    storage.set({"token": "a360_not-a-real-token"})
    try:
        page.goto(gmail_thread("FMfcgzGlobexThread00001"))
        err = page.get_by_test_id("a360-error")
        expect(err).to_have_attribute("data-code", "unauthenticated", timeout=TIMEOUT)
        expect(err).to_contain_text("Token rejected")
        expect(page.get_by_test_id("a360-open-options")).to_be_visible()
    finally:
        storage.set({"token": ws.token})
    # Saving the right token reloads the widget by itself.
    expect_account(page, "Globex Corporation")


MEASURED_URLS = {
    "gmail": gmail_thread("FMfcgzAcmeThread0000001"),
    "salesforce": f"{SALESFORCE}/lightning/r/Account/{workspace.SF['acme_account']}/view",
    "hubspot": f"{HUBSPOT}/record/0-2/{workspace.HS['acme_company']}",
}
BUDGET_MS = int(os.environ.get("ACCOUNT360_WIDGET_BUDGET_MS", "300"))
TIMING_JS = """() => {
    const host = document.getElementById('account360-widget-host');
    const nav = performance.getEntriesByType('navigation')[0];
    const at = (name) => {
        const m = performance.getEntriesByName('a360:' + name);
        return m.length ? m[m.length - 1].startTime : null;
    };
    return {visible: at('widget-visible') ?? Number(host.dataset.visibleAt),
            start: at('content-start'), sent: at('lookup-start'), answered: at('lookup-done'),
            load: nav.loadEventEnd, dcl: nav.domContentLoadedEventEnd};
}"""


def test_widget_visible_time_per_host(browser, configured, artifact_dir):
    """Time from the page's load event to the widget showing account data, warm server."""
    results = {}
    for host, url in MEASURED_URLS.items():
        p = browser.new_page()
        samples, stages = [], []
        for i in range(6):
            p.goto("about:blank")
            p.goto(url, wait_until="load")
            p.wait_for_function(
                "() => document.getElementById('account360-widget-host')?.dataset.visibleAt",
                timeout=TIMEOUT)
            t = p.evaluate(TIMING_JS)
            if i:  # the first load warms the server's cache and the browser
                samples.append(max(0, round(t["visible"] - t["load"])))
                stages.append({k: round(v) if v is not None else None for k, v in t.items()})
        p.close()
        results[host] = {"samples_ms": samples, "median_ms": round(statistics.median(samples)),
                         "max_ms": max(samples), "budget_ms": BUDGET_MS,
                         "marks_ms_since_navigation_start": stages}
    conftest.TIMINGS.update(results)
    (artifact_dir / "widget-timing.json").write_text(json.dumps(results, indent=2))
    print("\nwidget visible after load (ms):", json.dumps(results))
    for host, r in results.items():
        assert r["median_ms"] <= BUDGET_MS, (host, r)


def test_hidden_widget_does_not_block_page(page):
    """No context on the page: nothing is injected in the page's DOM."""
    page.goto("https://mail.google.com/mail/u/0/#inbox")
    page.wait_for_timeout(400)
    assert page.locator("#account360-widget-host").count() == 0
    expect(widget(page)).to_have_count(0)
