"""The bulk backfill's history rows equal single-day evaluations, field for field.

Random records over the range (deals closing inside it, tickets, touchpoints, NPS, messages,
usage, contacts) and settings that weigh sentiment and the relationship score; the lead-in
days (the health of 30 days before each day) partly stored, partly recomputed.
"""

from __future__ import annotations

import json
import random
from datetime import timedelta

import pytest

from server.rows.models import AccountDay
from tests.server.rows_helpers import stored_days
from tests.server.test_metrics_rows import SETTINGS_B, T, accounts, random_write

DAYS = 40


def _records(seed: int, n: int) -> list[dict]:
    rng = random.Random(seed)
    out = accounts(n)
    for i in range(160):
        out += random_write(rng, n, i)
    # ARR that moves inside the range: a first contract, an expansion, a churn
    out += [{"type": "deal", "id": "bf-new", "account_id": "acc0", "kind": "new",
             "status": "won", "amount": 60000, "close_date": str(T - timedelta(days=300))},
            {"type": "deal", "id": "bf-exp", "account_id": "acc0", "kind": "expansion",
             "status": "won", "amount": 5000, "close_date": str(T - timedelta(days=20))},
            {"type": "deal", "id": "bf-churn", "account_id": "acc1", "kind": "churn",
             "status": "won", "amount": 0, "close_date": str(T - timedelta(days=10))}]
    return out


@pytest.mark.parametrize("seed", [3, 11])
def test_backfill_rows_equal_single_day_evaluations(make_app, settings_file, seed):
    from server.importer import import_lines
    from server.rows import history

    app = make_app(SETTINGS=settings_file(SETTINGS_B))
    st = app.extensions["account360"]
    report = import_lines(st.store, [json.dumps(r).encode() for r in _records(seed, 7)])
    assert report.rejected == 0, report.errors
    first = T - timedelta(days=DAYS - 1)
    stored_lead_in = [first - timedelta(days=k) for k in (30, 21, 20, 2)]
    with st.store.session() as s:
        s.execute(AccountDay.__table__.delete())
        for day in stored_lead_in:                  # some lead-in days have a stored row
            history.daily(s, st.settings, day)
        # a stored score is what both read, even when the records now say otherwise
        s.execute(AccountDay.__table__.update().where(AccountDay.day == stored_lead_in[1])
                  .values(score=100.0))
    with st.store.session() as s:                   # single-day evaluations, oldest first
        for n in range(DAYS - 1, -1, -1):
            history.daily(s, st.settings, T - timedelta(days=n))
    with st.store.sessions() as s:
        single = stored_days(s, first)
    with st.store.session() as s:
        s.execute(AccountDay.__table__.delete().where(AccountDay.day >= first))
    state = history.backfill(st.store, st.settings, DAYS, restart=True)
    assert state["rows"] == 7 * DAYS
    with st.store.sessions() as s:
        bulk = stored_days(s, first)
        lead = stored_days(s, first - timedelta(days=30))
    assert bulk.keys() == single.keys() and len(bulk) == 7 * DAYS
    for key in single:
        assert bulk[key] == single[key], key
    # the stored lead-in rows were kept, not rewritten; the figures vary over the range
    assert {k[1] for k in lead if k not in bulk} == {d.isoformat() for d in stored_lead_in}
    assert any(v["signals"] for v in bulk.values())
    assert any("health_drop" in v["signals"] for k, v in bulk.items()
               if k[1] == str(stored_lead_in[1] + timedelta(days=30)))
    assert len({v["arr"] for v in bulk.values() if v["account_id"] == "acc0"}) > 1
    assert any(v["sentiment"] is not None for v in bulk.values())
    assert any(v["relationship"] is not None for v in bulk.values())
