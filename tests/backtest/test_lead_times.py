"""Lead times are not capped by the history the backtest rebuilds: a signal whose run began
200 days before churn reports 200 days, traced back day by day past the observation day."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from server.backtest.observe import LEAD_LOOKBACK
from server.backtest.service import backtest
from server.rows.models import AccountDay
from tests.backtest.workspace import END, HORIZON, START, T, day

pytestmark = pytest.mark.store


def _records(last_of_others: int, churn: int, first: int = 500) -> list[dict]:
    """L: 4 seats, 4 users daily from T-`first`; u2-u4 stop on T-`last_of_others`, u1 stays
    until the churn on T-`churn`."""
    out = [{"type": "account", "id": "L", "name": "Account L", "seats": 4,
            "renewal_date": str(T + timedelta(days=400))},
           {"type": "deal", "id": "L-new", "account_id": "L", "kind": "new", "status": "won",
            "amount": 1200, "close_date": str(day(700))},
           {"type": "deal", "id": "L-churn", "account_id": "L", "kind": "churn",
            "status": "won", "amount": 1200, "close_date": str(day(churn))},
           # a touchpoint every week: no_touch never fires
           *({"type": "touchpoint", "account_id": "L", "kind": "call",
              "date": str(day(n))} for n in range(700, churn - 1, -7))]
    for n in range(first, churn - 1, -1):
        for u in ("u1", "u2", "u3", "u4"):
            if u == "u1" or n >= last_of_others:
                out.append({"type": "event", "account_id": "L", "user_id": u,
                            "name": "report", "time": f"{day(n)}T10:00:00Z"})
    return out


def test_a_run_older_than_the_horizon_reports_its_whole_lead(app, load):
    # u2-u4 last seen on T-290: from T-260 only u1 is in the 30-day window (1 of 4 seats,
    # 25% < 50%): low_seat_utilization runs from T-260 to the churn on T-60 = 200 days,
    # 110 days before the observation day T-150
    load(_records(last_of_others=290, churn=60))
    st = app.extensions["account360"]
    with st.store.session() as s:
        bt = backtest(s, st.settings, START, END, HORIZON)
    (acc,) = bt["accounts"]
    assert (acc["outcome"], acc["observed_on"]) == ("churned", day(150))
    assert acc["signals"]["low_seat_utilization"] == day(260)
    assert acc["lead_days"]["low_seat_utilization"] == 200
    assert bt["signals"]["low_seat_utilization"]["lead_time_days"] == {
        "n": 1, "min": 200, "median": 200, "mean": 200, "max": 200}
    # the traced days are kept: the day before the run does not fire it, the run's days do
    with st.store.sessions() as s:
        kept = dict(s.execute(select(AccountDay.day, AccountDay.signals)
                              .where(AccountDay.account_id == "L")).all())
    assert "low_seat_utilization" not in kept[day(261)]
    assert all("low_seat_utilization" in kept[day(n)] for n in range(151, 261))
    with st.store.session() as s:     # a second run reads them: the same figures
        assert backtest(s, st.settings, START, END, HORIZON) == bt


def test_a_run_is_traced_at_most_lead_lookback_days(app, load):
    # u2-u4 active on T-600 only: the signal runs from T-570, but is traced no further than
    # LEAD_LOOKBACK days before the observation day (T-515)
    load(_records(last_of_others=600, churn=60, first=600))
    st = app.extensions["account360"]
    with st.store.session() as s:
        bt = backtest(s, st.settings, START, END, HORIZON, write=False)
    (acc,) = bt["accounts"]
    assert acc["signals"]["low_seat_utilization"] == day(150 + LEAD_LOOKBACK)
    assert acc["lead_days"]["low_seat_utilization"] == 90 + LEAD_LOOKBACK
