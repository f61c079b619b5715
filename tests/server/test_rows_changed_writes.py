"""A refresh writes only the current rows that changed, and only their changed columns on
SQLite; what it leaves is equal to a fresh computation, and every refresh moves the latest
`computed_at` (the dashboard memo's and the stored backtest's stamp)."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import event, func, select, text

from server.rows.models import AccountMetrics
from server.rows.refresh import refresh
from tests.server.rows_helpers import fresh_rows, stored_days, stored_rows

pytestmark = pytest.mark.store

T = datetime.now(timezone.utc).date()


def d(n: int) -> str:
    return (T - timedelta(days=n)).isoformat()


RECORDS = [
    {"type": "account", "id": f"acc{i}", "name": f"Account {i}", "seats": 5 + i,
     "owner": "ana@team.example", "renewal_date": d(-40 - i),
     "domains": [f"a{i}.example"]} for i in range(4)
] + [
    {"type": "deal", "id": "n0", "account_id": "acc0", "kind": "new", "status": "won",
     "amount": 12000.5, "close_date": d(300)},
    {"type": "ticket", "id": "k0", "account_id": "acc1", "status": "solved", "priority": "high",
     "created_at": f"{d(5)}T10:00:00Z", "first_response_at": f"{d(5)}T12:30:00Z",
     "solved_at": f"{d(4)}T09:00:00Z"},
    {"type": "ticket", "id": "k1", "account_id": "acc1", "status": "open", "priority": "urgent",
     "created_at": f"{d(2)}T10:00:00Z"},
    {"type": "nps", "account_id": "acc2", "date": d(10), "score": 3},
    {"type": "touchpoint", "account_id": "acc2", "date": d(20), "kind": "call"},
] + [{"type": "event", "account_id": f"acc{i % 3}", "user_id": f"u{i % 5}", "name": "login",
      "time": f"{d(i)}T10:00:00Z"} for i in range(0, 50, 2)]


def _stamps(s) -> dict[str, datetime]:
    return dict(s.execute(select(AccountMetrics.account_id, AccountMetrics.computed_at)).all())


def _writes(engine):
    """The statements writing account_metrics, recorded while the block runs."""
    seen: list[str] = []

    def record(conn, cursor, statement, *args):
        if "account_metrics" in statement and not statement.lstrip().startswith("SELECT"):
            seen.append(" ".join(statement.split()))
    return seen, record


def _assert_true(st):
    with st.store.sessions() as s:
        got, want = stored_rows(s), fresh_rows(s, st.settings, T)
    assert got == want


def test_a_refresh_with_nothing_changed_stamps_only_its_first_row(app, load):
    load(RECORDS)
    st = app.extensions["account360"]
    with st.store.sessions() as s:
        before = _stamps(s)
    ids = ["acc2", "acc0", "acc3", "acc1"]
    seen, record = _writes(st.store.engine)
    event.listen(st.store.engine, "before_cursor_execute", record)
    try:
        with st.store.session() as s:
            assert refresh(s, ids, st.settings) == 4
    finally:
        event.remove(st.store.engine, "before_cursor_execute", record)
    with st.store.sessions() as s:
        after = _stamps(s)
    moved = {a for a in after if after[a] != before[a]}
    assert len(moved) == 1 and moved <= set(ids)   # the first row refreshed: its stamp
    assert max(after.values()) > max(before.values())
    assert not any(w.startswith("INSERT") for w in seen), seen
    if st.store.dialect == "sqlite":   # one UPDATE of the stamp alone, nothing deleted
        assert len(seen) == 1 and seen[0].startswith("UPDATE account_metrics SET computed_at")
    _assert_true(st)


def test_a_write_rewrites_only_the_rows_it_changed(app, load):
    load(RECORDS)
    st = app.extensions["account360"]
    with st.store.sessions() as s:
        before = _stamps(s)
        stored = {r.account_id: r.active_users_30d for r in s.scalars(select(AccountMetrics))}
    # a new user today on acc0, a new urgent ticket on acc1: an import of 2 accounts
    load([{"type": "event", "account_id": "acc0", "user_id": "new", "name": "login",
           "time": f"{d(0)}T08:00:00Z"},
          {"type": "ticket", "id": "k2", "account_id": "acc1", "status": "open",
           "priority": "urgent", "created_at": f"{d(0)}T08:00:00Z"}])
    with st.store.sessions() as s:
        after = _stamps(s)
        assert s.get(AccountMetrics, "acc0").active_users_30d == stored["acc0"] + 1
    assert {a for a in after if after[a] != before[a]} == {"acc0", "acc1"}
    _assert_true(st)
    with st.store.session() as s:   # every account again: only the first one's stamp moves
        refresh(s, None, st.settings)
    with st.store.sessions() as s:
        again = _stamps(s)
    assert len({a for a in again if again[a] != after[a]}) == 1
    _assert_true(st)


CORRUPT = {   # a stored value of each kind of column, changed behind the refresh's back
    "arr": "arr + 0.01",                    # money
    "renewal_key": "'2099-01-01'",          # day
    "health_key": "health_key + 0.5",       # float
    "open_tickets_total": "open_tickets_total + 1",   # integer
    "had_arr": "NOT had_arr",               # boolean
    "name_key": "'zzz'",                    # text
    "band": "'other'",                      # indexed text
}


@pytest.mark.parametrize("column", sorted(CORRUPT) + ["health_components", "open_tickets"])
def test_a_stored_value_that_differs_is_rewritten(app, load, column):
    """Only a value the database would store the same counts as unchanged: a stored value
    changed behind the refresh's back (any column type, JSON with the same content in
    other spacing included) is written again, and the row equals a fresh computation."""
    load(RECORDS)
    st = app.extensions["account360"]
    if column in CORRUPT:
        value = CORRUPT[column]
    elif st.store.dialect == "postgresql":   # the same JSON value, other spacing
        value = f"replace({column}::text, ', ', ',')::json"
    else:
        value = f"replace({column}, ', ', ',')"
    with st.store.session() as s:
        s.execute(text(f"UPDATE account_metrics SET {column} = {value} WHERE account_id IN "
                       "('acc0', 'acc1')"))
        if column in ("health_components", "open_tickets"):
            raw = s.execute(text(f"SELECT CAST({column} AS TEXT) FROM account_metrics "
                                 "WHERE account_id = 'acc1'")).scalar_one()
            assert ", " not in raw
    with st.store.sessions() as s:
        before = _stamps(s)
    with st.store.session() as s:
        refresh(s, ["acc2", "acc1", "acc0", "acc3"], st.settings)
    with st.store.sessions() as s:
        after = _stamps(s)
    moved = {a for a in after if after[a] != before[a]}
    assert {"acc0", "acc1"} <= moved and len(moved) <= 3
    _assert_true(st)


def test_an_account_without_a_stored_row_gets_one(app, load):
    load(RECORDS)
    st = app.extensions["account360"]
    with st.store.session() as s:
        s.execute(text("DELETE FROM account_metrics WHERE account_id = 'acc3'"))
    with st.store.session() as s:
        refresh(s, ["acc0", "acc3"], st.settings)
        assert s.scalar(select(func.count()).select_from(AccountMetrics)) == 4
    _assert_true(st)


def test_rows_usage_without_sessions_and_daily_users_is_otherwise_the_same(app, load):
    """The rows' usage figures read no sessions nor daily active users (no row figure
    reads them): every other usage input is the one the 360 reads."""
    from server.services.facts import usage_stats

    load(RECORDS + [{"type": "event", "account_id": "acc0", "user_id": "u1",
                     "name": "report_shared", "time": f"{d(3)}T11:00:00Z",
                     "session_id": "s1"}])
    with app.extensions["account360"].store.sessions() as s:
        for ids in (None, ["acc0"], ["acc0", "acc1", "acc2"]):
            full = usage_stats(s, ids, T, "report_shared")
            lean = usage_stats(s, ids, T, "report_shared", detail=False)
            assert set(full) == set(lean) and full
            assert any(u.sessions_30d for u in full.values())
            for acc, u in full.items():
                assert lean[acc] == dataclasses.replace(
                    u, sessions_30d=0, session_seconds_30d=0, dau_sum_30d=0, daily_active=())


def test_only_the_day_rows_that_changed_are_written(app, load):
    """Today's history rows are compared with the stored ones too: a refresh with nothing
    changed writes none; one changed behind its back (a score, its JSON components) is
    written again; every one equals a fresh computation."""
    load(RECORDS)
    st = app.extensions["account360"]
    seen: list[str] = []

    def record(conn, cursor, statement, *args):
        if statement.lstrip().startswith("INSERT INTO account_days"):
            seen.append(statement)
    event.listen(st.store.engine, "before_cursor_execute", record)
    try:
        with st.store.session() as s:
            refresh(s, None, st.settings)
        assert seen == []
        with st.store.session() as s:
            s.execute(text("UPDATE account_days SET score = score + 1 WHERE account_id = 'acc0'"))
            s.execute(text("UPDATE account_days SET components = NULL "
                           "WHERE account_id = 'acc1'"))
        with st.store.session() as s:
            refresh(s, None, st.settings)
        assert len(seen) == 1
    finally:
        event.remove(st.store.engine, "before_cursor_execute", record)
    with st.store.sessions() as s:
        got = {a: r for (a, _day), r in stored_days(s, T).items()}
        want = {k[0]: v for k, v in fresh_rows(s, st.settings, T, days=True).items()
                if isinstance(k, tuple)}
    assert got == want


def test_the_facts_builders_make_the_dataclasses_own_instances():
    """load_facts builds its input rows without the frozen __init__: the same objects
    (fields, equality, hash, immutability) as the dataclass makes."""
    from dataclasses import FrozenInstanceError, fields

    from server.metrics import types as mt
    from server.services.facts import _builder

    for cls in (mt.Deal, mt.Ticket, mt.Touchpoint, mt.NpsResponse, mt.Survey, mt.Advocacy,
                mt.Contact, mt.Message):
        values = [f"{f.name}-value" for f in fields(cls)]
        made, want = _builder(cls)(*values), cls(*values)
        assert made == want and hash(made) == hash(want) and type(made) is cls
        assert vars(made) == vars(want)
        with pytest.raises(FrozenInstanceError):
            made.kind = "other"
        with pytest.raises(AssertionError):
            _builder(cls)(*values[:-1])


def test_rows_changed_in_many_ways_take_at_most_max_updates_statements(app, load,
                                                                        monkeypatch):
    """Beyond MAX_UPDATES groups of changed columns, the smaller groups are updated
    together on every column any of them changed; the rows stay true."""
    from server.rows import current

    load(RECORDS)
    st = app.extensions["account360"]
    with st.store.session() as s:
        for acc, column in (("acc0", "arr"), ("acc1", "health_key"), ("acc2", "name_key"),
                            ("acc3", "open_tickets_total")):
            s.execute(text(f"UPDATE account_metrics SET {column} = {CORRUPT[column]} "
                           f"WHERE account_id = '{acc}'"))
    monkeypatch.setattr(current, "MAX_UPDATES", 2)
    seen: list[str] = []

    def record(conn, cursor, statement, *args):
        if statement.lstrip().startswith("UPDATE account_metrics"):
            seen.append(statement)
    event.listen(st.store.engine, "before_cursor_execute", record)
    try:
        with st.store.session() as s:
            refresh(s, None, st.settings)
    finally:
        event.remove(st.store.engine, "before_cursor_execute", record)
    if st.store.dialect == "sqlite":
        assert len(seen) == 2
    _assert_true(st)
    groups = current.update_groups({("arr",): [1, 2, 3], ("band",): [4],
                                     ("phase", "signal_count"): [5]})
    union = tuple(c for c in current.CURRENT.columns if c in ("band", "phase", "signal_count"))
    assert groups == [(("arr",), [1, 2, 3]), (union, [4, 5])]
