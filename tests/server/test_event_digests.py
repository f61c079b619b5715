"""Event identities are kept per account-day (event_digests): dedup across batches and
imports, the digests that already existed, and the migration from one event_keys row per
event and back."""

from __future__ import annotations

import json

from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import func, select, text

from server import models as m
from server.db import alembic_config
from server.importer import import_lines
from server.usage_ingest import event_digest, stored_events, unpack


def _lines(events: list[tuple[str, str, str, str]], accounts=("a1", "a2")) -> list[bytes]:
    out = [json.dumps({"type": "account", "id": a, "name": a}).encode() for a in accounts]
    out += [json.dumps({"type": "event", "account_id": a, "user_id": u, "name": n,
                        "time": t}).encode() for a, u, n, t in events]
    return out


EVENTS = [("a1", "u1", "login", "2026-11-01T10:00:00Z"),
          ("a1", "u1", "search", "2026-11-01T10:05:00Z"),
          ("a1", "u2", "login", "2026-11-02T09:00:00+01:00"),
          ("a2", "u9", "login", "2026-11-01T23:59:59Z"),
          ("a2", "u9", "login", "2026-11-02T00:00:00Z")]


def test_digests_per_account_day_and_a_partly_new_import(store):
    first = import_lines(store, _lines(EVENTS[:3]), batch_size=2)   # several batches
    assert first.new_events == 3
    second = import_lines(store, _lines(EVENTS), batch_size=3)       # 3 stored, 2 new
    assert second.new_events == 2
    again = import_lines(store, _lines(EVENTS))
    assert again.new_events == 0
    with store.sessions() as s:
        assert stored_events(s) == 5
        rows = {(a, d): sorted(unpack(b)) for a, d, b in s.execute(
            select(m.EventDigests.account_id, m.EventDigests.day, m.EventDigests.digests))}
        assert s.scalar(select(func.sum(m.UsageUserDay.events))) == 5
    day = 20758   # 2026-11-01 in days since 1970-01-01
    assert set(rows) == {("a1", day), ("a1", day + 1), ("a2", day), ("a2", day + 1)}
    login = event_digest("a1", "u1", "login", 1_793_527_200 * 1_000_000)
    assert login in rows["a1", day] and len(rows["a1", day]) == 2
    assert len(rows["a1", day + 1]) == 1   # 09:00+01:00 is 08:00 UTC on 2026-11-02


def test_a_batch_repeating_events_counts_each_once(store):
    report = import_lines(store, _lines(EVENTS + EVENTS[:2]))
    assert report.new_events == 5 and report.by_type["event"] == 7
    with store.sessions() as s:
        assert s.scalar(select(func.sum(m.UsageEventDay.events))) == 5


def test_deleting_an_account_removes_its_digests(store):
    import_lines(store, _lines(EVENTS))
    with store.session() as s:
        s.delete(s.get(m.Account, "a2"))
    with store.sessions() as s:
        assert stored_events(s) == 3
    assert import_lines(store, _lines(EVENTS)).new_events == 2   # a2's events count anew


def _migrate(store, target: str, down: bool = False) -> None:
    cfg = alembic_config(store.engine.url.render_as_string(hide_password=False))
    with store.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        (command.downgrade if down else command.upgrade)(cfg, target)


def _before_event_digests() -> str:
    """The revision the event_digests migration follows (whatever its number)."""
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    rev = next(r for r in script.walk_revisions() if r.path.endswith("_event_digests.py"))
    return rev.down_revision


def test_migration_from_event_keys_and_back_keeps_every_identity(store):
    import_lines(store, _lines(EVENTS))
    _migrate(store, _before_event_digests(), down=True)   # one event_keys row per event again
    with store.engine.connect() as conn:
        keys = conn.execute(text("SELECT account_id, day, digest FROM event_keys")).all()
    assert len(keys) == 5 and len({k[2] for k in keys}) == 5
    _migrate(store, "head")
    with store.sessions() as s:
        assert stored_events(s) == 5
        days = set(s.execute(select(m.EventDigests.account_id, m.EventDigests.day)))
    assert days == {(a, d) for a, d, _ in keys}
    assert import_lines(store, _lines(EVENTS)).new_events == 0
    more = EVENTS + [("a2", "u9", "export_csv", "2026-11-03T08:00:00Z")]
    assert import_lines(store, _lines(more)).new_events == 1


def test_each_batch_is_committed_as_it_is_written(store):
    seen = []

    def committed(lines_read, report, by_type):
        with store.sessions() as s:   # another connection: only committed rows
            seen.append((lines_read, stored_events(s)))

    report = import_lines(store, _lines(EVENTS), batch_size=3, committed=committed)
    assert report.new_events == 5
    assert seen == [(3, 1), (6, 4)]   # 2 accounts + 1 event, then 3 more events
    assert set(report.seconds) == {"read", "write", "commit", "refresh"}
    assert all(v >= 0 for v in report.seconds.values())
