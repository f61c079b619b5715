"""Usage figures (metrics.md section 2)."""

from dataclasses import replace
from datetime import date

import pytest

from server.metrics import MetricsConfig, UsageStats, usage

T = date(2026, 3, 31)
CFG = MetricsConfig(
    key_features={"reports": frozenset({"a", "r2"}), "alerts": frozenset({"z"}),
                  "export": frozenset({"b"})},
    first_value_event="report_created",
)
STATS = UsageStats(
    active_30d=12, active_prior_30d=16, dau_sum_30d=90,
    features_used_30d=frozenset({"a", "b", "x"}), sessions_30d=4, session_seconds_30d=1000,
    last_event_day=date(2026, 3, 20), first_value_day=date(2026, 2, 15),
    daily_active=((date(2026, 3, 3), 2), (date(2026, 3, 2), 5)),
)


def test_usage_figures_by_hand():
    u = usage(STATS, 20, CFG, date(2026, 1, 1), T)
    assert (u.active_users_30d, u.active_users_prior_30d) == (12, 16)
    assert u.trend == pytest.approx(-0.25)  # (12 - 16) / 16
    assert u.seat_utilization == pytest.approx(0.6)  # 12 / 20
    assert u.key_features == ("alerts", "export", "reports")
    assert u.features_used == ("export", "reports")  # "a" -> reports, "b" -> export
    assert u.adoption_breadth == pytest.approx(2 / 3)  # 2 of 3 key features
    assert u.stickiness == pytest.approx(0.25)  # 90 / 30 = 3 mean DAU, / 12
    assert u.avg_session_seconds == pytest.approx(250.0)  # 1000 / 4
    assert u.days_since_last_activity == 11  # 2026-03-20 -> 2026-03-31
    assert u.first_value_date == date(2026, 2, 15)
    assert u.time_to_first_value_days == 45  # 2026-01-01 -> 2026-02-15: 31 + 14
    assert u.daily_active == ({"date": date(2026, 3, 2), "active_users": 5},
                              {"date": date(2026, 3, 3), "active_users": 2})
    out = u.to_dict()
    assert out["daily_active"][0] == {"date": "2026-03-02", "active_users": 5}
    assert out["last_activity_date"] == "2026-03-20"


def test_zero_denominators_are_none():
    zero = replace(STATS, active_30d=0, active_prior_30d=0, dau_sum_30d=0, sessions_30d=0,
                   session_seconds_30d=0)
    u = usage(zero, 0, CFG, None, T)
    assert u.trend is None  # prior 0
    assert u.seat_utilization is None  # seats 0
    assert u.stickiness is None  # active 0
    assert u.avg_session_seconds is None  # sessions 0
    assert u.time_to_first_value_days is None  # no onboarding start
    assert usage(STATS, None, CFG, None, T).seat_utilization is None


def test_no_key_features_means_no_breadth():
    u = usage(STATS, 20, MetricsConfig(), None, T)
    assert u.adoption_breadth is None and u.key_features == () and u.features_used == ()


def test_no_analytics_data_at_all():
    u = usage(None, 20, CFG, date(2026, 1, 1), T)
    assert u.active_users_30d is None and u.trend is None and u.seat_utilization is None
    assert u.adoption_breadth is None and u.days_since_last_activity is None
    assert u.seats == 20 and u.key_features == ("alerts", "export", "reports")


def test_first_value_after_as_of_is_not_reached_and_early_value_is_zero_days():
    late = usage(replace(STATS, first_value_day=date(2026, 4, 1)), 20, CFG, date(2026, 1, 1), T)
    assert late.first_value_date is None and late.time_to_first_value_days is None
    early = usage(STATS, 20, CFG, date(2026, 3, 1), T)  # value on 02-15, before the start
    assert early.time_to_first_value_days == 0


def test_trend_growth_and_full_adoption():
    u = usage(replace(STATS, active_30d=20, active_prior_30d=16,
                      features_used_30d=frozenset({"r2", "z", "b"})), 25, CFG, None, T)
    assert u.trend == pytest.approx(0.25)  # (20 - 16) / 16
    assert u.seat_utilization == pytest.approx(0.8)  # 20 / 25
    assert u.adoption_breadth == pytest.approx(1.0)  # 3 / 3
