"""Event ingestion: deduplicate by identity digest, aggregate into per-day usage rows.

This is the hot path of every usage import and analytics sync, so it talks to the
database through the driver's executemany with prepared SQL instead of building ORM or
Core statements per batch. The SQL is plain and portable between SQLite and PostgreSQL.
"""

from __future__ import annotations

import hashlib
import sys
from array import array
from collections import defaultdict
from datetime import date, datetime, timedelta, timezone
from itertools import chain

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server import models as m
from server.db_upsert import copy_rows

SESSION_GAP = 30 * 60
DIGEST_CHUNK = 500
_EPOCH = date(1970, 1, 1)
_BIG_ENDIAN = sys.byteorder == "big"

# (table, columns, conflict clause) of the day rows' upserts
_USER_DAYS = ("usage_user_days", "account_id, day, user_id, events",
              "ON CONFLICT (account_id, day, user_id) DO UPDATE "
              "SET events = usage_user_days.events + excluded.events")
_EVENT_DAYS = ("usage_event_days", "account_id, day, name, events",
               "ON CONFLICT (account_id, day, name) DO UPDATE "
               "SET events = usage_event_days.events + excluded.events")
_SESSIONS = (
    "usage_sessions", "account_id, user_id, session_key, start_ts, end_ts, day",
    "ON CONFLICT (account_id, user_id, session_key) DO UPDATE SET "
    "day = CASE WHEN excluded.start_ts < usage_sessions.start_ts THEN excluded.day "
    "ELSE usage_sessions.day END, "
    "start_ts = CASE WHEN excluded.start_ts < usage_sessions.start_ts THEN excluded.start_ts "
    "ELSE usage_sessions.start_ts END, "
    "end_ts = CASE WHEN excluded.end_ts > usage_sessions.end_ts THEN excluded.end_ts "
    "ELSE usage_sessions.end_ts END")


def upsert_rows(cur, spec: tuple[str, str, str], rows: list[tuple], pg: bool) -> None:
    """INSERT ... ON CONFLICT of many rows (keys unique among them) through a driver cursor.

    SQLite: one prepared statement, executemany. PostgreSQL: COPY into a temporary table of
    the same shape, then one INSERT ... SELECT ... ON CONFLICT (no round trip per row)."""
    if not rows:
        return
    table, cols, conflict = spec
    if not pg:
        _insert_many(cur, table, cols, rows, conflict)
        return
    tmp = f"a360_load_{table}"
    cur.execute(f"CREATE TEMP TABLE IF NOT EXISTS {tmp} (LIKE {table}) ON COMMIT DELETE ROWS")
    copy_rows(cur, tmp, cols, rows)
    cur.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM {tmp} {conflict}")
    cur.execute(f"TRUNCATE {tmp}")


def insert_rows(cur, spec: tuple[str, str, str], rows: list[tuple], pg: bool) -> None:
    """Plain INSERT of rows that cannot conflict (their account-day is new in this
    transaction): PostgreSQL COPYs them straight into the table, no staging table and no
    ON CONFLICT arbitration; SQLite an executemany without the conflict clause."""
    if not rows:
        return
    table, cols, _ = spec
    if pg:
        copy_rows(cur, table, cols, rows)
    else:
        _insert_many(cur, table, cols, rows, "")


def _insert_many(cur, table: str, cols: str, rows: list[tuple], conflict: str) -> None:
    marks = ", ".join("?" * (cols.count(",") + 1))
    cur.executemany(f"INSERT INTO {table} ({cols}) VALUES ({marks}) {conflict}", rows)


_DROP_SESSION = ("DELETE FROM usage_sessions "
                 "WHERE account_id = ? AND user_id = ? AND session_key = ?")


def pack(digests) -> bytes:
    """Digests as stored in event_digests.digests: 8-byte little-endian signed integers."""
    arr = array("q", digests)
    if _BIG_ENDIAN:
        arr.byteswap()
    return arr.tobytes()


def unpack(blob: bytes) -> array:
    arr = array("q")
    arr.frombytes(blob)
    if _BIG_ENDIAN:
        arr.byteswap()
    return arr


def stored_events(session: Session) -> int:
    """How many distinct events the store holds (the digests kept for deduplication)."""
    return int(session.scalar(select(func.sum(func.length(m.EventDigests.digests)))) or 0) // 8


def event_digest(account_id: str, user_id: str, name: str, epoch_us: int) -> int:
    """Signed 64-bit identity of an event: (account_id, user_id, name, time in microseconds)."""
    basis = f"{account_id}\x1f{user_id}\x1f{name}\x1f{epoch_us}".encode()
    return int.from_bytes(hashlib.blake2b(basis, digest_size=8).digest(), "big", signed=True)


_blake2b = hashlib.blake2b
_from_bytes = int.from_bytes


