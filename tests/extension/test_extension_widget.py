"""Side panel interactions: tasks and notes, server down and recovery; chip load time."""

from __future__ import annotations

import json
import os
import re
import statistics
from datetime import date, datetime, timedelta, timezone

import pytest
from playwright.sync_api import expect

from . import conftest, helpers, workspace
from .helpers import TIMEOUT, chip, expect_account, expect_chip, gmail_thread, shot, widget

pytestmark = pytest.mark.browser
UMBRELLA_THREAD = gmail_thread("FMfcgzUmbrellaThread001")


def test_add_task_tick_done_and_add_note(page, open_panel, api, artifact_dir):
    page.goto(UMBRELLA_THREAD)
    page = open_panel(page)
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


def test_empty_subject_is_not_sent(page, open_panel, api):
    page.goto(UMBRELLA_THREAD)
    page = open_panel(page)
    expect_account(page, "Umbrella Health")
    before = len(api.get("/api/v1/accounts/umbrella/tasks")["items"])
    page.get_by_test_id("a360-add-task").click()
    expect(page.get_by_test_id("a360-form-msg")).to_have_text("Write the task subject first.")
    assert len(api.get("/api/v1/accounts/umbrella/tasks")["items"]) == before


def test_server_down_then_recovers(page, open_panel, server, artifact_dir):
    server.stop()
    try:
        page.goto(gmail_thread("FMfcgzGlobexThread00001"))
        expect(chip(page)).to_have_attribute("data-state", "error", timeout=TIMEOUT)
        expect(chip(page)).to_have_attribute("title", re.compile(re.escape(server.url)))
        host = page
        page = open_panel(page)
        err = page.get_by_test_id("a360-error")
        expect(err).to_have_attribute("data-code", "unreachable", timeout=TIMEOUT)
        expect(err).to_contain_text("account360 server unreachable")
        expect(err).to_contain_text(server.url)
        assert host.a360.dialogs == []
        shot(page, artifact_dir, "gmail-server-down")
        page.get_by_test_id("a360-retry").click()
        expect(err).to_have_attribute("data-code", "unreachable", timeout=TIMEOUT)
    finally:
        server.start()
    page.get_by_test_id("a360-retry").click()
    expect_account(page, "Globex Corporation")


def test_bad_token_state(page, open_panel, storage, ws):
    storage.set({"token": "a360_not-a-real-token"})
    try:
        page.goto(gmail_thread("FMfcgzGlobexThread00001"))
        expect(chip(page)).to_have_attribute("data-state", "error", timeout=TIMEOUT)
        host = page
        page = open_panel(page)
        err = page.get_by_test_id("a360-error")
        expect(err).to_have_attribute("data-code", "unauthenticated", timeout=TIMEOUT)
        expect(err).to_contain_text("Token rejected")
        expect(page.get_by_test_id("a360-open-options")).to_be_visible()
    finally:
        storage.set({"token": ws.token})
    # Saving the right token reloads the panel and the chip by themselves.
    expect_account(page, "Globex Corporation")
    expect_chip(host, "Globex Corporation")


MEASURED_URLS = {
    "gmail": gmail_thread("FMfcgzAcmeThread0000001"),
    "salesforce": f"{helpers.SALESFORCE}/lightning/r/Account/{workspace.SF['acme_account']}/view",
    "hubspot": f"{helpers.HUBSPOT}/record/0-2/{workspace.HS['acme_company']}",
}
BUDGET_MS = int(os.environ.get("ACCOUNT360_WIDGET_BUDGET_MS", "300"))
TIMING_JS = """() => {
    const host = document.getElementById('account360-chip-host');
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
    """Time from the page's load event to the chip showing account data, warm server."""
    results = {}
    for host, url in MEASURED_URLS.items():
        p = browser.new_page()
        samples, stages = [], []
        for i in range(6):
            p.goto("about:blank")
            p.goto(url, wait_until="load")
            p.wait_for_function(
                "() => document.getElementById('account360-chip-host')?.dataset.visibleAt",
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
    assert page.locator("#account360-chip-host").count() == 0
    expect(chip(page)).to_have_count(0)
    expect(widget(page)).to_have_count(0)
