"""Retention and quarterly expansion as grouped SQL over the stored ARR timeline, against hand
computations and the records path: every branch of the movements (proportional
upsell/cross-sell split, all cross-sell, untyped upsell, contraction, churn, a new logo
outside the cohort, a flat account) for the trailing year and a period ending in the past."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from server.rows.refresh import today

T = today()


def d(n: int) -> str:
    return (T - timedelta(days=n)).isoformat()


def deal(i, acc, kind, status, amount, days_ago, **kw):
    return {"type": "deal", "id": i, "account_id": acc, "kind": kind, "status": status,
            "amount": amount, "close_date": d(days_ago), **kw}


X, Y = "x@team.example", "y@team.example"
RECORDS = [
    *({"type": "account", "id": i, "name": i, "owner": o} for i, o in
      (("A", X), ("B", X), ("C", X), ("D", Y), ("E", Y), ("F", Y))),
    {"type": "account", "id": "G", "name": "G"},
    deal("a1", "A", "new", "won", 1000, 400),
    deal("a2", "A", "expansion", "won", 100, 100, expansion_type="upsell"),
    deal("a3", "A", "expansion", "won", 200, 50, expansion_type="cross_sell"),
    deal("a4", "A", "contraction", "won", 50, 20),
    deal("b1", "B", "new", "won", 500, 500),
    deal("b2", "B", "expansion", "won", 100, 30, expansion_type="cross_sell"),
    deal("c1", "C", "new", "won", 800, 600),
    deal("c2", "C", "renewal", "won", 600, 200),          # a renewal that lowers ARR
    deal("d1", "D", "new", "won", 400, 450),
    deal("d2", "D", "renewal", "lost", 400, 100),         # lost renewal: churn
    deal("e1", "E", "new", "won", 300, 10),               # new logo: S = 0, not in the cohort
    deal("f1", "F", "new", "won", 700, 380),
    deal("f2", "F", "expansion", "won", 70, 60),          # untyped: upsell
    deal("g1", "G", "new", "won", 250, 370),              # flat
]


@pytest.fixture
def ws(app, load):
    load(RECORDS)
    return app.extensions["account360"]


def _json(app, value):
    return json.loads(app.json.dumps(value))


def _both(app, st, start, end, owner=None):
    from server.services.portfolio import portfolio

    with st.store.sessions() as s:
        fast = _json(app, portfolio(s, st.settings, start, end, T, owner, rows=True))
        slow = _json(app, portfolio(s, st.settings, start, end, T, owner, rows=False))
    assert fast == slow
    return fast


def _quarters(changes: dict[int, tuple[float, float]]) -> dict[str, tuple[float, float]]:
    """{quarter: (upsell, cross_sell)} of increases dated n days ago."""
    out: dict[str, tuple[float, float]] = {}
    for n, (up, cross) in changes.items():
        day = T - timedelta(days=n)
        label = f"{day.year}-Q{(day.month - 1) // 3 + 1}"
        u0, c0 = out.get(label, (0, 0))
        out[label] = (u0 + up, c0 + cross)
    return out


def _growth(fig):
    nrr = fig["nrr"]["inputs"]
    return (nrr["cohort_size"], nrr["start_arr"], nrr["end_arr"], nrr["expansion"],
            nrr["contraction"], nrr["churn"], fig["logo_churn_rate"]["inputs"]["churned_logos"],
            fig["arr_growth_existing"]["inputs"])


def test_trailing_year(app, ws):
    from server.metrics import trailing_year

    start, end = trailing_year(T)
    body = _both(app, ws, start, end)
    team = body["team"]
    # cohort A B C D F G. A: S 1000, E 1250, expansion 250 split in proportion to its
    # increases (upsell 100, cross-sell 200): cross-sell 250 * 200 / 300 = 166.67, upsell
    # 83.33. B: all cross-sell, 100. C: contraction 200. D: churn 400. F: untyped upsell 70.
    assert _growth(team) == (6, 3650, 3470, 420, 200, 400, 1, {
        "retained": 3050, "upsell": 153.33, "cross_sell": 266.67, "total": -180})
    assert team["nrr"]["value"] == pytest.approx(3470 / 3650)
    assert team["grr"]["value"] == pytest.approx(3050 / 3650)
    assert team["revenue_churn_rate"]["value"] == pytest.approx(400 / 3650)
    assert team["loaded_arr"]["value"] == 1250 + 600 + 600 + 0 + 300 + 770 + 250
    quarters = {q["quarter"]: (q["upsell"], q["cross_sell"])
                for q in team["expansion_by_quarter"]["value"] if q["expansion"]}
    assert quarters == _quarters({100: (100, 0), 50: (0, 200), 30: (0, 100), 60: (70, 0)})
    by = {c["owner"]: c for c in body["by_csm"]}
    assert set(by) == {X, Y, "(unassigned)"}
    assert _growth(by[X]) == (3, 2300, 2450, 350, 200, 0, 0, {
        "retained": 2100, "upsell": 83.33, "cross_sell": 266.67, "total": 150})
    assert _growth(by[Y]) == (2, 1100, 770, 70, 0, 400, 1, {
        "retained": 700, "upsell": 70, "cross_sell": 0, "total": -330})
    assert _growth(by["(unassigned)"])[:3] == (1, 250, 250)
    only_y = _both(app, ws, start, end, owner="Y@team.example")
    assert _growth(only_y["team"]) == _growth(by[Y])


def test_period_ending_in_the_past(app, ws):
    start, end = T - timedelta(days=200), T - timedelta(days=40)
    team = _both(app, ws, start, end)["team"]
    # S = ARR(T - 201), E = ARR(T - 40). A: 1000 -> 1300 (the contraction at T - 20 is
    # after the period), expansion 300 = its increases, split exactly (100 / 200). B flat
    # (its expansion is after the period). C: the renewal on the first day counts, 800 ->
    # 600. D churns. E is outside the cohort. F +70.
    assert _growth(team) == (6, 3650, 3420, 370, 200, 400, 1, {
        "retained": 3050, "upsell": 170, "cross_sell": 200, "total": -230})
    quarters = {q["quarter"]: (q["upsell"], q["cross_sell"])
                for q in team["expansion_by_quarter"]["value"] if q["expansion"]}
    assert quarters == _quarters({100: (100, 0), 50: (0, 200), 60: (70, 0)})


def test_an_empty_period_and_no_cohort(app, ws):
    start = T - timedelta(days=5)
    team = _both(app, ws, start, T)["team"]
    # the cohort is every account with ARR six days ago (D churned, E is new since T - 10:
    # A B C E F G); nothing changed since: all flat
    assert _growth(team) == (6, 3770, 3770, 0, 0, 0, 0, {
        "retained": 3770, "upsell": 0, "cross_sell": 0, "total": 0})
    later = _both(app, ws, T - timedelta(days=1000), T - timedelta(days=700))["team"]
    assert later["nrr"]["inputs"]["cohort_size"] == 0 and later["nrr"]["value"] is None
