"""What the workspace's browser tests share: one real `account360 serve` with an imported demo
workspace (and a year of daily history) for the session, a CSM and a lead to sign in as,
Chromium from the shared Playwright driver, and readers of the API and of the pages."""

from __future__ import annotations

import json
import os
import subprocess
import urllib.request
from datetime import date, timedelta

import pytest

from server.demo import write_demo
from tests.admin.conftest import PASSWORD
from tests.admin.test_browser import CHROMIUM, CLI
from tests.served import free_port, serve, stop_server

CSM = "maria@ourteam.example"
LEAD = "lead@ourteam.example"
XSS = "<img src=x onerror=alert(1)>"
#: An account whose CRM name is markup, in the CSM's book, with a year of ARR and a task.
XSS_RECORDS = [
    {"type": "account", "id": "xss-1", "name": XSS, "owner": CSM, "segment": "smb"},
    {"type": "deal", "id": "xss-d1", "account_id": "xss-1", "kind": "new", "status": "won",
     "amount": 4200, "close_date": "2025-06-01"},
    {"type": "task", "id": "xss-t1", "account_id": "xss-1", "subject": XSS, "status": "open",
     "owner": CSM},
]


OTHER = "devon@ourteam.example"
TODAY = date.today()


def _day(n: int) -> str:
    return (TODAY + timedelta(days=n)).isoformat()


def _email(i, acc, days, hour, direction, thread):
    return {"type": "message", "id": i, "account_id": acc, "channel": "email",
            "direction": direction, "thread_id": thread, "text": "About the renewal",
            "at": f"{_day(days)}T{hour:02d}:00:00Z"}


#: My tasks (overdue first, CSM vs lead) and the email reply median (per CSM and team): an
#: account of another CSM, tasks due before and after today, replies after 3, 6 and 1 hours.
EXTRA_RECORDS = [
    {"type": "account", "id": "ops-1", "name": "Ops & Other", "owner": OTHER, "segment": "smb"},
    {"type": "task", "id": "ws-late", "account_id": "xss-1", "subject": "Call back (late)",
     "status": "open", "owner": CSM, "due_date": _day(-5)},
    {"type": "task", "id": "ws-soon", "account_id": "xss-1", "subject": "Send the QBR deck",
     "status": "open", "owner": CSM, "due_date": _day(7)},
    {"type": "task", "id": "ws-other", "account_id": "ops-1", "subject": "Other CSM's task",
     "status": "open", "owner": OTHER, "due_date": _day(-2)},
    _email("m1", "xss-1", -5, 9, "in", "th1"), _email("m2", "xss-1", -5, 12, "out", "th1"),
    _email("m3", "xss-1", -3, 10, "in", "th2"), _email("m4", "xss-1", -3, 16, "out", "th2"),
    _email("m5", "ops-1", -4, 8, "in", "th3"), _email("m6", "ops-1", -4, 9, "out", "th3"),
]
#: The workspace settings of the served workspace: a North Star the demo's events feed.
SETTINGS = """
[north_star]
name = "Reports shared"
kind = "events"
events = ["report_shared"]
period = "month"
"""


def run_cli(args, env, stdin=None):
    done = subprocess.run([CLI, *args], env=env, input=stdin, text=True, capture_output=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture(scope="session")
def served(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("workspace")
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp),
           "ACCOUNT360_DATA_DIR": str(tmp / "data"),
           "ACCOUNT360_SECRET_KEY": "browser-test-secret", "ACCOUNT360_SCHEDULER": "off",
           "ACCOUNT360_SETTINGS": str(tmp / "settings.toml")}
    (tmp / "settings.toml").write_text(SETTINGS)
    run_cli(["db", "upgrade"], env)
    demo = tmp / "demo.jsonl"
    write_demo(demo, 48, 3000, 7, date.today())
    run_cli(["import", str(demo)], env)
    extra = tmp / "xss.jsonl"
    extra.write_text("".join(json.dumps(r) + "\n" for r in XSS_RECORDS + EXTRA_RECORDS))
    run_cli(["import", str(extra)], env)
    run_cli(["metrics", "backfill", "--days", "370"], env)
    run_cli(["admin", "create", CSM, "--role", "csm"], env, PASSWORD + "\n")
    run_cli(["admin", "create", LEAD, "--role", "lead"], env, PASSWORD + "\n")
    token = run_cli(["token", "create", "--name", "test"], env).strip()
    url, proc, log = serve(CLI, env, free_port(), tmp / "serve.log")
    yield url, token
    stop_server(proc, log)


def api(url, token, path, **params):
    query = "&".join(f"{k}={v}" for k, v in params.items())
    req = urllib.request.Request(f"{url}/api/v1/{path}?{query}",
                                 headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.load(resp)


def portfolio(url, token, **params):
    return api(url, token, "portfolio", **params)


def shown(page, figure, group="Team"):
    cell = page.locator(f'tr[data-figure="{figure}"] td[data-group="{group}"]')
    return json.loads(cell.get_attribute("data-value"))


def chart_points(page, canvas_id: str) -> list[list]:
    """Each dataset's data points of the chart drawn on a canvas, read from Chart.js (once
    the page's scripts have drawn it: a URL can match before they ran)."""
    page.wait_for_function(
        "id => window.Chart && Chart.getChart(document.getElementById(id))", arg=canvas_id)
    return page.evaluate(
        "id => Chart.getChart(document.getElementById(id)).data.datasets.map(d => d.data)",
        canvas_id)


@pytest.fixture
def chromium(tmp_path, playwright_driver):
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"Chromium is missing at {CHROMIUM} (apt-get install chromium)")
    b = playwright_driver.chromium.launch(executable_path=CHROMIUM, headless=True,
                                          env={**os.environ, "HOME": str(tmp_path)},
                                          args=["--disable-gpu", "--disable-quic"])
    try:
        yield b
    finally:
        b.close()


def sign_in(browser, url, email):
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 1280, "height": 720})
    page.goto(url + "/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(url + "/app/")
    return page
