"""The workspace in real Chromium against a real `account360 serve` with an imported demo
workspace: sign in as a CSM and as a lead, the dashboard's figures equal the API's portfolio
for the same period and owner, and the URL's filters change them."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest

from tests.workspace.browsing import CSM, LEAD, api, chart_points, portfolio, shown, sign_in
from tests.workspace.records import EVERY

pytestmark = pytest.mark.browser


FIGURES = ("loaded_arr", "nrr", "grr", "logo_churn_rate", "revenue_churn_rate",
           "expansion_by_quarter", "nps", "accounts_by_band", "open_warnings")


def test_csm_dashboard_equals_the_api_and_filters_change_it(served, chromium, artifact_dir):
    from playwright.sync_api import expect

    url, token = served
    page = sign_in(chromium, url, CSM)
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


def test_lead_sees_the_team_by_default(served, chromium):
    url, token = served
    page = sign_in(chromium, url, LEAD)
    team = portfolio(url, token)
    assert shown(page, "loaded_arr") == team["team"]["loaded_arr"]["value"]
    assert page.locator("thead th[data-group]").count() == 1 + len(team["by_csm"])
    nav = page.locator("header.top nav")
    assert nav.get_by_role("link").all_inner_texts() == ["Workspace",
                                                          "My tokens & extension"]
    assert page.goto(url + "/admin/aliases").status == 403  # and not by its address either
    assert page.goto(url + "/admin/templates").status == 403


def test_dashboard_charts_draw_the_figures(served, chromium, artifact_dir):
    from playwright.sync_api import expect

    url, token = served
    page = sign_in(chromium, url, LEAD)
    team = portfolio(url, token)["team"]
    inputs = team["nrr"]["inputs"]
    s, e, c, ch = (inputs[k] for k in ("start_arr", "expansion", "contraction", "churn"))
    bridge = chart_points(page, "chart-bridge")[0]
    assert bridge == [[0, s], [s, s + e], [s + e - c, s + e], [s + e - c - ch, s + e - c],
                      [0, inputs["end_arr"]]]
    nrr, grr = chart_points(page, "chart-retention")
    assert len(nrr) == 12 and nrr[-1] == round(team["nrr"]["value"] * 100, 2)
    assert grr[-1] == round(team["grr"]["value"] * 100, 2)
    bands = chart_points(page, "chart-bands")  # good, watch, at risk, unknown per month end
    assert len(bands) == 4 and len(bands[0]) == 12
    assert [b[-1] for b in bands] == [team["accounts_by_band"]["value"][k]
                                      for k in ("good", "watch", "at_risk", "unknown")]
    expansion = chart_points(page, "chart-expansion")[0]
    assert expansion == [q["expansion"] for q in team["expansion_by_quarter"]["value"]]
    for canvas in ("bridge", "retention", "bands", "expansion"):
        box = page.locator(f"#chart-{canvas}").bounding_box()
        assert box["width"] > 500 and box["height"] > 200
    expect(page.get_by_text("ARR bridge of the period's cohort")).to_be_visible()
    page.screenshot(path=str(artifact_dir / "workspace-dashboard-charts.png"))
    page.get_by_label("Segment").select_option("enterprise")
    page.get_by_role("button", name="Apply").click()
    expect(page).to_have_url(f"{url}/app/?period=12m&owner=&segment=enterprise&phase=")
    page.wait_for_load_state("load")
    ent = portfolio(url, token, segment="enterprise")["team"]
    assert chart_points(page, "chart-bridge")[0][0] == [0, ent["nrr"]["inputs"]["start_arr"]]


def test_priority_accounts_in_risk_order(served, chromium, artifact_dir):
    from playwright.sync_api import expect

    url, token = served
    page = sign_in(chromium, url, LEAD)
    page.get_by_role("link", name="Priority accounts").click()
    expect(page.get_by_role("heading", name="Priority accounts")).to_be_visible()
    every = {a["id"]: a for a in api(url, token, "accounts", limit=500)["items"]}
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


def test_accounts_table_filters_sorts_and_exports_what_it_shows(served, chromium, artifact_dir):
    from playwright.sync_api import expect

    url, _ = served
    page = sign_in(chromium, url, CSM)
    page.goto(f"{url}/app/accounts?{EVERY}")  # every column (the default set is narrower)
    rows = page.locator("table.accounts tbody tr[data-account]")
    expect(rows.first).to_be_visible()
    assert all(rows.nth(i).locator('td[data-col="owner"]').inner_text() == CSM
               for i in range(rows.count()))  # a CSM's own book by default
    page.locator("form.filters").get_by_label("Owner").select_option("")
    page.locator("form.filters").get_by_label("Segment").select_option("enterprise")
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


def test_lifecycle_counts_equal_the_list(served, chromium, artifact_dir):
    from playwright.sync_api import expect

    url, token = served
    page = sign_in(chromium, url, LEAD)
    page.get_by_role("link", name="Lifecycle").click()
    expect(page.get_by_role("heading", name="Lifecycle")).to_be_visible()
    every = api(url, token, "accounts", limit=500)["items"]
    for phase in ("onboarding", "adoption", "value_realization", "renewal", "advocacy",
                  "churned"):
        want = sum(1 for a in every if a["phase"] == phase)
        assert page.get_by_test_id(f"count-{phase}").inner_text() == str(want), phase
    page.screenshot(path=str(artifact_dir / "workspace-lifecycle.png"))
