"""The North Star by active users or seats from the calendar-month rollups equals the count
over the user-days (the previous computation) for every kind of period and scope, and stays
equal after usage, seats and other writes (the rollups are rebuilt for the accounts whose
change stamp moved, and only for them)."""

from __future__ import annotations

import json
import random
from datetime import date, timedelta

import pytest
from sqlalchemy import event, select

from server.importer import import_lines
from server.metrics.config import NorthStarConfig
from server.services import north_star as ns
from server.services import usage_months

pytestmark = pytest.mark.store

FIRST, LAST = date(2026, 5, 20), date(2026, 11, 12)
SEATS = {"n0": None, "n1": 2, "n2": 3, "n3": 1, "n4": None}


def events(seed: int, n: int, accounts=tuple(SEATS), first=FIRST, last=LAST) -> list[dict]:
    rnd = random.Random(seed)
    span = (last - first).days
    return [{"type": "event", "account_id": rnd.choice(accounts), "name": "login",
             "user_id": f"u{rnd.randrange(7)}",
             "time": f"{first + timedelta(days=rnd.randrange(span + 1))}T"
                     f"{rnd.randrange(24):02d}:00:00Z"} for _ in range(n)]


def accounts(seats=SEATS) -> list[dict]:
    return [{"type": "account", "id": a, "name": a.upper(), "seats": s} for a, s in seats.items()]


def periods(seed: int = 3) -> list[tuple[date, date]]:
    out = [(date(2026, 6, 1), date(2026, 10, 31)),    # whole months
           (date(2025, 12, 2), date(2026, 12, 1)),    # trailing 12 months
           (date(2026, 7, 2), date(2026, 11, 30)),    # starts the day after a month starts
           (date(2026, 7, 30), date(2026, 9, 3)),     # cut near both ends
           (date(2026, 8, 1), date(2026, 8, 9)),      # a month's first days
           (date(2026, 8, 25), date(2026, 8, 31)),    # a month's last days
           (date(2026, 9, 1), date(2026, 9, 1)), (date(2026, 9, 30), date(2026, 9, 30)),
           (date(2026, 8, 10), date(2026, 8, 20)),    # inside one month
           (date(2026, 11, 1), date(2026, 11, 12)),   # this month to date
           (date(2027, 1, 1), date(2027, 3, 31))]     # no usage at all
    rnd = random.Random(seed)
    for _ in range(40):
        a = date(2026, 5, 1) + timedelta(days=rnd.randrange(220))
        out.append((a, a + timedelta(days=rnd.randrange(120))))
    return out


def load(store, records) -> None:
    report = import_lines(store, [json.dumps(r).encode() for r in records])
    assert report.rejected == 0, report.errors


def both(store, kind: str, start: date, end: date, ids) -> tuple[dict, dict]:
    cfg = NorthStarConfig(name="N", kind=kind)
    with store.sessions() as s:
        rolled = ns.monthly_totals(s, cfg, start, end, ids)
        direct = ns._by_month(s, cfg, start, end, ids)
    want = [direct.get((lo.year, lo.month), 0) for lo, _ in ns.months(start, end)]
    return [b["value"] for b in rolled["by_month"]], want


def assert_equal_everywhere(store) -> None:
    for kind in ("active_users", "seats"):
        for ids in (None, ["n1", "n3"], ["n0"], []):
            for start, end in periods():
                got, want = both(store, kind, start, end, ids)
                assert got == want, (kind, ids, start, end)


@pytest.fixture
def store(make_app):
    app = make_app()
    st = app.extensions["account360"].store
    load(st, accounts() + events(1, 900))
    return st


def test_rollups_equal_the_user_days_for_every_period_and_scope(store):
    with store.sessions() as s:
        assert usage_months.stale(s, None) == sorted(SEATS)   # nothing built yet
    assert_equal_everywhere(store)
    with store.sessions() as s:
        assert usage_months.stale(s, None) == []              # built by the first read
        rollup = {(a, mo): n for a, mo, n in s.execute(usage_months.select(
            usage_months.UM.account_id, usage_months.UM.month, usage_months.UM.users))}
    assert rollup and all(n > 0 for n in rollup.values())
    with store.sessions() as s:   # the rollups answer every period that touches a month end
        for kind in ("active_users", "seats"):
            for start, end in periods():
                spans = ns.months(start, end)
                got = usage_months.by_month(s, kind, spans, None)
                inside = len(spans) == 1 and start.day > 1 and end.month == (
                    end + timedelta(days=1)).month
                assert (got is None) == inside, (start, end)
                if got is not None:
                    direct = ns._by_month(s, NorthStarConfig(name="N", kind=kind), start, end,
                                          None)
                    assert {k: v for k, v in got.items() if v} == direct, (kind, start, end)
    got, _ = both(store, "seats", date(2026, 6, 1), date(2026, 10, 31), ["n3"])
    assert set(got) <= {0, 1}  # one seat: at most 1 a month


