"""The current rows of a refresh compared with the stored ones, column by column.

A refresh recomputes every figure of its accounts, but a write changes few of them: after
an import of events and tickets, about a third of the rows come out equal to the stored
ones and the others differ in a handful of columns (active users, health, signals, open
tickets). `stored_read()` reads the stored rows as the database holds them (no result
processing: the JSON columns as their text, money and days as the driver gives them) and
`changes()` compares each new row with them in that form: a column counts as unchanged
only when writing it would store the same value (the new value bound as SQLAlchemy binds
it: JSON serialized, money a float on SQLite), so a doubt always counts as a change.

`server.rows.write.write_current` then writes only what changed: on SQLite an UPDATE of
the changed columns (an index is rewritten only when one of its columns is set: 2-4 of
the table's 19 instead of all of them, and the commit writes that many fewer pages), on
PostgreSQL a delete and COPY of the changed rows (every index gets a new entry either way:
`computed_at` is indexed, so no update is a heap-only one). The day's history rows are
compared the same way (`DAYS`): only the changed ones are upserted.
"""

from __future__ import annotations

import json
from collections import defaultdict
from operator import itemgetter

from sqlalchemy import JSON, Date, Numeric, String, Text, bindparam, cast, select, type_coerce
from sqlalchemy import update as sql_update

from server.rows.models import AccountDay, AccountMetrics

KEY, STAMP = "account_id", "computed_at"
_STATEMENTS: dict = {}


def built(key, make):
    """The statement cached under `key` (made by `make` the first time); shared by the rows'
    writer (server.rows.write), whose keys are tuples starting with another word."""
    stmt = _STATEMENTS.get(key)
    if stmt is None:
        stmt = _STATEMENTS[key] = make()
    return stmt


def _json_text(value):
    # the text the JSON type stores on both databases (its serializer: json.dumps)
    return json.dumps(value)


class Compared:
    """A table of rows compared with their stored version: every column but `skip` (the key
    `account_id` among them), read as stored."""

    def __init__(self, table, skip: tuple[str, ...]) -> None:
        self.table = table
        self.columns = tuple(c.name for c in table.columns if c.name not in skip)
        self._json = frozenset(c.name for c in table.columns if isinstance(c.type, JSON))

    def stored_read(self, *where):
        """The stored rows of the accounts `ids` (and `where`): the key, then the columns
        as stored (JSON as text; every other column coerced to a type without result
        processing)."""
        t = self.table

        def make():
            return select(t.c[KEY], *(cast(t.c[c], Text) if c in self._json
                                      else type_coerce(t.c[c], String) for c in self.columns)
                          ).where(t.c[KEY].in_(bindparam("ids", expanding=True)), *where)
        return built(("stored", t.name), make)

    def _converters(self, dialect) -> list:
        """Per column, the function giving a new value as the stored read returns it, or
        None when the value is compared as it is."""
        def make():
            out = []
            for name in self.columns:
                col = self.table.c[name]
                if name in self._json:
                    out.append(_json_text)
                elif dialect.name == "sqlite" and isinstance(col.type, (Numeric, Date)):
                    out.append(col.type.dialect_impl(dialect).bind_processor(dialect))
                else:   # str, int, float, bool; on PostgreSQL also Decimal and date
                    out.append(None)
            return out
        return built(("converters", self.table.name, dialect.name), make)

    def changes(self, dialect, rows: list[dict], stored_rows
                ) -> tuple[list[dict], dict, list[str]]:
        """(rows with no stored row, {changed columns: rows of the accounts whose stored row
        differs in exactly those}, accounts whose stored row has no new row). A row equal
        to its stored one is under the empty tuple."""
        old = {r[0]: tuple(r[1:]) for r in stored_rows}
        values = itemgetter(*self.columns)
        conv = [(i, f) for i, f in enumerate(self._converters(dialect)) if f is not None]
        names = self.columns
        fresh: list[dict] = []
        changed: dict[tuple, list[dict]] = defaultdict(list)
        for row in rows:
            before = old.pop(row[KEY], None)
            if before is None:
                fresh.append(row)
                continue
            new = list(values(row))
            for i, f in conv:
                new[i] = f(new[i])
            if tuple(new) == before:   # the common case: one comparison in C
                changed[()].append(row)
                continue
            changed[tuple(n for n, a, b in zip(names, new, before) if a != b)].append(row)
        return fresh, changed, list(old)


#: the current rows, compared on every column but the key and the refresh's time
CURRENT = Compared(AccountMetrics.__table__, (KEY, STAMP))
#: a day's history rows (the key: account and day)
DAYS = Compared(AccountDay.__table__, (KEY, "day"))
T = CURRENT.table


def stored_read():
    """The stored current rows of the accounts `ids` (`Compared.stored_read`)."""
    return CURRENT.stored_read()


def changes(dialect, rows: list[dict], stored_rows) -> tuple[list[dict], dict, list[str]]:
    """`Compared.changes` of current rows."""
    return CURRENT.changes(dialect, rows, stored_rows)


def days_read():
    """The stored history rows of the accounts `ids` on the day `day`."""
    return DAYS.stored_read(DAYS.table.c.day == bindparam("day", type_=Date))


#: at most this many UPDATE statements per chunk (the groups of rows changed in the same
#: columns, largest first); the rows of the other groups are updated together on every
#: column any of them changed (each sets a value it already has to the same value again)
MAX_UPDATES = 24
_UPDATES: dict = {}


def update_groups(changed: dict[tuple, list[dict]]) -> list[tuple[tuple, list[dict]]]:
    """The UPDATEs of a chunk: (columns, rows), at most MAX_UPDATES of them."""
    groups = sorted(changed.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    head, tail = groups[:MAX_UPDATES - 1], groups[MAX_UPDATES - 1:]
    if len(tail) > 1:
        union = set().union(*(cols for cols, _ in tail))
        tail = [(tuple(c for c in CURRENT.columns if c in union),
                 [r for _, group in tail for r in group])]
    return head + tail


def update_statement(columns: tuple[str, ...]):
    """UPDATE of `columns` and the refresh's time of one account (executemany: the
    parameters `_id` and the columns' names); kept for the 256 latest sets of columns."""
    stmt = _UPDATES.get(columns)
    if stmt is None:
        if len(_UPDATES) >= 256:
            _UPDATES.clear()
        stmt = _UPDATES[columns] = sql_update(T).where(T.c[KEY] == bindparam("_id")).values(
            {c: bindparam(c, type_=T.c[c].type) for c in (*columns, STAMP)})
    return stmt


def update_params(columns: tuple[str, ...], rows: list[dict]) -> list[dict]:
    return [{"_id": r[KEY], STAMP: r[STAMP], **{c: r[c] for c in columns}} for r in rows]
