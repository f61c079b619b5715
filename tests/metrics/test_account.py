"""One account end to end, as of today and as of a past day; JSON-ready output."""

import json
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest

from server.metrics import (
    AccountFacts,
    Advocacy,
    Contact,
    Deal,
    MetricsConfig,
    NpsResponse,
    Ticket,
    Touchpoint,
    UsageStats,
    account_metrics,
    add_years,
    ratio,
    window,
)

D = Decimal
T = date(2026, 3, 31)
CFG = MetricsConfig(key_features={"reports": frozenset({"report_viewed"}),
                                  "alerts": frozenset({"alert_set"})},
                    first_value_event="report_viewed", qbr_min_arr=D(10000))
FACTS = AccountFacts(
    seats=20,
    deals=(Deal("n", "new", "won", D(12000), date(2025, 1, 15)),
           Deal("e", "expansion", "won", D(6000), date(2026, 4, 10)),  # after as_of
           Deal("r", "renewal", "open", D(12000), date(2026, 1, 15), stage="contract sent")),
    tickets=(Ticket("t1", "open", "high", datetime(2026, 3, 29, 12, tzinfo=timezone.utc)),),
    touchpoints=(Touchpoint("qbr", date(2026, 3, 10)), Touchpoint("email", date(2026, 4, 5))),
    nps=(NpsResponse(9, date(2026, 2, 1), "a@x.com"), NpsResponse(3, date(2026, 4, 2), "a@x.com")),
    advocacy=(Advocacy("review", date(2026, 4, 3)),),
    contacts=(Contact("a@x.com", champion=True),),
    usage=UsageStats(active_30d=8, active_prior_30d=10, dau_sum_30d=120,
                     features_used_30d=frozenset({"report_viewed"}), sessions_30d=10,
                     session_seconds_30d=3000, last_event_day=date(2026, 3, 30),
                     first_value_day=date(2025, 2, 1)),
)


def test_account_as_of_today():
    m = account_metrics(FACTS, CFG, T)
    # ARR 12000 (the 04-10 expansion is later); the renewal deal is still open, so the
    # derived renewal date is 2025-01-15 + 1 year = 2026-01-15, 75 days overdue
    assert m.revenue.arr == D(12000) and m.revenue.mrr == D(1000)
    assert m.revenue.renewal.renewal_date == date(2026, 1, 15)
    assert m.revenue.renewal.days_to_renewal == -75
    assert [p.id for p in m.revenue.renewal.pipeline] == ["r"]
    # 8/20 = 0.4 -> 50; (8-10)/10 = -0.2 -> 30; 1/2 key features -> 50;
    # one high ticket -> 80; last touch 21 days -> 100 - 7*100/76; NPS 100 (9, 04-02 is later)
    comp = {c.name: c.score for c in m.health.components}
    assert comp == pytest.approx({"seat_utilization": 50, "usage_trend": 30,
                                  "adoption_breadth": 50, "support": 80,
                                  "engagement": 90.7895, "nps": 100}, abs=1e-4)
    # (50*20 + 30*20 + 50*15 + 80*15 + 90.7895*15 + 100*15) / 100
    assert m.health.score == pytest.approx(64.1184, abs=1e-4)
    assert m.health.band == "watch"
    assert m.relationship.qbrs.on_schedule is True  # 12000 > 10000, QBR on 03-10
    # 8/20 seats < 50%; nothing else (ticket opened 03-29 is not 3 days old)
    assert [s.code for s in m.signals] == ["low_seat_utilization"]
    assert m.phase == "renewal"  # overdue renewal (-75 <= 90)


def test_account_as_of_a_past_day_ignores_later_records():
    m = account_metrics(FACTS, CFG, date(2025, 1, 20), health_30d_ago=None)
    assert m.revenue.arr == D(12000)
    assert m.support.open_total == 0  # the ticket is from 2026
    assert m.relationship.days_since_last_touchpoint is None
    assert m.relationship.nps.score is None
    assert m.phase == "onboarding"  # 5 days since the new deal, first value on 2025-02-01 later
    assert m.usage.first_value_date is None
    before = account_metrics(FACTS, CFG, date(2025, 1, 14))
    assert before.revenue.arr == D(0) and before.phase == "value_realization"


def test_account_to_dict_is_json_ready():
    out = account_metrics(FACTS, CFG, T, health_30d_ago=90.0).to_dict()
    text = json.dumps(out, default=lambda o: str(o) if isinstance(o, Decimal) else None)
    assert '"as_of": "2026-03-31"' in text
    assert out["revenue"]["arr"] == D(12000)
    assert out["health"]["band"] == "watch"
    assert {s["code"] for s in out["signals"]} == {"low_seat_utilization", "health_drop"}


def test_windows_and_helpers():
    assert window(T, 30) == (date(2026, 3, 2), T)  # [T-29, T]
    assert window(T, 30, offset=30) == (date(2026, 1, 31), date(2026, 3, 1))  # [T-59, T-30]
    assert window(T, 90) == (date(2026, 1, 1), T)  # [T-89, T]
    assert window(T, 365) == (date(2025, 4, 1), T)  # [T-364, T]
    assert ratio(1, 0) is None and ratio(None, 3) is None and ratio(1, 4) == 0.25
    assert ratio(D(3), D(4)) == 0.75
    assert add_years(date(2024, 2, 29), 1) == date(2025, 2, 28)
    assert add_years(date(2025, 3, 31), -1) == date(2024, 3, 31)
