"""The record path's per-batch writes of many accounts at once: the accounts' change stamps
(server/account_stamps.py) and the metrics marks (server/rows/mark_rows.py), on SQLite and
PostgreSQL; and the import's pause of the cyclic garbage collector."""

from __future__ import annotations

import gc
import json
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import select, update

from server import models as m
from server.account_stamps import stamp_accounts
from server.importer import import_lines
from server.rows.mark_rows import write_marks
from server.rows.models import MetricsDirty, MetricsStale


def _accounts(store, ids):
    import_lines(store, [json.dumps({"type": "account", "id": a, "name": a}).encode()
                         for a in ids])


def _stamps(store):
    with store.sessions() as s:
        return {a: (u, c, f) for a, u, c, f in s.execute(select(
            m.Account.id, m.Account.updated_at, m.Account.usage_changed_at,
            m.Account.usage_changed_from))}


def test_stamps_move_for_touched_accounts_and_usage_days_keep_the_earliest(store):
    _accounts(store, ["a1", "a2", "a3", "a4", "a5"])
    then = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(days=1)
    with store.session() as s:
        s.execute(update(m.Account).values(updated_at=then, usage_changed_at=then,
                                           usage_changed_from=None))
        s.execute(update(m.Account).where(m.Account.id.in_(["a2", "a3"]))
                  .values(usage_changed_from=date(2026, 10, 10)))
    now = datetime.now(timezone.utc)
    with store.session() as s:
        # a1: first usage change; a2: an earlier day than stored; a3: a later one; a4:
        # touched without usage; a5: not touched; a2 also without a known first day
        stamp_accounts(s, {"a1", "a2", "a3", "a4"}, {"a1", "a2", "a3"},
                       {"a1": date(2026, 11, 3), "a2": date(2026, 10, 1),
                        "a3": date(2026, 11, 20)}, now)
    got = _stamps(store)
    assert got["a1"] == (now, now, date(2026, 11, 3))
    assert got["a2"] == (now, now, date(2026, 10, 1))
    assert got["a3"] == (now, now, date(2026, 10, 10))
    assert got["a4"] == (now, then, None)
    assert got["a5"] == (then, then, None)
    with store.session() as s:   # an account whose first new day is unknown: from any day
        stamp_accounts(s, {"a1"}, {"a1"}, {}, now)
    assert _stamps(store)["a1"] == (now, now, date.min)


def _marks(store):
    with store.sessions() as s:
        dirty = dict(s.execute(select(MetricsDirty.account_id, MetricsDirty.marked_at)).all())
        stale = dict(s.execute(select(MetricsStale.account_id, MetricsStale.from_day)).all())
    return dirty, stale


def test_marks_add_missing_accounts_and_move_stale_days_only_earlier(store):
    _accounts(store, ["a1", "a2", "a3"])
    with store.session() as s:   # the import's own marks out of the way
        s.query(MetricsDirty).delete()
        s.query(MetricsStale).delete()
    first = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(hours=1)
    with store.session() as s:
        write_marks(s, ["a2", "a1"], {"a1": date(2026, 11, 5), "a2": date(2026, 11, 5)}, first)
    assert _marks(store) == ({"a1": first, "a2": first},
                             {"a1": date(2026, 11, 5), "a2": date(2026, 11, 5)})
    later = first + timedelta(minutes=30)
    with store.session() as s:
        write_marks(s, ["a1", "a3"], {"a1": date(2026, 11, 9), "a2": date(2026, 11, 1),
                                      "a3": date(2026, 11, 7)}, later)
    dirty, stale = _marks(store)
    assert dirty == {"a1": first, "a2": first, "a3": later}   # a marked account stays marked
    assert stale == {"a1": date(2026, 11, 5), "a2": date(2026, 11, 1), "a3": date(2026, 11, 7)}
    with store.session() as s:
        write_marks(s, [], {}, later)   # nothing to mark: nothing written
    assert _marks(store) == (dirty, stale)


def test_the_import_pauses_the_collector_and_puts_it_back(store, monkeypatch):
    seen = []
    real = gc.collect

    def collect(*args):
        seen.append(gc.isenabled())
        return real(*args)

    monkeypatch.setattr(gc, "collect", collect)
    lines = [json.dumps({"type": "account", "id": "a1", "name": "a1"}).encode()]
    lines += [json.dumps({"type": "event", "account_id": "a1", "user_id": f"u{i % 3}",
                          "name": "login", "time": f"2026-11-01T10:{i:02d}:00Z"}).encode()
              for i in range(50)]
    assert gc.isenabled()
    report = import_lines(store, lines, batch_size=20)
    assert report.new_events == 50 and report.rejected == 0
    assert seen and not any(seen)   # each batch collected while the collector was paused
    assert gc.isenabled()
