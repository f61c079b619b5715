"""The dashboard charts' data: trailing-12-month NRR and GRR at each month end from the stored
ARR timeline, accounts per band at month ends from the history rows, the ARR bridge and the
expansion by quarter from the period's team figures, as JSON in the page."""

from __future__ import annotations

import json
import re
from datetime import date

import pytest

from server.rows.models import AccountDay
from server.services import trends
from tests.workspace.test_dashboard import XSS, records

AS_OF = date(2026, 6, 15)


def deal(i, acc, kind, status, amount, day):
    return {"type": "deal", "id": i, "account_id": acc, "kind": kind, "status": status,
            "amount": amount, "close_date": day}


DATED = [
    {"type": "account", "id": "A", "name": "Alpha", "owner": "csm@example.com", "segment": "smb"},
    {"type": "account", "id": "B", "name": "Beta", "owner": "csm@example.com",
     "segment": "enterprise"},
    {"type": "account", "id": "C", "name": "Gamma", "owner": "other@example.com",
     "segment": "smb"},
    deal("a1", "A", "new", "won", 100, "2025-01-10"),
    deal("a2", "A", "expansion", "won", 50, "2026-03-15"),
    deal("b1", "B", "new", "won", 200, "2025-02-01"),
    deal("b2", "B", "contraction", "won", 50, "2026-05-20"),
    deal("c1", "C", "new", "won", 300, "2025-03-01"),
    deal("c2", "C", "renewal", "lost", 300, "2026-04-10"),
]


def test_month_ends_end_with_the_day():
    assert trends.month_ends(AS_OF, 3) == [date(2026, 4, 30), date(2026, 5, 31), AS_OF]
    assert trends.month_ends(date(2026, 1, 31), 2) == [date(2025, 12, 31), date(2026, 1, 31)]


def test_retention_by_month(app, load):
    load(DATED)
    with app.extensions["account360"].store.sessions() as s:
        points = {p["month"]: p for p in trends.retention_by_month(s, AS_OF)}
        mine = {p["month"]: p for p in trends.retention_by_month(s, AS_OF, "csm@example.com")}
    assert list(points) == ["2025-07", "2025-08", "2025-09", "2025-10", "2025-11", "2025-12",
                            "2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06"]
    assert points["2025-07"]["nrr"] is None and points["2025-07"]["cohort_size"] == 0
    # window 2025-02-01..2026-01-31: only A had ARR on 2025-01-31 (100 -> 100)
    assert (points["2026-01"]["nrr"], points["2026-01"]["grr"]) == (1.0, 1.0)
    assert points["2026-01"]["start_arr"] == 100
    # 2025-04-01..2026-03-31: S 600, E 150 + 200 + 300 = 650
    assert points["2026-03"]["nrr"] == pytest.approx(650 / 600)
    assert points["2026-03"]["grr"] == 1.0
    # 2025-05-01..2026-04-30: C churned (-300): E 350
    assert points["2026-04"]["nrr"] == pytest.approx(350 / 600)
    assert points["2026-04"]["grr"] == pytest.approx(300 / 600)
    # ending 2026-06-15: B contracted by 50: E 300, GRR (600 - 50 - 300) / 600
    assert points["2026-06"]["end"] == AS_OF and points["2026-06"]["start"] == date(2025, 6, 16)
    assert points["2026-06"]["nrr"] == pytest.approx(300 / 600)
    assert points["2026-06"]["grr"] == pytest.approx(250 / 600)
    # the CSM's book (A, B): S 300, E 150 + 150
    assert mine["2026-06"]["nrr"] == pytest.approx(1.0)
    assert mine["2026-06"]["grr"] == pytest.approx(250 / 300)


def test_bands_by_month_read_the_month_end_history(app, load):
    load(DATED)
    st = app.extensions["account360"].store
    days = [("A", "2026-05-30", "at_risk"), ("A", "2026-05-31", "good"),
            ("B", "2026-05-31", "watch"), ("C", "2026-05-31", "at_risk"),
            ("A", "2026-06-15", "good"), ("B", "2026-06-15", "good"),
            ("C", "2026-06-15", "unknown")]
    with st.session() as s:
        for acc, day, band in days:
            s.add(AccountDay(account_id=acc, day=date.fromisoformat(day), band=band,
                             score=None, signals=[]))
    with st.sessions() as s:
        team = trends.bands_by_month(s, AS_OF)
        mine = trends.bands_by_month(s, AS_OF, "csm@example.com")
    may, june = date(2026, 5, 31), AS_OF
    assert team == [
        {"month": "2026-05", "day": may, "good": 1, "watch": 1, "at_risk": 1, "unknown": 0},
        {"month": "2026-06", "day": june, "good": 2, "watch": 0, "at_risk": 0, "unknown": 1}]
    assert mine == [
        {"month": "2026-05", "day": may, "good": 1, "watch": 1, "at_risk": 0, "unknown": 0},
        {"month": "2026-06", "day": june, "good": 2, "watch": 0, "at_risk": 0, "unknown": 0}]


def charts_of(html: str) -> dict:
    found = re.search(r'<script type="application/json" id="chart-data">(.*?)</script>', html,
                      re.S)
    assert found, "no chart data in the page"
    return json.loads(found[1])


@pytest.fixture
def lead(app, load, make_user, browser):
    load(records() + [{"type": "account", "id": "X", "name": XSS, "owner": "x@example.com",
                              "segment": XSS}])
    make_user("lead@example.com", "lead")
    b = browser()
    b.login("lead@example.com")
    return b


def test_dashboard_carries_the_charts(lead, client, auth):
    html = lead.get("/app/").get_data(as_text=True)
    charts = charts_of(html)
    # S: A 100, B 200, C 300; A expanded by 50, C's renewal was lost: E 350
    assert charts["bridge"]["labels"] == ["Start ARR", "Expansion", "Contraction", "Churn",
                                          "End ARR"]
    assert charts["bridge"]["values"] == [600, 50, 0, -300, 350]
    assert charts["bridge"]["bars"] == [[0, 600], [600, 650], [650, 650], [350, 650], [0, 350]]
    team = client.get("/api/v1/portfolio", headers=auth).get_json()["team"]
    assert charts["retention"]["nrr"][-1] == round(team["nrr"]["value"] * 100, 2) == 58.33
    assert charts["retention"]["grr"][-1] == round(team["grr"]["value"] * 100, 2) == 50.0
    assert len(charts["retention"]["labels"]) == 12
    quarters = team["expansion_by_quarter"]["value"]
    assert charts["expansion"]["labels"] == [q["quarter"] for q in quarters]
    assert sum(charts["expansion"]["values"]) == 50
    for name in ("bridge", "retention", "bands", "expansion"):
        assert f'data-chart="{name}"' in html
    assert "vendor/chartjs/chart.umd.min.js" in html and "charts.js" in html


def test_chart_data_follow_the_filters_and_stay_escaped(lead):
    smb = charts_of(lead.get("/app/?segment=smb").get_data(as_text=True))
    # smb: A (100 -> 150) and C (300 -> 0)
    assert smb["bridge"]["values"] == [400, 50, 0, -300, 150]
    html = lead.get("/app/?segment=" + XSS).get_data(as_text=True)
    assert XSS not in html
    assert charts_of(html)["bridge"]["values"] == [0, 0, 0, 0, 0]


def test_vendored_chart_library_is_served(lead):
    r = lead.get("/app/static/vendor/chartjs/chart.umd.min.js")
    assert r.status_code == 200 and b"Chart.js v4.5.1" in r.data[:400]
    assert lead.get("/app/static/charts.js").status_code == 200
