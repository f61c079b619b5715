"""Several SELECTs in one round trip: a psycopg pipeline on PostgreSQL, one after another
elsewhere.

A refresh of one account reads about fifteen small statements (its records, its usage
windows, its stored child rows); sent one by one each waits for the server, and on a shared
machine each wait is a scheduling delay. `Batch.add()` collects a statement and answers a
handle; `Batch.run()` sends them all and waits once; `handle.rows` is then the list of row
tuples, each value converted by its column's type as SQLAlchemy would.

The statements are prebuilt (their values bound parameters); the PostgreSQL text of each is
compiled once, an expanding `IN` becomes `= ANY(array)` (one text for any number of ids, so
the server's prepared plan serves every call). The engine's `before_cursor_execute` and
`after_cursor_execute` listeners are called for each statement (with no execution context).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection
from sqlalchemy.orm import Session

_TEXT: dict[int, tuple[Any, Any, str, frozenset[str]]] = {}


class Handle:
    """One statement of a batch; `rows` once the batch has run."""

    __slots__ = ("stmt", "params", "rows")

    def __init__(self, stmt, params: dict) -> None:
        self.stmt, self.params, self.rows = stmt, params, None


def _pipelined(conn: Connection) -> bool:
    return conn.dialect.name == "postgresql" and conn.dialect.driver == "psycopg"


def _text(conn: Connection, stmt) -> tuple[Any, str, frozenset[str]]:
    """The statement compiled for PostgreSQL, its text (pyformat) and the names of its
    expanding parameters."""
    known = _TEXT.get(id(stmt))
    if known is not None and known[0] is stmt:
        return known[1:]
    compiled = stmt.compile(dialect=conn.dialect)
    sql, lists = compiled.string, []
    for name, bind in compiled.binds.items():
        if bind.expanding:
            marker = f"(__[POSTCOMPILE_{name}])"
            assert f"IN {marker}" in sql and f"NOT IN {marker}" not in sql, sql
            sql = sql.replace(f"IN {marker}", f"= ANY(%({name})s)")
            lists.append(name)
    assert "POSTCOMPILE" not in sql, sql
    _TEXT[id(stmt)] = (stmt, compiled, sql, frozenset(lists))
    return compiled, sql, frozenset(lists)


class Batch:
    """Statements to run together on one connection (inside its transaction)."""

    def __init__(self, conn: Connection | Session) -> None:
        self.conn = conn.connection() if isinstance(conn, Session) else conn
        self.items: list[Handle] = []

    def add(self, stmt, params: dict) -> Handle:
        h = Handle(stmt, params)
        self.items.append(h)
        return h

    def run(self) -> None:
        items, self.items = self.items, []
        if not _pipelined(self.conn):
            for h in items:
                h.rows = self.conn.execute(h.stmt, h.params).all()
            return
        raw = self.conn.connection.driver_connection
        events = self.conn.dispatch   # the engine's cursor listeners see every statement
        sent = []
        with raw.pipeline():
            for h in items:
                compiled, sql, lists = _text(self.conn, h.stmt)
                params = compiled.construct_params(h.params)   # with the literals' values
                for name in lists:
                    params[name] = list(params[name])
                cur = raw.cursor()
                events.before_cursor_execute(self.conn, cur, sql, params, None, False)
                cur.execute(sql, params)
                events.after_cursor_execute(self.conn, cur, sql, params, None, False)
                sent.append((h, cur))
        for h, cur in sent:
            h.rows = _converted(self.conn.dialect, h.stmt, cur)
            cur.close()


_PROCS: dict[int, tuple[Any, list]] = {}


def _converted(dialect, stmt, cur) -> list[tuple]:
    """The cursor's rows with each column's SQLAlchemy result processing applied (the
    processors looked up once per statement: its columns' types do not change)."""
    rows = cur.fetchall()
    known = _PROCS.get(id(stmt))
    if known is None or known[0] is not stmt:
        known = _PROCS[id(stmt)] = (stmt, [
            col.type.dialect_impl(dialect).result_processor(dialect, d.type_code)
            for col, d in zip(stmt.selected_columns, cur.description)])
    procs = known[1]
    if not any(procs):
        return rows
    return [tuple(v if p is None else p(v) for p, v in zip(procs, row)) for row in rows]
