"""Change counters of what the dashboard's series read (`metrics_counters`), moved in the
writing transaction.

`timeline_changed()` is called by the rows' writer (`server.rows.write.write_current`) with
the accounts whose stored ARR timeline it rewrote: it adds one to `arr_timeline` and stamps
those accounts with the new value (`arr_timeline_versions`). Deleting an account (its
timeline goes with it, by cascade) adds one to `accounts_deleted`. The counter row stays
locked until the transaction commits, so a later writer takes a higher value only after the
earlier one committed: a reader that saw value v and then reads the accounts stamped above v
misses no committed change (services.retention_series).
"""

from __future__ import annotations

from sqlalchemy import event, select
from sqlalchemy.engine import Connection

from server import models as m
from server.db_upsert import dialect_insert, upsert
from server.rows.models import MetricsCounter, TimelineVersion

TIMELINE, DELETED = "arr_timeline", "accounts_deleted"


def bump(conn: Connection, name: str) -> int:
    """Add one to the counter `name` (created at 1) and return its new value."""
    t = MetricsCounter.__table__
    stmt = dialect_insert(conn)(t).values(name=name, value=1)
    conn.execute(stmt.on_conflict_do_update(index_elements=["name"],
                                            set_={"value": t.c.value + 1}))
    return conn.execute(select(t.c.value).where(t.c.name == name)).scalar_one()


def timeline_changed(session, account_ids: list[str]) -> None:
    """The stored ARR timelines of `account_ids` were rewritten in this transaction."""
    if not account_ids:
        return
    conn = session.connection()
    version = bump(conn, TIMELINE)
    rows = [{"account_id": a, "version": version} for a in sorted(account_ids)]
    for i in range(0, len(rows), 1000):
        upsert(session, TimelineVersion, rows[i:i + 1000], ["account_id"])


def counters(session) -> tuple[int, int]:
    """(arr_timeline, accounts_deleted): 0 for a counter never moved."""
    t = MetricsCounter.__table__
    got = dict(session.execute(select(t.c.name, t.c.value)
                               .where(t.c.name.in_((TIMELINE, DELETED)))).all())
    return got.get(TIMELINE, 0), got.get(DELETED, 0)


@event.listens_for(m.Account, "after_delete")
def _account_deleted(mapper, connection, target) -> None:  # noqa: ANN001
    bump(connection, DELETED)