def test_equal_after_usage_seats_and_other_writes(store, monkeypatch):
    rebuilt = []
    real = usage_months.rebuild
    monkeypatch.setattr(usage_months, "rebuild",
                        lambda s, ids: rebuilt.append((list(ids), real(s, ids))) or rebuilt[-1][1])
    assert_equal_everywhere(store)
    assert rebuilt == [(sorted(SEATS), len(SEATS))]  # built once, by the first read
    # late events in old months, new users, an account without events yet
    load(store, [{"type": "account", "id": "n5", "name": "N5", "seats": 1}]
         + events(2, 300, ("n1", "n2", "n5"), date(2026, 5, 25), date(2026, 8, 5)))
    with store.sessions() as s:
        assert usage_months.stale(s, None) == ["n1", "n2", "n5"]
    assert_equal_everywhere(store)
    assert rebuilt[-1] == (["n1", "n2", "n5"], 3)
    load(store, accounts({"n0": 1, "n1": None, "n2": 3, "n3": 1, "n4": 2}))  # seats change
    with store.sessions() as s:
        assert usage_months.stale(s, None) == ["n0", "n1", "n4"]  # only the seats moved
    assert_equal_everywhere(store)
    assert rebuilt[-1] == (["n0", "n1", "n4"], 0)  # same user-days: the seats used renewed
    count = len(rebuilt)
    load(store, [{"type": "task", "id": "t1", "account_id": "n4", "subject": "Call",
                  "status": "open"}])
    with store.sessions() as s:
        assert usage_months.stale(s, None) == []   # a task is no input of the rollups
    assert_equal_everywhere(store)
    assert len(rebuilt) == count


def test_a_failed_rollup_write_falls_back_to_the_user_days(store, monkeypatch):
    from sqlalchemy.exc import OperationalError

    def locked(session, ids):
        raise OperationalError("rebuild", {}, Exception("database is locked"))

    monkeypatch.setattr(usage_months, "rebuild", locked)
    got, want = both(store, "active_users", date(2026, 6, 1), date(2026, 10, 31), None)
    assert got == want and sum(got) > 0


def test_a_large_backlog_is_rebuilt_by_a_job_and_the_read_stays_exact(make_app, monkeypatch):
    from sqlalchemy import select

    from server.admin import admin_state
    from server.jobs.models import Job

    monkeypatch.setattr(ns, "INLINE_REBUILD", 2)   # 5 stale accounts: more than a read builds
    app = make_app()
    st = app.extensions["account360"].store
    load(st, accounts() + events(4, 600))
    for _ in range(2):   # the second read finds the job waiting and queues no other
        got, want = both(st, "active_users", date(2026, 6, 1), date(2026, 10, 31), None)
        assert got == want and sum(got) > 0
    with st.sessions() as s:
        assert usage_months.stale(s, None) == sorted(SEATS)   # the reads built nothing
        assert [j.status for j in s.scalars(select(Job).where(
            Job.task == "north_star.rollups"))] == ["todo"]
    for th in admin_state(app).runner.tick():
        th.join(60)
    with st.sessions() as s:
        assert usage_months.stale(s, None) == []
        assert [j.status for j in s.scalars(select(Job).where(
            Job.task == "north_star.rollups"))] == ["succeeded"]
    assert_equal_everywhere(st)   # now from the rollups, equal to the user-days


def stamps(store) -> dict:
    from server import models as m
    with store.sessions() as s:
        return dict(s.execute(select(m.Account.id, m.Account.usage_changed_at)).all())


