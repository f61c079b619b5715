"""Streaming JSON Lines import: constant memory, per-line errors, batch commits.

The contract: every bad line is reported with its number and reason and every good line
is loaded, whatever the error. Validation rejects what it can; when a batch still fails
to be written, it is rolled back and written again in halves inside savepoints until
only the lines the database refuses are left out.
"""

from __future__ import annotations

import gc
import heapq
import logging
from array import array
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from operator import itemgetter
from time import perf_counter, process_time

import orjson
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from server.db import Store
from server.event_lines import DECODE_ERRORS, decode
from server.ingest import Loader
from server.records import RecordError
from server.rows.refresh import gc_paused, refresh_dirty

log = logging.getLogger(__name__)

MAX_LINE_BYTES = 1_000_000
MAX_REPORTED_ERRORS = 1000
PHASES = ("read", "write", "commit", "refresh")


#: SQLite settings of the import's connection while it loads, and what they are otherwise
#: (SQLite's default checkpoint, server.db's page cache): a checkpoint every 1000 WAL pages
#: (4 MB) copies the day tables' pages each batch dirtied back into the file after every
#: commit; every 20,000 pages (80 MB) a page dirtied by several batches is copied once. The
#: page cache is 32 MB instead of 64 MB while it loads (peak RSS: the cache is full from a
#: few million events on, and a page it misses is read back from the operating system's
#: file cache).
_SQLITE_BULK = {"wal_autocheckpoint": 20_000, "cache_size": -32_768}
_SQLITE_USUAL = {"wal_autocheckpoint": 1000, "cache_size": -65_536}


def _settings(conn, values: dict) -> None:
    for name, value in values.items():
        conn.exec_driver_sql(f"PRAGMA {name} = {int(value)}")


@contextmanager
def bulk_session(store: Store) -> Iterator[Session]:
    """One session on one connection for the whole import, with the bulk load's settings.

    SQLite: the settings above, put back before the connection returns to the pool.
    PostgreSQL keeps its durable commits: a batch the report counts as committed survives a
    crash of the database server (turning `synchronous_commit` off measured no gain above
    the noise for batches of 100,000 lines)."""
    with store.engine.connect() as conn:
        pg = conn.dialect.name == "postgresql"
        if not pg:
            _settings(conn, _SQLITE_BULK)
            conn.commit()
        try:
            with store.sessions(bind=conn) as session:
                yield session
        finally:
            if conn.in_transaction():
                conn.rollback()
            if not conn.invalidated and not pg:
                _settings(conn, _SQLITE_USUAL)
                # and its page cache freed: the refresh right after the import may get
                # another pooled connection and fill that one's cache as well (RSS)
                conn.exec_driver_sql("PRAGMA shrink_memory")
                conn.commit()


def clock() -> tuple[float, float]:
    return perf_counter(), process_time()


@dataclass
class ImportReport:
    """What an import did: counts per type, rejected lines with reasons."""

    loaded: int = 0
    rejected: int = 0
    new_events: int = 0
    by_type: dict[str, int] = field(default_factory=dict)
    errors: list[dict] = field(default_factory=list)
    touched_accounts: set[str] = field(default_factory=set)
    #: wall and CPU seconds per phase: read (parse + validate), write, commit, refresh
    seconds: dict[str, float] = field(default_factory=lambda: dict.fromkeys(PHASES, 0.0))
    cpu_seconds: dict[str, float] = field(default_factory=lambda: dict.fromkeys(PHASES, 0.0))

    def spent(self, phase: str, since: tuple[float, float]) -> tuple[float, float]:
        """Add the time since `since` (a `clock()`) to a phase; the clock now."""
        now = clock()
        self.seconds[phase] += now[0] - since[0]
        self.cpu_seconds[phase] += now[1] - since[1]
        return now

    def reject(self, line_no: int, reason: str) -> None:
        self.rejected += 1
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append({"line": line_no, "reason": reason})

    def to_dict(self) -> dict:
        return {"loaded": self.loaded, "rejected": self.rejected, "new_events": self.new_events,
                "by_type": dict(sorted(self.by_type.items())), "errors": self.errors,
                "errors_truncated": self.rejected > len(self.errors)}


