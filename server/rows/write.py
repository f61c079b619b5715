"""Writes the refreshed rows: the current rows replaced, the child rows only where they changed.

The current row of an account always changes (its `computed_at`, and most figures move with
the day); its ARR timeline, signals and ticket hours change only when its deals, signals or
tickets and replies do. Those three are read back for the refreshed accounts (one select
per table) and rewritten only for the accounts whose rows differ, so a refresh after, say,
an import of events deletes and inserts no timeline, signal or hours row of an account
whose deals, signals and tickets stayed as they were. Every statement is built once.
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import bindparam, delete, insert, select
from sqlalchemy.orm import Session

from server.db_batch import Batch
from server.db_upsert import copy_rows, dialect_insert
from server.rows import build, stamps
from server.rows.models import (
    AccountDay,
    AccountMetrics,
    AccountSignal,
    ArrChangeRow,
    MetricsDirty,
    TicketHours,
)

#: child table -> the columns that make one of an account's rows (besides account_id)
CHILD_COLUMNS = {
    ArrChangeRow: ("seq", "date", "kind", "deal_id", "before", "after", "expansion_type",
                   "status"),
    AccountSignal: ("code", "severity", "owner"),
    TicketHours: ("kind", "seq", "hours", "owner"),
}
_STATEMENTS: dict = {}


def _built(key, make):
    stmt = _STATEMENTS.get(key)
    if stmt is None:
        stmt = _STATEMENTS[key] = make()
    return stmt


def _ids_in(t):
    return t.c.account_id.in_(bindparam("ids", expanding=True))


def _delete_of(model):
    t = model.__table__
    return _built(("delete", model), lambda: delete(t).where(_ids_in(t)))


def _stored_of(model):
    t = model.__table__
    return _built(("stored", model), lambda: select(
        t.c.account_id, *(t.c[c] for c in CHILD_COLUMNS[model])).where(_ids_in(t)))


def day_upsert(dialect: str):
    """INSERT ... ON CONFLICT DO UPDATE of history rows, built once per dialect."""
    def make():
        t = AccountDay.__table__
        stmt = dialect_insert(dialect)(t)
        return stmt.on_conflict_do_update(
            index_elements=["account_id", "day"],
            set_={c.name: stmt.excluded[c.name] for c in t.columns
                  if c.name not in ("account_id", "day")})
    return _built(("day_upsert", dialect), make)


def insert_rows(session: Session, table, rows: list[dict]) -> None:
    """A plain INSERT of rows (dicts of the same columns). On PostgreSQL a COPY of the values
    as SQLAlchemy's insert binds them (each column type's bind processing: JSON serialized,
    times in UTC): a multi-row INSERT of 500 current rows of ~90 columns took about 160 ms of
    the server's parsing and binding. A column left out of the rows must not have a Python-side
    default (COPY would not apply it): such a table takes the plain insert."""
    if not rows:
        return
    conn = session.connection()
    dialect = conn.dialect
    cols = list(rows[0])
    if dialect.name != "postgresql" or dialect.driver != "psycopg" or any(
            c.default is not None for c in table.columns if c.name not in rows[0]):
        session.execute(insert(table), rows)
        return
    procs = [table.c[c].type.dialect_impl(dialect).bind_processor(dialect) for c in cols]
    done = [(i, p) for i, p in enumerate(procs) if p is not None]
    names = ", ".join(dialect.identifier_preparer.quote(c) for c in cols)

    def bound(row: dict) -> list:
        values = [row[c] for c in cols]
        for i, p in done:
            values[i] = p(values[i])
        return values
    copy_rows(conn.connection.driver_connection.cursor(), table.name, names,
              map(bound, rows))


def _grouped(rows, cols) -> dict[str, list]:
    out: dict[str, list] = defaultdict(list)
    for r in rows:
        out[r[0]].append(tuple(r[1:]))
    return {acc: sorted(v, key=lambda x: x[:2]) for acc, v in out.items()}  # unique keys


def stored_children(batch: Batch, ids: list[str]) -> dict:
    """Adds the reads of the accounts' stored child rows and dirty marks to `batch` (read
    before the write, in the refresh's one round trip of reads); pass the answer to
    `write_current`."""
    out = {model: batch.add(_stored_of(model), {"ids": list(ids)}) for model in CHILD_COLUMNS}
    t = MetricsDirty.__table__
    out[MetricsDirty] = batch.add(_built(("marks",), lambda: select(t.c.account_id).where(
        _ids_in(t))), {"ids": list(ids)})
    return out


def _changed_children(session: Session, model, ids: list[str], rows: list[dict],
                      stored=None) -> tuple[list[str], list[dict]]:
    """(accounts whose stored rows differ from `rows`, the new rows of those accounts)."""
    cols = CHILD_COLUMNS[model]
    new = _grouped([(r["account_id"], *(r[c] for c in cols)) for r in rows], cols)
    old = _grouped(stored.rows if stored is not None else
                   session.execute(_stored_of(model), {"ids": ids}).all(), cols)
    changed = [a for a in ids if new.get(a, []) != old.get(a, [])]
    keep = set(changed)
    return changed, [r for r in rows if r["account_id"] in keep]


def write_current(session: Session, ids: list[str], rows: list[dict], timeline: list[dict],
                  accounts: dict, stored: dict | None = None) -> None:
    """Replace the current rows of accounts; rewrite their ARR timeline, signals and hours
    where they changed (`stored`: their stored child rows from `stored_children`, read
    before any of these writes; else read here)."""
    signals, hours = [], []
    for row in rows:
        sig, hrs = build.child_rows(row, accounts[row["account_id"]].owner)
        signals += sig
        hours += hrs
    ids = list(ids)
    for model, batch in ((ArrChangeRow, timeline), (AccountSignal, signals),
                         (TicketHours, hours)):
        changed, batch = _changed_children(session, model, ids, batch,
                                           (stored or {}).get(model))
        if changed and model is ArrChangeRow:
            stamps.timeline_changed(session, changed)  # the dashboard's series read it
        if changed:
            session.execute(_delete_of(model), {"ids": changed})
        insert_rows(session, model.__table__, batch)
    # the current rows: one delete and a plain multi-row insert (no upsert per row); the
    # dirty marks deleted only when the batch saw one (one round trip less on PostgreSQL)
    marks = (stored or {}).get(MetricsDirty)
    for model in (AccountMetrics, MetricsDirty):
        if model is AccountMetrics or marks is None or marks.rows:
            session.execute(_delete_of(model), {"ids": ids})
    insert_rows(session, AccountMetrics.__table__, rows)
