"""The North Star rollups' staleness by day (`accounts.usage_changed_from`, migration 0037):
a usage write records the earliest day it added, the rebuild compares only the months from
that day's month on and clears the day, and a read while the job is pending uses the stale
accounts' stored months before that day and counts their user-days only after it. Every
figure equals the count over every user-day (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import delete, select

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


def dated(store) -> dict:
    with store.sessions() as s:
        return dict(s.execute(select(m.Account.id, m.Account.usage_changed_from)).all())


def month_rows(store, before: date) -> set:
    UM = usage_months.UM
    with store.sessions() as s:
        return set(s.execute(select(UM.account_id, UM.month, UM.users, UM.seats_used,
                                    UM.user_days).where(UM.month < before)).all())


@pytest.fixture
def store(make_app, monkeypatch):
    app = make_app()
    st = app.extensions["account360"].store
    load(st, accounts() + events(1, 900))
    assert_equal_everywhere(st)          # every rollup built by a read
    assert set(dated(st).values()) == {None}
    monkeypatch.setattr(ns, "INLINE_REBUILD", 0)   # every later read: the job is pending
    return st


WRITES = {   # (events' first day, last day), the accounts written
    "recent days": (date(2026, 11, 10), date(2026, 11, 12), ("n0", "n1", "n2")),
    "backdated": (date(2026, 6, 3), date(2026, 6, 9), ("n1", "n3")),
    "spanning months": (date(2026, 8, 28), date(2026, 10, 2), ("n0", "n2", "n4")),
}


@pytest.mark.parametrize("write", sorted(WRITES))
def test_a_pending_read_and_the_rebuild_use_the_months_before_the_earliest_new_day(
        store, monkeypatch, write):
    first, last, written = WRITES[write]
    new = events(7, 120, written, first, last)
    load(store, new)
    got = dated(store)
    earliest = {}
    for e in new:
        day = date.fromisoformat(e["time"][:10])
        earliest[e["account_id"]] = min(earliest.get(e["account_id"], day), day)
    assert got == {a: earliest.get(a) for a in SEATS}
    counted, inside = [], []
    real, partly = ns._by_month, ns._partly_rolled
    monkeypatch.setattr(ns, "_by_month", lambda s, cfg, lo, hi, ids: (
        inside and counted.append((lo, list(ids or [])))) or real(s, cfg, lo, hi, ids))
    monkeypatch.setattr(ns, "_partly_rolled", lambda *a: (
        inside.append(1), partly(*a), inside.clear())[1])   # the pending reads' counts only
    later, real_later = [], usage_pending.later_months
    monkeypatch.setattr(usage_pending, "later_months", lambda s, kind, spans, cut, ids, *x: (
        later.append((spans[0][0], cut, ids)), real_later(s, kind, spans, cut, ids, *x))[1])
    for kind in ("active_users", "seats"):
        for ids in (None, ["n1", "n3"], ["n0"]):
            for start, end in periods():
                got_, want = both(store, kind, start, end, ids)
                assert got_ == want, (kind, ids, start, end)
    cut = min(earliest.values()).replace(day=1)
    # the user-days are read from the cut's month on, never before it (no unknown account:
    # nothing counted from every user-day); of the stale accounts, or of the scope when most
    # of it is stale
    assert later and not counted
    assert all(lo >= cut and day >= min(earliest.values()) for lo, day, _ in later)
    assert any(ids is not None and set(ids) <= set(earliest) for _, _, ids in later)
    floors = []
    rebuild = usage_months._rebuild_months
    monkeypatch.setattr(usage_months, "_rebuild_months",
                        lambda s, ids, floor: floors.append((list(ids), floor))
                        or rebuild(s, ids, floor))
    kept = month_rows(store, cut)
    assert ns.rebuild_stale(store) == len(earliest)       # the job
    assert floors == [([], None), (sorted(earliest), cut)] or floors == [
        (sorted(earliest), cut)]
    assert month_rows(store, cut) == kept                 # the months before stay
    assert set(dated(store).values()) == {None}           # cleared by the rebuild
    assert_equal_everywhere(store)


def test_a_pending_read_stays_exact_after_a_seats_change_and_an_account_deleted(store):
    load(store, accounts({"n0": 1, "n1": None, "n2": 3, "n3": 1, "n4": 2})
         + events(8, 150, ("n0", "n1", "n2"), date(2026, 10, 25), date(2026, 11, 12)))
    with store.sessions() as s:
        assert usage_months.stale(s, None) == ["n0", "n1", "n2", "n4"]
        # a seats change: its stored seats used are not trusted, the seat comparison is direct
        assert sorted(usage_months.dated(s, usage_months.stale(s, None))) == ["n2"]
    assert_equal_everywhere(store)
    with store.session() as s:
        s.execute(delete(m.Account).where(m.Account.id == "n2"))
    assert_equal_everywhere(store)
    ns.rebuild_stale(store)
    assert_equal_everywhere(store)
    assert set(dated(store).values()) == {None}


def test_an_account_without_a_built_rollup_is_rebuilt_from_its_first_day(store):
    load(store, [{"type": "account", "id": "n9", "name": "N9", "seats": 2}]
         + events(9, 80, ("n9",), date(2026, 7, 1), date(2026, 11, 12)))
    assert dated(store)["n9"] is not None
    with store.sessions() as s:
        assert usage_months.dated(s, ["n9"]) == {}   # no rollup yet: every user-day counts
    assert_equal_everywhere(store)
    ns.rebuild_stale(store)
    assert_equal_everywhere(store)


def test_the_migration_marks_every_account_and_its_downgrade_keeps_every_row(store):
    from alembic import command
    from sqlalchemy import func, inspect

    from server.db import alembic_config

    def counts():
        with store.sessions() as s:
            return [s.scalar(select(func.count()).select_from(t)) for t in
                    (m.Account, m.UsageUserDay, usage_months.UM)]

    with store.session() as s:   # n4's rollup is not current at the upgrade
        s.execute(usage_months.update(usage_months.US).where(
            usage_months.US.account_id == "n4").values(updated_at=None))
    before = counts()
    cfg = alembic_config(store.engine.url.render_as_string(hide_password=False))
    command.downgrade(cfg, "0036")
    with store.engine.connect() as conn:
        assert "usage_changed_from" not in {c["name"] for c in inspect(conn).get_columns(
            "accounts")}
    command.upgrade(cfg, "head")
    assert counts() == before
    # anything may have changed in the stale rollup: a later write's day does not hide it
    assert dated(store) == {a: date(1970, 1, 1) if a == "n4" else None for a in SEATS}
    load(store, events(4, 40, ("n4", "n0"), date(2026, 11, 11), date(2026, 11, 12)))
    assert dated(store) == {**{a: None for a in SEATS}, "n4": date(1970, 1, 1),
                            "n0": date(2026, 11, 11)}
    assert_equal_everywhere(store)
    ns.rebuild_stale(store)
    assert set(dated(store).values()) == {None}
    assert_equal_everywhere(store)
