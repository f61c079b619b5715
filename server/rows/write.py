"""Writes the refreshed rows: each row and child row only where it changed.

The current rows are compared with the stored ones column by column (`server.rows.current`)
and only the changed ones written; an account's ARR timeline, signals and ticket hours
change only when its deals, signals or tickets and replies do: those three are read back
for the refreshed accounts (one select per table) and rewritten only for the accounts whose
rows differ, so a refresh after, say, an import of events deletes and inserts no timeline,
signal or hours row of an account whose deals, signals and tickets stayed as they were.
All of them are read in the refresh's one round trip of reads (`stored_children`). Every
statement is built once.

`computed_at` is the time of the refresh that last changed the row (a figure, or its
timeline, signals or hours); every refresh stamps at least its first account's row, so the
latest `computed_at`, which the dashboard's memo and the stored backtest read as their
data's stamp, moves with every refresh after a write, as before.
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import bindparam, delete, insert, select
from sqlalchemy.orm import Session

from server.db_batch import Batch
from server.db_upsert import copy_rows, dialect_insert
from server.rows import build, current, stamps
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
#: the child tables compared with their stored rows; the ticket hours are not read back:
#: they are the row's three hours lists with its owner (`build.child_rows`), written with
#: the row by every write, so they changed exactly where one of those columns did
COMPARED = (ArrChangeRow, AccountSignal)
HOURS_FROM = frozenset({"first_response_hours", "resolution_hours", "reply_hours", "owner"})
def _ids_in(t):
    return t.c.account_id.in_(bindparam("ids", expanding=True))


def _delete_of(model):
    t = model.__table__
    return current.built(("delete", model), lambda: delete(t).where(_ids_in(t)))


def _stored_of(model):
    t = model.__table__
    return current.built(("stored", model), lambda: select(
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
    return current.built(("day_upsert", dialect), make)


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
    out = {model: batch.add(_stored_of(model), {"ids": list(ids)}) for model in COMPARED}
    out[AccountMetrics] = batch.add(current.stored_read(), {"ids": list(ids)})
    t = MetricsDirty.__table__
    out[MetricsDirty] = batch.add(current.built(("marks",), lambda: select(t.c.account_id).where(
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
    """Write the current rows of accounts, their ARR timeline, signals and hours where they
    changed (`stored`: their stored rows from `stored_children`, read before any of these
    writes; else read here)."""
    stored = stored or {}
    ids = list(ids)
    dialect = session.get_bind().dialect
    mine = stored.get(AccountMetrics)
    fresh, changed, gone = current.changes(dialect, rows, mine.rows if mine is not None else
                                           session.execute(current.stored_read(),
                                                           {"ids": ids}).all())
    redo = {r["account_id"] for r in fresh} | set(gone) | {
        r["account_id"] for cols, group in changed.items() if HOURS_FROM.intersection(cols)
        for r in group}
    signals, hours = [], []
    for row in rows:
        sig, hrs = build.child_rows(row, accounts[row["account_id"]].owner)
        signals += sig
        if row["account_id"] in redo:
            hours += hrs
    moved: set[str] = set()
    for model, batch in ((ArrChangeRow, timeline), (AccountSignal, signals)):
        changed_ids, batch = _changed_children(session, model, ids, batch, stored.get(model))
        if changed_ids and model is ArrChangeRow:
            stamps.timeline_changed(session, changed_ids)  # the dashboard's series read it
        if changed_ids:
            session.execute(_delete_of(model), {"ids": changed_ids})
            moved.update(changed_ids)
        insert_rows(session, model.__table__, batch)
    if redo:
        session.execute(_delete_of(TicketHours), {"ids": sorted(redo)})
        insert_rows(session, TicketHours.__table__, hours)
    # the dirty marks deleted only when the batch saw one (one round trip less on PostgreSQL)
    marks = stored.get(MetricsDirty)
    if marks is None or marks.rows:
        session.execute(_delete_of(MetricsDirty), {"ids": ids})
    _write_rows(session, rows, fresh, changed, gone, moved)


def _write_rows(session: Session, rows: list[dict], fresh: list[dict], changed: dict,
                gone: list[str], moved: set[str]) -> None:
    """The current rows: those without a stored row inserted, the changed ones (a figure,
    or a child row in `moved`) and the first one (the refresh's stamp) written."""
    dialect = session.get_bind().dialect
    first = rows[0]["account_id"] if rows else None
    same = [r for r in changed.pop((), []) if r["account_id"] in moved
            or r["account_id"] == first]
    if same:
        changed[()] = same
    if gone:   # stored rows of accounts without a new row (not expected: deleted accounts)
        session.execute(_delete_of(AccountMetrics), {"ids": gone})
    if dialect.name == "postgresql":   # the changed rows deleted and COPYed with the new
        rewrite = [r for group in changed.values() for r in group]
        if rewrite:
            session.execute(_delete_of(AccountMetrics),
                            {"ids": [r["account_id"] for r in rewrite]})
        insert_rows(session, AccountMetrics.__table__, fresh + rewrite)
        return
    for columns, group in current.update_groups(changed):
        session.execute(current.update_statement(columns), current.update_params(columns, group))
    insert_rows(session, AccountMetrics.__table__, fresh)