def _day(ts: float) -> date:
    return datetime.fromtimestamp(ts, timezone.utc).date()


class EventWriter:
    """Buffers validated events and writes them as aggregates inside the caller's transaction.

    Events are buffered per (account, UTC day) as {digest: (user_id, name, ts, session_id)}:
    the unit of the stored digests and of the day rows, so a flush works per account-day."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.groups: dict[tuple[str, int], dict[int, tuple]] = {}
        self.new_events = 0
        #: per account, the earliest day of the new events since the last take_first_days()
        self.first_days: dict[str, date] = {}

    def add(self, account_id: str, user_id: str, name: str, when: datetime,
            session_id: str | None) -> None:
        epoch_us = int(when.timestamp() * 1_000_000)
        basis = f"{account_id}\x1f{user_id}\x1f{name}\x1f{epoch_us}".encode()
        digest = _from_bytes(_blake2b(basis, digest_size=8).digest(), "big", signed=True)
        ts = epoch_us // 1_000_000
        group = self.groups.get((account_id, ts // 86400))
        if group is None:
            group = self.groups[account_id, ts // 86400] = {}
        group[digest] = (user_id, name, ts, session_id)

    def __len__(self) -> int:
        return sum(len(g) for g in self.groups.values())

    def clear(self) -> None:
        """Forget the buffered events (their writes were rolled back)."""
        self.groups, self.first_days = {}, {}

    # -- driver-level helpers --------------------------------------------------
    def _conn(self):
        conn = self.session.connection()
        return conn, conn.dialect.name == "postgresql"

    def _sql(self, sql: str, pg: bool) -> str:
        return sql.replace("?", "%s") if pg else sql

    def _day_param(self, d: date, pg: bool):
        return d if pg else d.isoformat()

    # -- writing ---------------------------------------------------------------
    def flush(self) -> set[str]:
        """Write buffered events; returns the accounts that received new events."""
        if not self.groups:
            return set()
        groups, self.groups = self.groups, {}
        fresh = self._insert_keys(groups)
        self.new_events += sum(len(evs) for _, evs, _ in fresh)
        if not fresh:
            return set()
        conn, pg = self._conn()
        # the day rows of an account-day whose digests row this batch created cannot exist
        # yet (both go only together, and that row stays locked until the commit): inserted
        # plainly; the others are added to the stored rows
        user_days, event_days, new_user_days, new_event_days = [], [], [], []
        explicit: dict[tuple, list[int]] = {}
        implicit: dict[tuple, list[int]] = defaultdict(list)
        first = self.first_days
        days: dict[int, object] = {}
        for (account_id, dkey), evs, new in fresh:   # in key order, so are the rows written
            day = days.get(dkey)
            if day is None:
                d = _EPOCH + timedelta(days=dkey)
                day = days[dkey] = (d, d if pg else d.isoformat())
            if account_id not in first or day[0] < first[account_id]:
                first[account_id] = day[0]
            param = day[1]
            users: dict[str, int] = {}
            names: dict[str, int] = {}
            for user_id, name, ts, session_id in evs:   # per event: counts only
                users[user_id] = users.get(user_id, 0) + 1
                names[name] = names.get(name, 0) + 1
                if session_id is None:
                    implicit[account_id, user_id].append(ts)
                    continue
                span = explicit.get((account_id, user_id, session_id))
                if span is None:
                    explicit[account_id, user_id, session_id] = [ts, ts]
                elif ts < span[0]:
                    span[0] = ts
                elif ts > span[1]:
                    span[1] = ts
            (new_user_days if new else user_days).extend(
                [(account_id, param, u, n) for u, n in users.items()])
            (new_event_days if new else event_days).extend(
                [(account_id, param, nm, n) for nm, n in names.items()])
        cur = conn.connection.cursor()
        try:
            insert_rows(cur, _USER_DAYS, new_user_days, pg)
            upsert_rows(cur, _USER_DAYS, user_days, pg)
            insert_rows(cur, _EVENT_DAYS, new_event_days, pg)
            upsert_rows(cur, _EVENT_DAYS, event_days, pg)
            upsert_rows(cur, _SESSIONS, [(a, u, "s:" + k, lo, hi, self._day_param(_day(lo), pg))
                                         for (a, u, k), (lo, hi) in explicit.items()], pg)
        finally:
            cur.close()
        if implicit:
            self._merge_implicit_sessions(implicit, conn, pg)
        return {a for (a, _), _, _ in fresh}

    def _insert_keys(self, groups: dict[tuple, dict[int, tuple]]) -> list[tuple]:
        """Store the digests of the events per account-day; the events not stored before, as
        [((account_id, day), [(user_id, name, ts, session_id), ...], new)] in key order, `new`
        when the account-day had no digests row before this batch.

        First one multi-row INSERT ... ON CONFLICT DO NOTHING RETURNING for every account-day
        (a new account-day takes all its digests at once, and the batch holds the write lock
        from its first statement), then the account-days already stored are read (locked on
        PostgreSQL), and their rows are appended the digests they do not hold yet."""
        conn, pg = self._conn()
        pairs = sorted(groups)
        fresh: dict[tuple, object] = {}
        created: set[tuple] = set()
        cur = conn.connection.cursor()   # the driver's cursor: no per-row result wrapping
        try:
            stored = []
            for i in range(0, len(pairs), DIGEST_CHUNK):
                chunk = pairs[i:i + DIGEST_CHUNK]
                values = ", ".join(["(?, ?, ?)"] * len(chunk))
                cur.execute(self._sql(
                    f"INSERT INTO event_digests (account_id, day, digests) VALUES {values} "
                    "ON CONFLICT (account_id, day) DO NOTHING RETURNING account_id, day", pg),
                    tuple(chain.from_iterable((a, d, pack(groups[a, d])) for a, d in chunk)))
                new = set(map(tuple, cur.fetchall()))
                for key in chunk:
                    if key in new:
                        fresh[key] = groups[key].values()
                        created.add(key)
                    else:
                        stored.append(key)
            updates = []
            for i in range(0, len(stored), DIGEST_CHUNK):
                chunk = stored[i:i + DIGEST_CHUNK]
                values = ", ".join(["(?, ?)"] * len(chunk))
                cur.execute(self._sql(   # a join: each key is one primary-key seek
                    f"WITH k (a, d) AS (VALUES {values}) SELECT e.account_id, e.day, e.digests "
                    "FROM k JOIN event_digests e ON e.account_id = k.a AND e.day = k.d"
                    + (" FOR UPDATE OF e" if pg else ""), pg), tuple(chain.from_iterable(chunk)))
                for a, d, blob in cur.fetchall():
                    group = groups[a, d]
                    seen = set(unpack(blob))
                    new_here = [x for x in group if x not in seen]
                    if new_here:
                        fresh[a, d] = [group[x] for x in new_here]
                        updates.append((bytes(blob) + pack(new_here), a, d))
            if updates:
                cur.executemany(self._sql(
                    "UPDATE event_digests SET digests = ? WHERE account_id = ? AND day = ?", pg),
                    updates)
        finally:
            cur.close()
        return [(key, fresh[key], key in created) for key in pairs if key in fresh]

    def _merge_implicit_sessions(self, points: dict[tuple, list[int]], conn, pg: bool) -> None:
        """Sessionise events without a vendor session id: gaps over 30 minutes split."""
        lo = min(min(v) for v in points.values()) - SESSION_GAP
        hi = max(max(v) for v in points.values()) + SESSION_GAP
        pairs = sorted(points)
        stored: dict[tuple, list[tuple[int, int, str]]] = defaultdict(list)
        cur = conn.connection.cursor()
        try:
            for i in range(0, len(pairs), 400):
                chunk = pairs[i:i + 400]
                values = ", ".join(["(?, ?)"] * len(chunk))
                cur.execute(self._sql(   # a join: a primary-key range seek per user
                    f"WITH k (a, u) AS (VALUES {values}) SELECT s.account_id, s.user_id, "
                    "s.start_ts, s.end_ts, s.session_key FROM k JOIN usage_sessions s "
                    "ON s.account_id = k.a AND s.user_id = k.u WHERE s.session_key >= 'g:' "
                    "AND s.session_key < 'g;' AND s.end_ts >= ? AND s.start_ts <= ?", pg),
                    (*chain.from_iterable(chunk), lo, hi))
                for acc, user, start, end, key in cur.fetchall():
                    stored[(acc, user)].append((start, end, key))
        finally:
            cur.close()
        out: list[tuple] = []
        gone: list[tuple] = []
        for (account_id, user_id), stamps in points.items():
            mine = stored.get((account_id, user_id), [])
            spans = sorted([(ts, ts) for ts in stamps] + [(a, b) for a, b, _ in mine])
            merged: list[list[int]] = []
            for a, b in spans:
                if merged and a - merged[-1][1] <= SESSION_GAP:
                    if b > merged[-1][1]:
                        merged[-1][1] = b
                else:
                    merged.append([a, b])
            gone += [(account_id, user_id, k) for _, _, k in mine]
            out += [(account_id, user_id, f"g:{a}", a, b, self._day_param(_day(a), pg))
                    for a, b in merged]
        if gone:
            conn.exec_driver_sql(self._sql(_DROP_SESSION, pg), gone)
        cur = conn.connection.cursor()
        try:
            upsert_rows(cur, _SESSIONS, out, pg)
        finally:
            cur.close()
