"""The North Star read while the rollups job is pending (server/services/usage_pending.py):
the month of the earliest new usage day from the rollup before that day plus the users new
from it, a stale majority of the scope read as one, an account whose seats alone changed
(current for active users), and an account whose earliest new day is unknown. Every figure
equals the count over every user-day (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
from sqlalchemy import update

from server import models as m
from server.services import north_star as ns
from server.services import usage_months, usage_pending
from tests.server.test_north_star_months import (
    SEATS,
    accounts,
    assert_equal_everywhere,
    both,
    events,
    load,
    periods,
)

pytestmark = pytest.mark.store


@pytest.fixture
def store(make_app, monkeypatch):
    app = make_app()
    st = app.extensions["account360"].store
    load(st, accounts() + events(1, 900))
    assert_equal_everywhere(st)          # every rollup built by a read
    monkeypatch.setattr(ns, "INLINE_REBUILD", 0)   # every later read: the job is pending
    return st


def late_in_october(written) -> list[dict]:
    """Events on 27-28 October: users of the month seen before and users new to it."""
    new = events(11, 40, written, date(2026, 10, 27), date(2026, 10, 28))
    return new + [{"type": "event", "account_id": a, "name": "login", "user_id": f"new-{a}",
                   "time": "2026-10-28T09:00:00Z"} for a in written]


@pytest.mark.parametrize("written", [("n1",), ("n0", "n1", "n2", "n4")],
                         ids=["a stale minority", "a stale majority"])
def test_the_month_of_the_new_day_from_its_rollup_and_the_users_new_from_it(
        store, monkeypatch, written):
    load(store, late_in_october(written))
    with store.sessions() as s:
        assert usage_pending.pending(s, None, "seats") == {a: date(2026, 10, 27)
                                                           for a in written}
    used, calls = [], []
    real_worth, real_later = usage_pending.worth_it, usage_pending.later_months
    monkeypatch.setattr(usage_pending, "worth_it", lambda *a: used.append(real_worth(*a))
                        or used[-1])
    monkeypatch.setattr(usage_pending, "later_months", lambda s, kind, spans, cut, ids, *x: (
        calls.append(ids), real_later(s, kind, spans, cut, ids, *x))[1])
    for kind in ("active_users", "seats"):
        for ids in (None, ["n1", "n3"], list(SEATS)):
            for start, end in periods() + [(date(2026, 10, 1), date(2026, 10, 31)),
                                           (date(2026, 9, 15), date(2026, 10, 29))]:
                got, want = both(store, kind, start, end, ids)
                assert got == want, (kind, ids, start, end)
    assert True in used    # October from its rollup before the 27th and the users new since
    if len(written) == 1:  # the stale accounts only, the others from their rollups
        assert all(ids == ["n1"] for ids in calls), calls
    else:                  # every account of the scope (one read, no excluded ids)
        assert None in calls
    ns.rebuild_stale(store)
    assert_equal_everywhere(store)


def test_a_seats_change_alone_leaves_the_active_users_current(store, monkeypatch):
    load(store, accounts({**SEATS, "n2": 1}))
    with store.sessions() as s:
        assert usage_pending.pending(s, None, "active_users") == {"n2": date.max}
        assert usage_pending.pending(s, None, "seats") == {"n2": None}
    counted = []
    real = ns._by_month
    monkeypatch.setattr(ns, "_by_month", lambda s, cfg, lo, hi, ids: (
        counted.append((cfg.kind, ids)), real(s, cfg, lo, hi, ids))[1])
    for start, end in periods():
        got, want = both(store, "active_users", start, end, None)
        assert got == want, (start, end)
    # no user-day of n2 counted by the reads (only the reference count of every account)
    assert all(ids is None for _, ids in counted)
    for start, end in periods():   # seats: n2's seats used are not trusted, counted
        got, want = both(store, "seats", start, end, None)
        assert got == want, (start, end)
    ns.rebuild_stale(store)
    assert_equal_everywhere(store)


def test_an_unknown_day_is_counted_from_every_user_day_beside_a_stale_majority(store):
    load(store, late_in_october(("n0", "n1", "n2")))
    with store.session() as s:   # n4: its stamp moved without a recorded day
        s.execute(update(m.Account).where(m.Account.id == "n4").values(
            usage_changed_at=datetime.now(timezone.utc), usage_changed_from=None))
    with store.sessions() as s:
        assert usage_pending.pending(s, None, "seats") == {
            "n0": date(2026, 10, 27), "n1": date(2026, 10, 27), "n2": date(2026, 10, 27),
            "n4": None}
        assert usage_months.stale(s, None) == ["n0", "n1", "n2", "n4"]
    assert_equal_everywhere(store)
    ns.rebuild_stale(store)
    assert_equal_everywhere(store)
