"""INSERT ... ON CONFLICT for SQLite and PostgreSQL: the record path's and the rows' upsert."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import case, func
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def dialect_insert(bind_or_name):
    """The INSERT construct with ON CONFLICT of a session's, connection's or named dialect
    ("postgresql" or "sqlite")."""
    if isinstance(bind_or_name, str):
        name = bind_or_name
    elif isinstance(bind_or_name, Session):
        name = bind_or_name.get_bind().dialect.name
    else:
        name = bind_or_name.dialect.name
    return postgresql.insert if name == "postgresql" else sqlite.insert


def copy_rows(cur, table: str, cols: str, rows) -> None:
    """COPY rows (sequences in the order of `cols`, a comma-separated column list) into a
    PostgreSQL table through a psycopg cursor: the bulk path of the record and rows writers."""
    with cur.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def upsert(session: Session, model: Any, rows: list[dict], keys: list[str],
           update_cols: list[str] | None = None, increment: tuple[str, ...] = ()) -> None:
    """INSERT ... ON CONFLICT DO UPDATE (or DO NOTHING) on SQLite and PostgreSQL."""
    if not rows:
        return
    table = model.__table__
    stmt = dialect_insert(session)(table)
    cols = update_cols if update_cols is not None else [
        c.name for c in table.columns if c.name not in keys]
    if cols:
        values = {c: stmt.excluded[c] for c in cols}
        for c in increment:
            values[c] = table.c[c] + stmt.excluded[c]
        stmt = stmt.on_conflict_do_update(index_elements=keys, set_=values)
    else:
        stmt = stmt.on_conflict_do_nothing(index_elements=keys)
    session.execute(stmt, rows)


def upsert_contacts(session: Session, contacts: list[dict]) -> None:
    """Upsert contacts; a contact turning inactive gets today as inactive_since."""
    from server.models import Contact

    t = Contact.__table__
    insert = dialect_insert(session)
    today = datetime.now(UTC).date()
    for c in contacts:
        if not c["active"] and c["inactive_since"] is None:
            c["inactive_since"] = today
    stmt = insert(t)
    ex = stmt.excluded
    cols = {c.name: ex[c.name] for c in t.columns if c.name not in ("id", "inactive_since")}
    cols["inactive_since"] = case(
        (ex.active.is_(True), None),
        (t.c.active.is_(False), func.coalesce(t.c.inactive_since, ex.inactive_since)),
        else_=ex.inactive_since)
    session.execute(stmt.on_conflict_do_update(index_elements=["id"], set_=cols), contacts)
