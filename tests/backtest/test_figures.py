"""The pure backtest: outcomes over a period, the AUC with ties, rates with null."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from server.backtest.figures import Case, auc, rate, summarize
from server.backtest.outcomes import Outcome, observed_on, outcome
from server.metrics import Deal, arr_changes

D = date(2025, 6, 1)


def _deal(i, kind, amount, day, status="won"):
    return Deal(id=str(i), kind=kind, status=status, amount=Decimal(amount), close_date=day)


def test_outcomes_and_their_dates():
    start, end = date(2025, 1, 1), date(2025, 12, 31)
    new = _deal(0, "new", 1000, date(2024, 3, 1))
    churn_after_contraction = [new, _deal(1, "contraction", 400, date(2025, 2, 1)),
                               _deal(2, "churn", 0, date(2025, 5, 10))]
    got = outcome(arr_changes(churn_after_contraction), start, end)
    assert got == Outcome("churned", Decimal(1000), Decimal(0), date(2025, 5, 10))
    assert observed_on(got, end, 90) == date(2025, 2, 9)
    lost_renewal = [new, _deal(1, "renewal", 1000, date(2025, 3, 1), status="lost")]
    assert outcome(arr_changes(lost_renewal), start, end).date == date(2025, 3, 1)
    down_then_up = [new, _deal(1, "contraction", 600, date(2025, 4, 1)),
                    _deal(2, "expansion", 200, date(2025, 8, 1))]
    assert outcome(arr_changes(down_then_up), start, end) == \
        Outcome("contracted", Decimal(1000), Decimal(600), date(2025, 4, 1))
    renewed_same = [new, _deal(1, "renewal", 1000, date(2025, 3, 1))]
    got = outcome(arr_changes(renewed_same), start, end)
    assert (got.kind, got.date) == ("retained", None)
    assert observed_on(got, end, 30) == date(2025, 12, 1)
    assert outcome(arr_changes([new, _deal(1, "expansion", 1, D)]), start, end).kind == "expanded"
    # no ARR the day before start: not in the cohort (a new logo on start day neither)
    assert outcome(arr_changes([_deal(0, "new", 10, start)]), start, end) is None
    assert outcome((), start, end) is None


def _case(i, kind, score, arr=100):
    band = "unknown" if score is None else "good" if score >= 70 else \
        "watch" if score >= 40 else "at_risk"
    return Case(id=str(i), name=str(i), outcome=Outcome(kind, Decimal(arr), Decimal(0), D),
                observed_on=D, score=score, band=band)


def test_auc_counts_ties_as_half_and_leaves_unscored_out():
    cases = [_case(1, "churned", 20), _case(2, "churned", 50), _case(3, "retained", 50),
             _case(4, "retained", 80), _case(5, "expanded", 10), _case(6, "churned", None)]
    # pairs (churned, not churned): (20,50) 1, (20,80) 1, (20,10) 0, (50,50) 1/2, (50,80) 1,
    # (50,10) 0 -> 3.5 of 6
    got = auc(cases)
    assert got == {"value": 3.5 / 6, "numerator": 3.5, "denominator": 6, "positives": 2,
                   "negatives": 3, "unscored": 1}
    weighted = [_case(1, "churned", 20, 300), _case(2, "retained", 20, 100),
                _case(3, "retained", 90, 500)]
    # 300*100 tie -> half, 300*500 -> whole: (15000 + 150000) / (300 * 600)
    assert auc(weighted, weighted=True)["value"] == 165000 / 180000
    assert auc([_case(1, "retained", 50)])["value"] is None


def test_rates_are_null_without_a_denominator_and_every_band_is_listed():
    assert rate(0, 0) == {"value": None, "numerator": 0, "denominator": 0}
    assert rate(Decimal(1), Decimal(4))["value"] == 0.25
    out = summarize([], date(2025, 1, 1), date(2025, 12, 31), 90)
    assert list(out["bands"]) == ["good", "watch", "at_risk", "unknown"]
    assert out["predictors"]["at_risk"]["recall"]["value"] is None
    assert out["signals"]["usage_drop"]["hit_rate"] == rate(0, 0)
    assert out["auc"]["value"] is None and out["cohort"] == {"accounts": 0, "arr": 0}
