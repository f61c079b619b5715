"""The 360's health 30 days back: from the snapshot of that day, else the current row's
stored score when the row is current, else recomputed from the records; always the same."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import event, select

from server.rows.models import AccountDay, AccountMetrics, MetricsDirty
from server.services import account360
from server.services.evaluate import known_score_30d_ago

pytestmark = pytest.mark.store

T = datetime.now(timezone.utc).date()


def d(n: int) -> str:
    return (T - timedelta(days=n)).isoformat()


RECORDS = [
    {"type": "account", "id": "acc0", "name": "Acme", "seats": 20, "domains": ["acme.example"]},
    {"type": "account", "id": "acc1", "name": "Globex", "seats": 5, "domains": ["globex.example"]},
    {"type": "deal", "id": "n0", "account_id": "acc0", "kind": "new", "status": "won",
     "amount": 12000, "close_date": d(300)},
    {"type": "ticket", "id": "k0", "account_id": "acc0", "status": "open", "priority": "urgent",
     "created_at": f"{d(50)}T10:00:00Z"},
    {"type": "nps", "account_id": "acc0", "date": d(45), "score": 9},
    {"type": "nps", "account_id": "acc0", "date": d(3), "score": 2},
] + [{"type": "event", "account_id": "acc0", "user_id": f"u{i % 4}", "name": "login",
      "time": f"{d(i)}T10:00:00Z"} for i in range(0, 70, 3)]


def _recomputed(app, account_id):
    """The 360 with the health 30 days back recomputed from the records."""
    st = app.extensions["account360"]
    with app.app_context(), st.store.sessions() as s:
        real = account360.known_score_read
        try:
            account360.known_score_read = lambda *a: (lambda: None)
            return account360.build_360(s, account_id, T, st.settings)
        finally:
            account360.known_score_read = real


def _served(app, account_id):
    st = app.extensions["account360"]
    with app.app_context(), st.store.sessions() as s:
        return account360.build_360(s, account_id, T, st.settings)


def _deal_reads(app, account_id) -> int:
    """How many times one 360 reads the deals table."""
    engine = app.extensions["account360"].store.engine
    seen = []

    def count(conn, cursor, statement, *args):
        if "FROM deals" in statement:
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        _served(app, account_id)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(seen)


def test_current_row_gives_the_score_30_days_back_equal_to_recomputing_it(app, load):
    load(RECORDS)
    st = app.extensions["account360"]
    with st.store.sessions() as s:
        row = s.get(AccountMetrics, "acc0")
        assert row is not None and row.as_of == T and row.health_30d_ago is not None
        assert s.scalar(select(AccountDay).where(AccountDay.day == T - timedelta(days=30))) \
            is None
    served, fresh = _served(app, "acc0"), _recomputed(app, "acc0")
    assert served == fresh
    assert served["health"]["score_30d_ago"] == row.health_30d_ago
    assert served["health"]["change_30d"] == served["health"]["score"] - row.health_30d_ago
    # the facts as of 30 days back are not loaded again: one read of the deals table
    assert _deal_reads(app, "acc0") == 1
    assert _served(app, "acc1") == _recomputed(app, "acc1")


def test_snapshot_of_that_day_wins_over_the_row(app, load):
    load(RECORDS)
    st = app.extensions["account360"]
    with st.store.session() as s:
        row = s.get(AccountMetrics, "acc0")
        s.add(AccountDay(account_id="acc0", day=T - timedelta(days=30), score=12.5, band="red",
                         components=[], signals=[], signal_runs={}, phase="adoption",
                         settings_version=row.settings_version))
    served = _served(app, "acc0")
    assert served["health"]["score_30d_ago"] == 12.5
    assert served == _recomputed(app, "acc0")


def test_dirty_account_or_other_settings_recompute(app, load):
    load(RECORDS)
    st = app.extensions["account360"]
    with st.store.session() as s:
        version = s.get(AccountMetrics, "acc0").settings_version
        assert known_score_30d_ago(s, "acc0", T, version) is not None
        assert known_score_30d_ago(s, "acc0", T, "other") is None
        assert known_score_30d_ago(s, "acc0", T - timedelta(days=1), version) is None
        s.add(MetricsDirty(account_id="acc0", marked_at=datetime.now(timezone.utc)))
        s.flush()
        assert known_score_30d_ago(s, "acc0", T, version) is None
    assert _deal_reads(app, "acc0") == 2
    assert _served(app, "acc0") == _recomputed(app, "acc0")


@pytest.mark.parametrize("first_value", ["report", None])
def test_one_account_usage_statement_equals_the_grouped_ones(app, load, first_value):
    from server.services.facts import usage_stats

    load(RECORDS + [
        {"type": "account", "id": "acc2", "name": "Initech", "domains": ["initech.example"]},
        {"type": "event", "account_id": "acc2", "user_id": "old", "name": "report",
         "time": f"{d(80)}T10:00:00Z"},
        {"type": "event", "account_id": "acc2", "user_id": "old", "name": "report",
         "time": f"{d(80)}T10:10:00Z"},
        {"type": "event", "account_id": "acc0", "user_id": "u1", "name": "report",
         "time": f"{d(20)}T11:00:00Z", "session_id": "s1"}])
    with app.extensions["account360"].store.sessions() as s:
        everyone = usage_stats(s, None, T, first_value)
        assert set(everyone) == {"acc0", "acc2"}
        assert everyone["acc0"].sessions_30d > 0 and everyone["acc0"].active_prior_30d > 0
        assert (everyone["acc2"].first_value_day is not None) == (first_value is not None)
        for acc in ("acc0", "acc1", "acc2"):
            alone = usage_stats(s, [acc], T, first_value)
            assert alone == ({acc: everyone[acc]} if acc in everyone else {})