def _parse(raw: bytes | str) -> tuple[object, str | None]:
    """The decoded line, or the reason it is not a JSON value."""
    try:
        return orjson.loads(raw), None   # a compiled parser: the import's hot loop
    except orjson.JSONDecodeError as exc:
        said = str(exc)
        if said.startswith(("depth limit exceeded", "recursion limit")):
            return None, "not valid JSON: nested too deeply"
        return None, f"not valid JSON: {said}"


def _add(loader: Loader, rec: object) -> str | None:
    """Buffer one record; the reason it was rejected, or None."""
    try:
        loader.add(rec)
        return None
    except RecordError as exc:
        reason = exc.reason
    except (RecursionError, Exception) as exc:   # a validator's surprise still names the line
        log.debug("record rejected by an unexpected error", exc_info=True)
        reason = f"invalid record ({exc.__class__.__name__})"
    return f"{_kind(rec)}: {reason}"


def _kind(rec: object) -> str:
    rtype = rec.get("type") if isinstance(rec, dict) else None
    return rtype if isinstance(rtype, str) and rtype else "record"


def _write_error(exc: Exception) -> str:
    orig = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    first = (str(orig).strip().splitlines() or [orig.__class__.__name__])[0]
    return f"could not be stored: {first[:200]}"


class _Lines:
    """A batch's lines, kept to write them again on failure: the fast path's event lines
    (bytes) in one buffer with their ends and line numbers (about their length in memory,
    instead of a bytes object and a tuple per line: ~100 bytes more each, 10-12 MB of the
    peak RSS per batch of 100,000), every other line as (line number, record or text)."""

    __slots__ = ("buf", "ends", "numbers", "other")

    def __init__(self) -> None:
        self.buf, self.ends, self.numbers = bytearray(), array("q"), array("q")
        self.other: list[tuple[int, object]] = []

    def __len__(self) -> int:
        return len(self.numbers) + len(self.other)

    def __iter__(self) -> Iterator[tuple[int, object]]:
        """(line number, the line's bytes or its record), in line order."""
        def raw() -> Iterator[tuple[int, object]]:
            start, buf = 0, self.buf
            for line_no, end in zip(self.numbers, self.ends):
                yield line_no, bytes(buf[start:end])
                start = end
        return heapq.merge(raw(), self.other, key=itemgetter(0))


class _Batch:
    """The lines buffered since the last commit, kept to write them again on failure."""

    def __init__(self, session: Session, loader: Loader, report: ImportReport) -> None:
        self.session, self.loader, self.report = session, loader, report
        self.lines = _Lines()
        self.point = loader.checkpoint()

    def add(self, line_no: int, rec: object) -> None:
        reason = _add(self.loader, rec)
        if reason is None:
            self.lines.other.append((line_no, rec))
        else:
            self.report.reject(line_no, reason)

    def commit(self) -> None:
        start = clock()
        try:
            self.loader.flush()
            wrote = self.report.spent("write", start)
            self.session.commit()
            self.report.spent("commit", wrote)
        except Exception as exc:  # noqa: BLE001 - any write failure: find the lines behind it
            self.session.rollback()
            self.loader.rollback_to(self.point)
            log.warning("a batch of %d lines failed to be written (%s); writing it in parts",
                        len(self.lines), _write_error(exc))
            self._replay(list(self.lines))
            self.session.commit()
            self.report.spent("write", start)
        self.lines = _Lines()
        self.point = self.loader.checkpoint()
        # the cyclic collector is paused while the import runs (import_lines): the cycles a
        # batch left are collected here, among the objects made since the last batch only
        gc.collect(1)

    def _replay(self, lines: list[tuple[int, object]]) -> None:
        point = self.loader.checkpoint()
        kept = []
        savepoint = self.session.begin_nested()
        try:
            for line_no, rec in lines:
                if isinstance(rec, (bytes, str)):   # a line of the fast path: the full checks
                    rec, reason = _parse(rec)
                    if reason is not None:
                        self.report.reject(line_no, reason)
                        continue
                reason = _add(self.loader, rec)
                if reason is None:
                    kept.append((line_no, rec))
                else:
                    self.report.reject(line_no, reason)
            self.loader.flush()
            savepoint.commit()
        except Exception as exc:  # noqa: BLE001
            savepoint.rollback()
            self.loader.rollback_to(point)
            if len(kept) == 1:
                line_no, rec = kept[0]
                self.report.reject(line_no, f"{_kind(rec)}: {_write_error(exc)}")
                return
            half = len(kept) // 2
            self._replay(kept[:half])
            self._replay(kept[half:])


