"""The workspace in real Chromium against a real `account360 serve` with an imported demo
workspace: sign in as a CSM and as a lead, the dashboard's figures equal the API's portfolio
for the same period and owner, and the URL's filters change them."""

from __future__ import annotations

import json
import os
import subprocess
import urllib.request
from datetime import date

import pytest

from server.demo import write_demo
from tests.admin.conftest import PASSWORD
from tests.admin.test_browser import CHROMIUM, CLI
from tests.served import free_port, serve, stop_server

pytestmark = pytest.mark.browser

CSM = "maria@ourteam.example"
LEAD = "lead@ourteam.example"


def _run(args, env, stdin=None):
    done = subprocess.run([CLI, *args], env=env, input=stdin, text=True, capture_output=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("workspace")
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp),
           "ACCOUNT360_DATA_DIR": str(tmp / "data"),
           "ACCOUNT360_SECRET_KEY": "browser-test-secret", "ACCOUNT360_SCHEDULER": "off"}
    _run(["db", "upgrade"], env)
    demo = tmp / "demo.jsonl"
    write_demo(demo, 48, 3000, 7, date.today())
    _run(["import", str(demo)], env)
    _run(["admin", "create", CSM, "--role", "csm"], env, PASSWORD + "\n")
    _run(["admin", "create", LEAD, "--role", "lead"], env, PASSWORD + "\n")
    token = _run(["token", "create", "--name", "test"], env).strip()
    port = free_port()
    url, proc, log = serve(CLI, env, port, tmp / "serve.log")
    yield url, token
    stop_server(proc, log)


