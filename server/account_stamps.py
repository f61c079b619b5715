"""The accounts' change stamps after a record-path write, set by primary key.

Every batch of an import or sync moves `accounts.updated_at` (the 360 cache's key) of the
accounts it touched, and for those that received new usage the North Star rollups' stamp
(`usage_changed_at`) and `usage_changed_from` (the minimum of the stored day and the batch's
earliest new day; None stored means nothing changed since the rollups' build). A batch of a
large import touches every account: one statement with three IN lists of 10,000 bound
parameters cost 0.13-0.22 s of CPU per batch to build and bind (SQLAlchemy's expanding
parameters); here it is one prepared statement run per account on SQLite (executemany) and
one statement over arrays on PostgreSQL, with the values bound once.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.orm import Session

from server import models as m

_SQLITE_USED = ("UPDATE accounts SET updated_at = ?, usage_changed_at = ?, usage_changed_from = "
                "CASE WHEN usage_changed_from IS NULL OR usage_changed_from > ? THEN ? "
                "ELSE usage_changed_from END WHERE id = ?")
_SQLITE_TOUCHED = "UPDATE accounts SET updated_at = ? WHERE id = ?"
_PG_USED = ("UPDATE accounts AS a SET updated_at = %(at)s, usage_changed_at = %(at)s, "
            "usage_changed_from = CASE WHEN a.usage_changed_from IS NULL "
            "OR a.usage_changed_from > v.d THEN v.d ELSE a.usage_changed_from END "
            "FROM unnest(%(ids)s::varchar[], %(days)s::date[]) AS v (id, d) WHERE a.id = v.id")
_PG_TOUCHED = "UPDATE accounts SET updated_at = %(at)s WHERE id = ANY(%(ids)s::varchar[])"


def stamp_accounts(session: Session, touched: set[str], used: set[str],
                   first_days: dict[str, date], now: datetime) -> None:
    """Set the stamps of `touched` accounts to `now`; those in `used` received new usage
    from `first_days[account]` on (an account missing from it: from any day)."""
    conn = session.connection()
    dialect = conn.dialect
    cols = m.Account.__table__.c
    at_of = cols.updated_at.type.bind_processor(dialect)
    at = at_of(now) if at_of else now
    used_ids = sorted(used)
    days = [first_days.get(a, date.min) for a in used_ids]
    others = sorted(set(touched) - used)
    cur = conn.connection.cursor()
    try:
        if dialect.name == "postgresql":
            if used_ids:
                cur.execute(_PG_USED, {"at": at, "ids": used_ids, "days": days})
            if others:
                cur.execute(_PG_TOUCHED, {"at": at, "ids": others})
            return
        day_of = cols.usage_changed_from.type.bind_processor(dialect)
        if used_ids:
            cur.executemany(_SQLITE_USED, [(at, at, d, d, a) for a, d in
                                           zip(used_ids, map(day_of, days) if day_of else days)])
        if others:
            cur.executemany(_SQLITE_TOUCHED, [(at, a) for a in others])
    finally:
        cur.close()