def test_an_unchanged_full_crm_resync_leaves_the_stamps_and_rollups_valid(store):
    from server import models as m
    assert_equal_everywhere(store)                 # every rollup built
    before = stamps(store)
    with store.sessions() as s:
        changed = dict(s.execute(select(m.Account.id, m.Account.updated_at)).all())
    # a full CRM sync delivers every account, contact, deal and task again, unchanged
    load(store, accounts() + [{"type": "contact", "id": f"c-{a}", "account_id": a,
                               "email": f"ann@{a}.example"} for a in SEATS]
         + [{"type": "task", "id": f"t-{a}", "account_id": a, "subject": "Call",
             "status": "open"} for a in SEATS])
    with store.sessions() as s:
        moved = dict(s.execute(select(m.Account.id, m.Account.updated_at)).all())
        assert usage_months.stale(s, None) == []   # the rollups stay valid
    assert all(moved[a] != changed[a] for a in SEATS)  # the 360's stamp did move (its cache)
    assert stamps(store) == before                 # the North Star's did not
    assert_equal_everywhere(store)


def test_usage_on_many_accounts_is_rebuilt_by_a_job_and_the_read_stays_exact(
        make_app, monkeypatch):
    from sqlalchemy import func

    from server.admin import admin_state
    from server.jobs.models import Job

    app = make_app()
    st = app.extensions["account360"].store
    load(st, accounts() + events(1, 900))
    assert_equal_everywhere(st)                    # every rollup built by a read
    monkeypatch.setattr(ns, "INLINE_REBUILD", 2)
    before = stamps(st)
    load(st, events(5, 200, ("n0", "n1", "n2"), date(2026, 6, 3), date(2026, 10, 20)))
    after = stamps(st)
    assert {a for a in SEATS if after[a] != before[a]} == {"n0", "n1", "n2"}
    with st.sessions() as s:   # the import queued the job itself, before any read
        assert [j.status for j in s.scalars(select(Job).where(
            Job.task == "north_star.rollups"))] == ["todo"]
    rebuilt = []
    real = usage_months.rebuild
    monkeypatch.setattr(usage_months, "rebuild",
                        lambda s, ids: rebuilt.append(list(ids)) or real(s, ids))
    for kind in ("active_users", "seats"):   # the team's: more stale accounts than 2
        for start, end in periods():
            got, want = both(st, kind, start, end, None)
            assert got == want, (kind, start, end)   # the others' rollups + three's user-days
    assert rebuilt == []          # no read rebuilt anything
    with st.sessions() as s:
        assert usage_months.stale(s, None) == ["n0", "n1", "n2"]
        assert [j.status for j in s.scalars(select(Job).where(
            Job.task == "north_star.rollups"))] == ["todo"]   # queued once for every read
    for th in admin_state(app).runner.tick():
        th.join(60)
    assert rebuilt == [["n0", "n1", "n2"]]   # by the job
    with st.sessions() as s:
        assert usage_months.stale(s, None) == []
        assert s.scalar(select(func.count()).select_from(Job).where(
            Job.task == "north_star.rollups", Job.status == "succeeded")) == 1
    assert_equal_everywhere(st)


def rewritten(store, action) -> int:
    """How many month rows the rebuilds during action() rewrite (the UPDATEs' row counts)."""
    counts = []

    def count(conn, cursor, statement, *_):
        if statement.lstrip().upper().startswith("UPDATE USAGE_MONTHS"):
            counts.append(cursor.rowcount)
    event.listen(store.engine, "after_cursor_execute", count)
    try:
        action()
    finally:
        event.remove(store.engine, "after_cursor_execute", count)
    return sum(counts)


def test_a_rebuild_rewrites_only_the_months_whose_capped_seats_moved(store):
    assert_equal_everywhere(store)                      # built by the first read
    UM = usage_months.UM

    def rebuild_all():
        with store.session() as s:
            usage_months.rebuild(s, sorted(SEATS))
            s.commit()
    assert rewritten(store, rebuild_all) == 0           # same user-days and seats
    with store.sessions() as s:
        n1 = dict(s.execute(select(UM.month, UM.users).where(UM.account_id == "n1")).all())
    assert any(n >= 2 for n in n1.values())
    # n1: 2 seats -> 1; the import or the next read rebuilds it
    assert rewritten(store, lambda: (load(store, accounts({**SEATS, "n1": 1})),
                                     both(store, "seats", FIRST, LAST, None))) \
        == sum(n >= 2 for n in n1.values())
    with store.sessions() as s:
        now = dict(s.execute(select(UM.month, UM.seats_used)
                             .where(UM.account_id == "n1")).all())
    assert now == {mo: min(n, 1) for mo, n in n1.items()}
    assert_equal_everywhere(store)
