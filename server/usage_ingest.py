"""Event ingestion: deduplicate by identity digest, aggregate into per-day usage rows.

This is the hot path of every usage import and analytics sync, so it talks to the
database through the driver's executemany with prepared SQL instead of building ORM or
Core statements per batch. The SQL is plain and portable between SQLite and PostgreSQL.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from datetime import date, datetime, timedelta, timezone
from itertools import chain

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from server import models as m

SESSION_GAP = 30 * 60
KEY_CHUNK = 2000
_EPOCH = date(1970, 1, 1)

_USER_DAYS = (
    "INSERT INTO usage_user_days (account_id, day, user_id, events) VALUES (?, ?, ?, ?) "
    "ON CONFLICT (account_id, day, user_id) DO UPDATE "
    "SET events = usage_user_days.events + excluded.events")
_EVENT_DAYS = (
    "INSERT INTO usage_event_days (account_id, day, name, events) VALUES (?, ?, ?, ?) "
    "ON CONFLICT (account_id, day, name) DO UPDATE "
    "SET events = usage_event_days.events + excluded.events")
_SESSIONS = (
    "INSERT INTO usage_sessions (account_id, user_id, session_key, start_ts, end_ts, day) "
    "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (account_id, user_id, session_key) DO UPDATE SET "
    "day = CASE WHEN excluded.start_ts < usage_sessions.start_ts THEN excluded.day "
    "ELSE usage_sessions.day END, "
    "start_ts = CASE WHEN excluded.start_ts < usage_sessions.start_ts THEN excluded.start_ts "
    "ELSE usage_sessions.start_ts END, "
    "end_ts = CASE WHEN excluded.end_ts > usage_sessions.end_ts THEN excluded.end_ts "
    "ELSE usage_sessions.end_ts END")

_DROP_SESSION = ("DELETE FROM usage_sessions "
                 "WHERE account_id = ? AND user_id = ? AND session_key = ?")


def event_digest(account_id: str, user_id: str, name: str, epoch_us: int) -> int:
    """Signed 64-bit identity of an event: (account_id, user_id, name, time in microseconds)."""
    basis = f"{account_id}\x1f{user_id}\x1f{name}\x1f{epoch_us}".encode()
    return int.from_bytes(hashlib.blake2b(basis, digest_size=8).digest(), "big", signed=True)


_blake2b = hashlib.blake2b
_from_bytes = int.from_bytes


def _day(ts: float) -> date:
    return datetime.fromtimestamp(ts, timezone.utc).date()


class EventWriter:
    """Buffers validated events and writes them as aggregates inside the caller's transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.events: dict[int, tuple] = {}
        self.new_events = 0
        #: per account, the earliest day of the new events since the last take_first_days()
        self.first_days: dict[str, date] = {}

    def add(self, account_id: str, user_id: str, name: str, when: datetime,
            session_id: str | None) -> None:
        epoch_us = int(when.timestamp() * 1_000_000)
        basis = f"{account_id}\x1f{user_id}\x1f{name}\x1f{epoch_us}".encode()
        digest = _from_bytes(_blake2b(basis, digest_size=8).digest(), "big", signed=True)
        self.events[digest] = (account_id, user_id, name, epoch_us // 1_000_000, session_id)

    def __len__(self) -> int:
        return len(self.events)

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
        if not self.events:
            return set()
        events, self.events = self.events, {}
        fresh = self._insert_keys(events)
        self.new_events += len(fresh)
        if not fresh:
            return set()
        conn, pg = self._conn()
        new = events.values() if len(fresh) == len(events) else [events[d] for d in fresh]
        user_days: dict[tuple, int] = defaultdict(int)
        event_days: dict[tuple, int] = defaultdict(int)
        explicit: dict[tuple, list[int]] = {}
        implicit: dict[tuple, list[int]] = defaultdict(list)
        for account_id, user_id, name, ts, session_id in new:   # per event: counts only
            dkey = ts // 86400
            user_days[account_id, dkey, user_id] += 1
            event_days[account_id, dkey, name] += 1
            if session_id is None:
                implicit[account_id, user_id].append(ts)
            else:
                span = explicit.get((account_id, user_id, session_id))
                if span is None:
                    explicit[account_id, user_id, session_id] = [ts, ts]
                elif ts < span[0]:
                    span[0] = ts
                elif ts > span[1]:
                    span[1] = ts
        days = {dkey: _EPOCH + timedelta(days=dkey) for _, dkey, _ in user_days}
        first = self.first_days
        touched: set[str] = set()
        for a, dkey, _ in user_days:
            d = days[dkey]
            if a not in touched:
                touched.add(a)
            if a not in first or d < first[a]:
                first[a] = d
        param = {k: (d if pg else d.isoformat()) for k, d in days.items()}
        cur = conn.connection.cursor()
        try:
            cur.executemany(self._sql(_USER_DAYS, pg), [
                (a, param[k], u, n) for (a, k, u), n in user_days.items()])
            cur.executemany(self._sql(_EVENT_DAYS, pg), [
                (a, param[k], nm, n) for (a, k, nm), n in event_days.items()])
            if explicit:
                cur.executemany(self._sql(_SESSIONS, pg), [
                    (a, u, "s:" + k, lo, hi, self._day_param(_day(lo), pg))
                    for (a, u, k), (lo, hi) in explicit.items()])
        finally:
            cur.close()
        if implicit:
            self._merge_implicit_sessions(implicit, conn, pg)
        return touched

    def _insert_keys(self, events: dict[int, tuple]) -> list[int]:
        """Insert event keys (day, digest); return the digests that were not stored before."""
        conn, pg = self._conn()
        keys = sorted([(ev[3] // 86400, digest, ev[0]) for digest, ev in events.items()])
        fresh: list[int] = []
        cur = conn.connection.cursor()   # the driver's cursor: no per-row result wrapping
        try:
            for i in range(0, len(keys), KEY_CHUNK):
                chunk = keys[i:i + KEY_CHUNK]
                values = ", ".join(["(?, ?, ?)"] * len(chunk))
                sql = (f"INSERT INTO event_keys (day, digest, account_id) VALUES {values} "
                       "ON CONFLICT (day, digest) DO NOTHING RETURNING digest")
                cur.execute(self._sql(sql, pg), tuple(chain.from_iterable(chunk)))
                fresh.extend([row[0] for row in cur.fetchall()])
        finally:
            cur.close()
        return fresh

    def _merge_implicit_sessions(self, points: dict[tuple, list[int]], conn, pg: bool) -> None:
        """Sessionise events without a vendor session id: gaps over 30 minutes split."""
        s = self.session
        lo = min(min(v) for v in points.values()) - SESSION_GAP
        hi = max(max(v) for v in points.values()) + SESSION_GAP
        pairs = list(points)
        stored: dict[tuple, list[tuple[int, int, str]]] = defaultdict(list)
        us = m.UsageSession
        for i in range(0, len(pairs), 400):
            q = select(us.account_id, us.user_id, us.start_ts, us.end_ts, us.session_key).where(
                tuple_(us.account_id, us.user_id).in_(pairs[i:i + 400]),
                us.session_key.like("g:%"), us.end_ts >= lo, us.start_ts <= hi)
            for acc, user, start, end, key in s.execute(q):
                stored[(acc, user)].append((start, end, key))
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
        conn.exec_driver_sql(self._sql(_SESSIONS, pg), out)
