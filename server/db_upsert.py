"""INSERT ... ON CONFLICT for SQLite and PostgreSQL: the record path's and the rows' upsert."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session


def upsert(session: Session, model: Any, rows: list[dict], keys: list[str],
           update_cols: list[str] | None = None, increment: tuple[str, ...] = ()) -> None:
    """INSERT ... ON CONFLICT DO UPDATE (or DO NOTHING) on SQLite and PostgreSQL."""
    if not rows:
        return
    table = model.__table__
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    stmt = insert(table)
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
