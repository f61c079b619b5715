"""The import's bulk write: day rows of new account-days inserted plainly, those of stored
account-days added to, in one batch; the import connection's settings put back after it."""

from __future__ import annotations

import json
from collections import Counter

from sqlalchemy import select

from server import models as m
from server.importer import _SQLITE_BULK, bulk_session, import_lines


def _lines(events, accounts=("a1", "a2")) -> list[bytes]:
    out = [json.dumps({"type": "account", "id": a, "name": a}).encode() for a in accounts]
    out += [json.dumps({"type": "event", "account_id": a, "user_id": u, "name": n,
                        "time": t, "session_id": sid}).encode() for a, u, n, t, sid in events]
    return out


FIRST = [("a1", "u1", "login", "2026-11-01T10:00:00Z", "s1"),
         ("a1", "u2", "search", "2026-11-01T11:00:00Z", "s2")]
#: one batch: a stored account-day (a1, 11-01) gets more events, two new account-days
SECOND = FIRST + [("a1", "u1", "search", "2026-11-01T10:10:00Z", "s1"),
                  ("a1", "u3", "login", "2026-11-01T12:00:00Z", "s3"),
                  ("a1", "u1", "login", "2026-11-02T08:00:00Z", "s4"),
                  ("a2", "u9", "login", "2026-11-01T09:00:00Z", "s5"),
                  ("a2", "u9", "login", "2026-11-01T09:20:00Z", "s5")]


def _day_rows(store):
    with store.sessions() as s:
        users = {(a, d.isoformat(), u): n for a, d, u, n in s.execute(select(
            m.UsageUserDay.account_id, m.UsageUserDay.day, m.UsageUserDay.user_id,
            m.UsageUserDay.events))}
        names = {(a, d.isoformat(), nm): n for a, d, nm, n in s.execute(select(
            m.UsageEventDay.account_id, m.UsageEventDay.day, m.UsageEventDay.name,
            m.UsageEventDay.events))}
        sessions = {(a, k): (hi - lo) for a, k, lo, hi in s.execute(select(
            m.UsageSession.account_id, m.UsageSession.session_key, m.UsageSession.start_ts,
            m.UsageSession.end_ts))}
    return users, names, sessions


def test_new_and_stored_account_days_in_one_batch_count_every_event_once(store):
    assert import_lines(store, _lines(FIRST)).new_events == 2
    report = import_lines(store, _lines(SECOND))
    assert report.new_events == 5 and report.rejected == 0
    users, names, sessions = _day_rows(store)
    assert users == dict(Counter((a, t[:10], u) for a, u, _, t, _ in SECOND))
    assert names == dict(Counter((a, t[:10], n) for a, _, n, t, _ in SECOND))
    assert users[("a1", "2026-11-01", "u1")] == 2   # one event stored before, one new
    assert sessions[("a1", "s:s1")] == 600 and sessions[("a2", "s:s5")] == 1200
    again = import_lines(store, _lines(SECOND))
    assert again.new_events == 0 and _day_rows(store) == (users, names, sessions)


def test_a_bad_line_in_a_batch_of_new_account_days_loses_nothing_good(store):
    lines = _lines(SECOND)
    lines.insert(4, b'{"type":"event","account_id":"nope","user_id":"u","name":"x",'
                    b'"time":"2026-11-01T10:00:00Z"}')
    report = import_lines(store, lines, batch_size=4)
    assert [e["line"] for e in report.errors] == [5] and report.new_events == len(SECOND)
    users, names, _ = _day_rows(store)
    assert sum(users.values()) == sum(names.values()) == len(SECOND)


def _settings(conn) -> tuple:
    if conn.dialect.name == "postgresql":
        return (conn.exec_driver_sql("SHOW synchronous_commit").scalar(),)
    return (conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar(),
            conn.exec_driver_sql("PRAGMA cache_size").scalar())


def test_the_import_connection_has_bulk_settings_and_gets_its_own_back(store):
    with store.engine.connect() as conn:
        usual = _settings(conn)
    with bulk_session(store) as session:
        during = _settings(session.connection())
        session.commit()
    if store.engine.dialect.name == "postgresql":
        assert during == usual   # the server's own commit durability, nothing turned off
    else:
        assert during == (_SQLITE_BULK["wal_autocheckpoint"], _SQLITE_BULK["cache_size"])
        assert during[0] != usual[0] and during[1] != usual[1]
    import_lines(store, _lines(FIRST))
    with store.engine.connect() as conn:   # the pooled connection the import used
        assert _settings(conn) == usual
