"""The dirty and stale marks of many accounts written in one statement (server.rows.refresh).

A large import marks every account it touched in each batch (10,000 accounts per batch of
the benchmark's import). Through SQLAlchemy's executemany that was one statement per account
on PostgreSQL (psycopg's executemany: 20,000 statements a batch, about 4 s of a 1M-event
import's wall time); here it is one INSERT ... SELECT FROM unnest(arrays) on PostgreSQL and
one prepared statement run per account on SQLite (executemany), in account order as before
(two transactions marking overlapping accounts wait for each other instead of deadlocking).
An account already marked dirty stays as it is (`marked_at` is read nowhere); a stale mark is
rewritten only when its day moves earlier (from_day = the least of both, as before).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.orm import Session

from server.rows.models import MetricsStale

_DIRTY = ("INSERT INTO metrics_dirty (account_id, marked_at) {rows} "
          "ON CONFLICT (account_id) DO NOTHING")
_STALE = ("INSERT INTO metrics_stale (account_id, from_day, marked_at) {rows} "
          "ON CONFLICT (account_id) DO UPDATE SET from_day = excluded.from_day, "
          "marked_at = excluded.marked_at WHERE metrics_stale.from_day > excluded.from_day")
_PG_DIRTY = _DIRTY.format(
    rows="SELECT a, %(at)s FROM unnest(%(ids)s::varchar[]) AS v (a) ORDER BY a")
_PG_STALE = _STALE.format(
    rows="SELECT a, d, %(at)s FROM unnest(%(ids)s::varchar[], %(days)s::date[]) AS v (a, d) "
         "ORDER BY a")
_SQLITE_DIRTY = _DIRTY.format(rows="VALUES (?, ?)")
_SQLITE_STALE = _STALE.format(rows="VALUES (?, ?, ?)")


def _bound(conn, column, value):
    process = column.type.bind_processor(conn.dialect)
    return process(value) if process else value


def write_marks(session: Session, dirty: list[str], stale: dict[str, date],
                now: datetime) -> None:
    """Mark the `dirty` accounts (metrics_dirty) and the `stale` ones from their day on
    (metrics_stale), at `now`."""
    if not dirty and not stale:
        return
    conn = session.connection()
    cols = MetricsStale.__table__.c
    at = _bound(conn, cols.marked_at, now)
    ids = sorted(dirty)
    stale_ids = sorted(stale)
    cur = conn.connection.cursor()
    try:
        if conn.dialect.name == "postgresql":
            if stale_ids:
                cur.execute(_PG_STALE, {"at": at, "ids": stale_ids,
                                        "days": [stale[a] for a in stale_ids]})
            if ids:
                cur.execute(_PG_DIRTY, {"at": at, "ids": ids})
            return
        if stale_ids:
            day_of = cols.from_day.type.bind_processor(conn.dialect) or (lambda d: d)
            cur.executemany(_SQLITE_STALE, [(a, day_of(stale[a]), at) for a in stale_ids])
        if ids:
            cur.executemany(_SQLITE_DIRTY, [(a, at) for a in ids])
    finally:
        cur.close()