def import_lines(store: Store, lines: Iterable[bytes | str], source: str = "import",
                 batch_size: int = 100_000, progress: Callable[[int], None] | None = None,
                 committed: Callable[[int, ImportReport, dict], None] | None = None
                 ) -> ImportReport:
    """Load JSON Lines; bad lines are reported with their number and reason, good ones land.

    `committed(lines_read, report, loaded_by_type)` is called after each batch commit."""
    report = ImportReport()
    began = clock()
    # Without the cyclic garbage collector while the lines load: a batch buffers 100,000
    # events (a tuple and a dict entry each) that survive until its write, and the
    # collections their allocations triggered traversed them again and again (a 1M-event
    # SQLite import: read 4.3 -> 3.2 s, write 5.7 -> 3.7 s of CPU). Each batch's commit
    # collects what it left (_Batch.commit).
    with gc_paused(), bulk_session(store) as session:
        loader = Loader(session, source=source, batch_size=10**12)
        batch = _Batch(session, loader, report)
        add_event = loader.add_event_line
        kept = batch.lines
        buf, ends, numbers = kept.buf, kept.ends, kept.numbers
        for line_no, raw in enumerate(lines, start=1):
            if progress is not None:
                progress(len(raw))
            if len(raw) > MAX_LINE_BYTES:
                report.reject(line_no, f"line longer than {MAX_LINE_BYTES} bytes")
                continue
            try:   # the common case: a valid event, typed in one pass (decode_event inlined)
                ev = decode(raw)
            except DECODE_ERRORS:
                ev = None
            if ev is not None and add_event(ev):
                if type(raw) is bytes:
                    buf += raw
                    ends.append(len(buf))
                    numbers.append(line_no)
                else:
                    kept.other.append((line_no, raw))
            elif not raw or raw.isspace():
                continue
            else:
                rec, reason = _parse(raw)
                if reason is not None:
                    report.reject(line_no, reason)
                    continue
                batch.add(line_no, rec)
            if loader.pending >= batch_size:
                batch.commit()
                kept = batch.lines
                buf, ends, numbers = kept.buf, kept.ends, kept.numbers
                if committed is not None:
                    committed(line_no, report, dict(loader.loaded))
        batch.commit()
        loader.finish()
        session.commit()
    report.spent("read", began)   # then less what the batches' writes and commits took
    for spent in (report.seconds, report.cpu_seconds):
        spent["read"] -= spent["write"] + spent["commit"]
    refreshing = clock()
    refresh_dirty(store)  # the accounts of batches too large to refresh inline
    report.spent("refresh", refreshing)
    report.by_type = dict(loader.loaded)
    report.loaded = sum(v for k, v in loader.loaded.items() if not k.endswith("_deleted"))
    report.new_events = loader.new_events
    report.touched_accounts = loader.touched_accounts
    report.errors.sort(key=lambda e: e["line"])
    return report
