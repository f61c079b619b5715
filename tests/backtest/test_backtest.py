"""The backtest of a hand-built workspace (tests/backtest/workspace.py) equals the answer
worked out by hand: outcomes, confusion table, rates, AUC, signals and their lead times."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from server.backtest.service import BacktestError, backtest
from server.rows.models import AccountDay
from tests.backtest.workspace import ARR, CHURN, END, HORIZON, START, T, day

pytestmark = pytest.mark.store

# Scores on the observation day (components: seat utilization 20, usage trend 20, support 15):
GOOD = (100 * 20 + 50 * 20 + 100 * 15) / 55      # both users active, trend 0
WATCH = (62.5 * 20 + 50 * 20 + 100 * 15) / 55    # one user of two: utilization 0.5 -> 62.5
AT_RISK = (0 * 20 + 0 * 20 + 100 * 15) / 55      # no user in 30 days, trend -100%


def run(known):
    with known.store.session() as s:
        return backtest(s, known.settings, START, END, HORIZON)


def test_outcomes_bands_and_observation_days(known):
    bt = run(known)
    got = {a["id"]: (a["outcome"], a["outcome_date"], a["observed_on"], a["band"])
           for a in bt["accounts"]}
    want = {c: ("churned", day(n), day(n + 90), "at_risk") for c, n in CHURN.items()}
    want["K"] = ("contracted", day(100), day(190), "good")
    want["X"] = ("expanded", None, day(95), "good")
    want.update({r: ("retained", None, day(95), "good") for r in ("R1", "R2", "R3")})
    want["R4"] = ("retained", None, day(95), "watch")
    want["R5"] = ("retained", None, day(95), "at_risk")
    assert got == want                                   # N (new on T-30) is not in the cohort
    scores = {a["id"]: a["score"] for a in bt["accounts"]}
    assert scores == pytest.approx({**{a: GOOD for a in ("K", "X", "R1", "R2", "R3")},
                                    "R4": WATCH, "R5": AT_RISK, "C1": AT_RISK, "C2": AT_RISK,
                                    "C3": AT_RISK}, abs=1e-9)
    assert bt["cohort"] == {"accounts": 10, "arr": Decimal(sum(ARR.values()))}
    assert {o: (v["accounts"], v["arr"]) for o, v in bt["outcomes"].items()} == {
        "churned": (3, 6000), "contracted": (1, 4000), "retained": (5, 18000),
        "expanded": (1, 1000)}


def test_confusion_table_rates_and_auc(known):
    bt = run(known)
    table = {b: [row[o]["accounts"] for o in ("churned", "contracted", "retained", "expanded")]
             for b, row in bt["bands"].items()}
    assert table == {"good": [0, 1, 3, 1], "watch": [0, 0, 1, 0], "at_risk": [3, 0, 1, 0],
                     "unknown": [0, 0, 0, 0]}
    rates = {b: (r["churn_rate"]["value"], r["churn_rate"]["numerator"],
                 r["churn_rate"]["denominator"]) for b, r in bt["bands"].items()}
    assert rates == {"good": (0, 0, 5), "watch": (0, 0, 1), "at_risk": (0.75, 3, 4),
                     "unknown": (None, 0, 0)}
    assert bt["bands"]["at_risk"]["arr_churn_rate"]["value"] == 6000 / 16000
    p = bt["predictors"]
    assert (p["at_risk"]["precision"]["value"], p["at_risk"]["recall"]["value"]) == (3 / 4, 1.0)
    assert (p["at_risk_or_watch"]["precision"]["value"],
            p["at_risk_or_watch"]["recall"]["value"]) == (3 / 5, 1.0)
    assert p["at_risk_or_watch"]["arr_precision"]["value"] == 6000 / 21000
    # AUC by hand: 3 churned at AT_RISK vs 7 others: R5 ties (1/2 each), 6 score higher
    assert bt["auc"]["value"] == (3 * 6 + 3 * 0.5) / 21
    assert (bt["auc"]["positives"], bt["auc"]["negatives"], bt["auc"]["unscored"]) == (3, 7, 0)
    # weighted by start ARR: churned 6000 x others 23000, of which R5's 10000 ties
    assert bt["arr_auc"]["value"] == (6000 * 13000 + 6000 * 10000 / 2) / (6000 * 23000)


def test_signals_hit_rates_false_alarms_and_lead_times(known):
    s = run(known)["signals"]
    # C-121 is the last event: inactive from C-107 (14 days), the 30-day window empty from C-91
    expect = {"usage_drop": 91, "inactive": 107, "health_drop": 91, "low_seat_utilization": 91}
    for code, lead in expect.items():
        assert s[code]["fired"] == {"churned": 3, "contracted": 0, "retained": 1, "expanded": 0}
        assert s[code]["hit_rate"]["value"] == 1.0
        assert (s[code]["false_alarm_rate"]["value"],
                s[code]["false_alarm_rate"]["numerator"]) == (1 / 5, 1)
        assert s[code]["arr_false_alarm_rate"]["value"] == 10000 / 18000
        assert s[code]["lead_time_days"] == {"n": 3, "min": lead, "median": lead,
                                             "mean": lead, "max": lead}
    # never touched since onboarding (T-700): fires from T-670 (its own since, 30 days after
    # the onboarding start) on every day, so C1/C2/C3 (churned T-60/80/100) lead by 610/590/570
    assert s["no_touch"]["false_alarm_rate"]["value"] == 1.0
    assert s["no_touch"]["lead_time_days"] == {"n": 3, "min": 570, "median": 590,
                                               "mean": 590, "max": 610}
    assert s["renewal_risk"]["fired"] == {"churned": 0, "contracted": 0, "retained": 0,
                                          "expanded": 0}
    assert s["renewal_risk"]["lead_time_days"]["median"] is None


def test_missing_history_is_rebuilt_once_and_kept(known):
    first = run(known)
    with known.store.sessions() as s:
        rows = s.scalar(select(func.count()).select_from(AccountDay))
        c1 = s.get(AccountDay, ("C1", day(150)))
    assert c1.signals == ["health_drop", "inactive", "low_seat_utilization", "no_touch",
                          "usage_drop"]
    assert c1.signal_runs["inactive"] == str(day(167))
    assert run(known) == first
    with known.store.sessions() as s:
        assert s.scalar(select(func.count()).select_from(AccountDay)) == rows
    with known.store.session() as s:        # the same figures in memory, nothing written
        mem = backtest(s, known.settings, START, END, HORIZON, write=False)
    assert mem == first


def test_bad_periods_are_refused(known):
    with known.store.session() as s:
        for args, field in (((END, START, 90), "end"), ((START, T.replace(year=T.year + 1), 90),
                                                        "end"), ((START, END, -1), "horizon")):
            with pytest.raises(BacktestError) as exc:
                backtest(s, known.settings, *args)
            assert exc.value.field == field


def test_backtest_command(known, monkeypatch):
    from server.cli import main

    monkeypatch.setenv("ACCOUNT360_DATABASE_URL", known.config["DATABASE_URL"])
    monkeypatch.setenv("ACCOUNT360_DATA_DIR", known.config["DATA_DIR"])
    runner = CliRunner()
    args = ["backtest", "--start", str(START), "--end", str(END), "--horizon", "90"]
    out = runner.invoke(main, [*args, "--json"])
    assert out.exit_code == 0, out.output
    body = json.loads(out.output)
    assert body["auc"]["value"] == 19.5 / 21
    assert body["bands"]["at_risk"]["arr"] == 16000.0
    assert body["signals"]["inactive"]["lead_time_days"]["median"] == 107
    text = runner.invoke(main, args)
    assert text.exit_code == 0
    lines = text.output.splitlines()
    assert "at_risk  4         3        0           1         0         75.0% (3/4)  " \
           "37.5% (6,000/16,000)" in lines
    assert "ROC AUC of the score: 0.929 (3 churned x 7 not churned, 0 without a score); " \
           "ARR-weighted 0.783" in lines
    bad = runner.invoke(main, ["backtest", "--start", str(END), "--end", str(START)])
    assert bad.exit_code == 2 and f"end {START} is before start {END}" in bad.output
