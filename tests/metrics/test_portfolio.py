"""Portfolio retention, quarterly expansion and team roll-ups (sections 1 and 8)."""

from datetime import date
from decimal import Decimal

import pytest

from server.metrics import (
    Deal,
    Movement,
    Nps,
    band_counts,
    expansion_by_quarter,
    loaded_arr,
    mean,
    median,
    retention,
    team_nps,
    team_time_to_first_value,
)

D = Decimal
S0, S1 = date(2025, 4, 1), date(2026, 3, 31)


def mv(s, e, exp="0", con="0", churn="0", new="0", up="0", cross="0"):
    s, e = D(s), D(e)
    return Movement(start=S0, end=S1, start_arr=s, end_arr=e, expansion=D(exp),
                    contraction=D(con), churn=D(churn), new=D(new),
                    nrr_contribution=e - s if s > 0 else None, upsell=D(up), cross_sell=D(cross))


def deal(id, kind, amount, day, **kw):
    return Deal(id=id, kind=kind, status="won", amount=D(amount),
                close_date=date.fromisoformat(day), **kw)


def test_retention_by_hand():
    r = retention([
        mv("1000", "1500", exp="500", up="200", cross="300"),
        mv("2000", "1500", con="500"),
        mv("1000", "0", churn="1000"),
        mv("0", "700", new="700"),  # new business: not in the cohort
    ])
    # cohort 3; S 4000, E 3000; expansion 500, contraction 500, churn 1000
    assert (r.cohort_size, r.start_arr, r.end_arr) == (3, D(4000), D(3000))
    assert (r.expansion, r.contraction, r.churn, r.churned_logos) == (D(500), D(500), D(1000), 1)
    assert r.nrr == pytest.approx(0.75)  # 3000 / 4000
    assert r.grr == pytest.approx(0.625)  # (4000 - 500 - 1000) / 4000
    assert r.logo_churn_rate == pytest.approx(1 / 3)
    assert r.revenue_churn_rate == pytest.approx(0.25)  # 1000 / 4000
    # retained 2500 + upsell 200 + cross-sell 300 = E 3000; total growth 3000 - 4000
    assert r.growth == {"retained": D(2500), "upsell": D(200), "cross_sell": D(300),
                        "total": D(-1000)}
    assert r.to_dict()["growth"]["total"] == D(-1000)


def test_retention_of_an_empty_cohort_is_null():
    r = retention([mv("0", "700", new="700")])
    assert r.cohort_size == 0
    assert (r.nrr, r.grr, r.logo_churn_rate, r.revenue_churn_rate) == (None, None, None, None)


def test_expansion_by_quarter_event_based():
    accounts = {
        "x": [deal("n", "new", "1000", "2025-12-15"),
              deal("e1", "expansion", "300", "2026-01-10", expansion_type="cross_sell"),
              deal("c1", "contraction", "200", "2026-02-01"),
              deal("e2", "expansion", "50", "2026-04-05"),
              deal("r1", "renewal", "1300", "2026-05-01")],  # 1150 -> 1300: +150
        "y": [deal("n", "new", "500", "2026-02-01"),  # from 0: not expansion
              deal("e", "expansion", "100", "2026-02-01")],  # same day, after the new deal
        "z": [deal("n", "new", "800", "2025-01-01"), deal("x", "churn", "0", "2025-06-01"),
              deal("n2", "new", "400", "2026-03-01")],  # comeback from 0: not expansion
    }
    rows = expansion_by_quarter(accounts, date(2026, 1, 1), date(2026, 6, 30))
    # Q1: x +300 cross-sell, y +100 upsell; the -200 contraction does not net off
    assert rows[0] == {"quarter": "2026-Q1", "start": "2026-01-01", "end": "2026-03-31",
                       "expansion": D(400), "upsell": D(100), "cross_sell": D(300)}
    # Q2: x +50 untyped expansion, +150 renewal uplift -> upsell 200
    assert rows[1] == {"quarter": "2026-Q2", "start": "2026-04-01", "end": "2026-06-30",
                       "expansion": D(200), "upsell": D(200), "cross_sell": D(0)}
    clipped = expansion_by_quarter(accounts, date(2026, 2, 15), date(2026, 4, 30))
    assert [(r["quarter"], r["start"], r["end"], r["expansion"]) for r in clipped] == [
        ("2026-Q1", "2026-02-15", "2026-03-31", D(0)), ("2026-Q2", "2026-04-01", "2026-04-30",
                                                        D(50))]
    assert expansion_by_quarter(accounts, date(2026, 2, 1), date(2026, 1, 1)) == []


def test_plus_50_then_minus_30_counts_plus_50():
    deals = [deal("n", "new", "100", "2025-10-01"), deal("e", "expansion", "50", "2025-11-01"),
             deal("c", "contraction", "30", "2025-12-01")]
    rows = expansion_by_quarter({"a": deals}, date(2025, 10, 1), date(2025, 12, 31))
    assert rows == [{"quarter": "2025-Q4", "start": "2025-10-01", "end": "2025-12-31",
                     "expansion": D(50), "upsell": D(50), "cross_sell": D(0)}]


def test_mean_and_median():
    assert median([3, 1, 2]) == 2  # odd: the middle one
    assert median([4, 1, 3, 2]) == 2.5  # even: (2 + 3) / 2
    assert median([]) is None and mean([]) is None
    assert mean([1, 2, 3, 4]) == 2.5
    assert mean([D("1.10"), D("2.20")]) == D("1.65")
    assert median([D(1), D(2)]) == D("1.5")


def test_team_roll_ups():
    assert loaded_arr([D(1000), D("250.50")]) == D("1250.50")
    assert loaded_arr([]) == D(0)
    assert band_counts(["good", "good", "at_risk", "unknown"]) == {
        "good": 2, "watch": 0, "at_risk": 1, "unknown": 1}
    pooled = team_nps([Nps(50.0, 2, 1, 1, 4), Nps(-100.0, 0, 0, 1, 1), Nps(None, 0, 0, 0, 0)])
    # promoters 2, detractors 2 of 5 respondents -> 0
    assert (pooled.score, pooled.responses) == (0.0, 5)
    assert team_nps([]).score is None
    # mean over the 2 that reached first value: (10 + 20) / 2 = 15; one not yet
    assert team_time_to_first_value([10, None, 20]) == {"mean_days": 15.0, "reached": 2,
                                                         "not_reached": 1}