def portfolio(url, token, **params):
    query = "&".join(f"{k}={v}" for k, v in params.items())
    req = urllib.request.Request(f"{url}/api/v1/portfolio?{query}",
                                 headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.load(resp)


def shown(page, figure, group="Team"):
    cell = page.locator(f'tr[data-figure="{figure}"] td[data-group="{group}"]')
    return json.loads(cell.get_attribute("data-value"))


@pytest.fixture
def browser(tmp_path, playwright_driver):
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


FIGURES = ("loaded_arr", "nrr", "grr", "logo_churn_rate", "revenue_churn_rate",
           "expansion_by_quarter", "nps", "accounts_by_band", "open_warnings")


def test_csm_dashboard_equals_the_api_and_filters_change_it(served, browser, artifact_dir):
    from playwright.sync_api import expect

    url, token = served
    page = sign_in(browser, url, CSM)
    expect(page.get_by_role("heading", name="Team dashboard")).to_be_visible()
    expect(page.get_by_test_id("freshness")).to_contain_text("import")
    mine = portfolio(url, token, owner=CSM)
    for key in FIGURES:
        assert shown(page, key) == mine["team"][key]["value"], key
    assert page.get_by_test_id("period").get_attribute("data-start") == \
        mine["period"]["start"]
    page.screenshot(path=str(artifact_dir / "workspace-dashboard-csm.png"), full_page=True)

    page.get_by_label("Owner").select_option("")  # switch to the whole team
    page.get_by_role("button", name="Apply").click()
    expect(page).to_have_url(f"{url}/app/?period=12m&owner=&segment=&phase=")
    team = portfolio(url, token)
    assert shown(page, "loaded_arr") == team["team"]["loaded_arr"]["value"]
    assert shown(page, "loaded_arr") != mine["team"]["loaded_arr"]["value"]
    for row in team["by_csm"]:
        assert shown(page, "nrr", row["owner"]) == row["nrr"]["value"]

    page.get_by_label("Segment").select_option("enterprise")
    page.get_by_label("Period").select_option("quarter")
    page.get_by_role("button", name="Apply").click()
    start = page.get_by_test_id("period").get_attribute("data-start")
    ent = portfolio(url, token, segment="enterprise", start=start,
                    end=date.today().isoformat())
    assert shown(page, "loaded_arr") == ent["team"]["loaded_arr"]["value"]
    assert shown(page, "accounts_by_band") == ent["team"]["accounts_by_band"]["value"]
    page.go_back()
    expect(page).to_have_url(f"{url}/app/?period=12m&owner=&segment=&phase=")
    assert shown(page, "loaded_arr") == team["team"]["loaded_arr"]["value"]
    expect(page.get_by_label("Period")).to_have_value("12m")  # the form matches the figures
    expect(page.get_by_label("Segment")).to_have_value("")

    nrr = page.locator('tr[data-figure="nrr"] td[data-group="Team"] details')
    nrr.locator("summary").focus()
    page.keyboard.press("Enter")  # inputs open from the keyboard
    expect(nrr.get_by_text("start arr")).to_be_visible()
    page.screenshot(path=str(artifact_dir / "workspace-dashboard-team.png"), full_page=True)


def test_lead_sees_the_team_by_default(served, browser):
    url, token = served
    page = sign_in(browser, url, LEAD)
    team = portfolio(url, token)
    assert shown(page, "loaded_arr") == team["team"]["loaded_arr"]["value"]
    assert page.locator("thead th[data-group]").count() == 1 + len(team["by_csm"])


def test_priority_accounts_in_risk_order(served, browser, artifact_dir):
    from playwright.sync_api import expect

    url, token = served
    page = sign_in(browser, url, LEAD)
    page.get_by_role("link", name="Priority accounts").click()
    expect(page.get_by_role("heading", name="Priority accounts")).to_be_visible()
    req = urllib.request.Request(f"{url}/api/v1/accounts?limit=500",
                                 headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(req, timeout=30) as resp:
        every = {a["id"]: a for a in json.load(resp)["items"]}
    rows = page.locator("table.priority tbody tr[data-account]")
    ids = [rows.nth(i).get_attribute("data-account") for i in range(rows.count())]
    assert ids and every[ids[0]]["band"] == "at_risk"
    assert not [i for i in ids if every[i]["phase"] == "churned"]
    rank = {"at_risk": 0, "watch": 1}
    keys = [(rank.get(every[i]["band"], 2),
             -every[i]["arr"] if every[i]["band"] in rank else 0,
             every[i]["renewal_date"] or "9999-12-31") for i in ids]
    assert keys == sorted(keys)
    expect(rows.first.locator("td").nth(2)).to_have_text("at risk")
    page.screenshot(path=str(artifact_dir / "workspace-priority-lead.png"))


def test_accounts_table_filters_sorts_and_exports_what_it_shows(served, browser, artifact_dir):
    import csv
    import io

    from playwright.sync_api import expect

    url, _ = served
    page = sign_in(browser, url, CSM)
    page.get_by_role("link", name="Accounts", exact=True).click()
    rows = page.locator("table.accounts tbody tr[data-account]")
    expect(rows.first).to_be_visible()
    assert all(rows.nth(i).locator('td[data-col="owner"]').inner_text() == CSM
               for i in range(rows.count()))  # a CSM's own book by default
    page.get_by_label("Owner").select_option("")
    page.get_by_label("Segment").select_option("enterprise")
    page.get_by_role("button", name="Apply").click()
    page.get_by_role("link", name="ARR").click()
    page.get_by_role("link", name="ARR ▲").click()  # again: largest first
    expect(page.locator('th[aria-sort="descending"]')).to_have_text("ARR ▼")
    table = [[c.strip() for c in rows.nth(i).locator("th, td").all_inner_texts()]
             for i in range(rows.count())]
    assert table and all(r[2] == "enterprise" for r in table)
    arr = [float(r[6].replace(",", "")) for r in table]
    assert arr == sorted(arr, reverse=True)
    with page.expect_download() as dl:
        page.get_by_test_id("csv-export").click()
    body = open(dl.value.path(), encoding="utf-8").read()
    exported = list(csv.reader(io.StringIO(body)))[1:]
    assert exported == table
    page.screenshot(path=str(artifact_dir / "workspace-accounts.png"))
