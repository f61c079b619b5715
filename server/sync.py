"""The sync engine: runs a connector's streams and lands every page through the record path.

Each page is ONE transaction: its records go through server.ingest.Loader (the same code
as the JSONL import), its deletions are applied, and the stream's cursor state is saved
with it. A crash, even `kill -9`, loses nothing and duplicates nothing: a rerun resumes
from the last committed page, and the record path upserts by (type, id).
Every run is recorded in `sync_runs` (per-stream counts, skipped records with their
vendor ids, errors) and served at GET /api/v1/syncs.
"""

from __future__ import annotations

import copy
import logging
import os
import queue
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Integer, String, Text, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from server import models as m
from server.db import Store
from server.ingest import Loader
from server.records import RecordError

log = logging.getLogger(__name__)

#: A running run on another host whose heartbeat is older than this is considered dead.
STALE_AFTER = timedelta(minutes=30)
MAX_SAMPLES = 50
TOP_UNMAPPED = 20
MAX_ERRORS = 20
#: Pages a stream may fetch ahead of the one being landed.
PREFETCH_PAGES = 2

Progress = Callable[[str, str, dict], None]


class SyncRun(m.Base):
    """One `account360 sync` of one connector: when, how it ended, counts per stream."""

    __tablename__ = "sync_runs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    connector: Mapped[str] = mapped_column(String(40), index=True)
    status: Mapped[str] = mapped_column(String(20))
    full: Mapped[bool] = mapped_column(Boolean, default=False)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    host: Mapped[str | None] = mapped_column(String(255))
    pid: Mapped[int | None] = mapped_column(Integer)
    streams: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    error: Mapped[str | None] = mapped_column(Text)


class SyncState(m.Base):
    """The resumable cursor of one stream, saved in the transaction of the page it covers."""

    __tablename__ = "sync_state"
    connector: Mapped[str] = mapped_column(String(40), primary_key=True)
    stream: Mapped[str] = mapped_column(String(100), primary_key=True)
    state: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    run_id: Mapped[int | None] = mapped_column(Integer)


class SyncBusyError(RuntimeError):
    """Another live process is syncing the same connector."""


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _aware(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value


def new_counts() -> dict:
    return {"status": "pending", "records": 0, "skipped": 0, "deleted": 0, "pages": 0,
            "by_type": {}, "unmapped": 0, "unmapped_keys": {}, "skipped_samples": [],
            "errors": [], "started_at": None, "finished_at": None}


#: Ids of the runs going on in this process (the service runs syncs in threads).
_ACTIVE: set[int] = set()


def _pid_alive(pid: int | None, run_id: int) -> bool:
    if not pid:
        return False
    if pid == os.getpid():
        return run_id in _ACTIVE
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _is_dead(run: SyncRun) -> bool:
    if run.host == socket.gethostname():
        return not _pid_alive(run.pid, run.id)
    beat = _aware(run.heartbeat_at or run.started_at)
    return beat is None or _now() - beat > STALE_AFTER


def start_run(store: Store, connector: str, streams: Iterable[str], full: bool) -> int:
    """Record a new running run; earlier runs whose process died are marked interrupted."""
    with store.session() as s:
        for run in s.scalars(select(SyncRun).where(SyncRun.connector == connector,
                                                   SyncRun.status == "running")):
            if not _is_dead(run):
                raise SyncBusyError(f"a {connector} sync is already running (run {run.id}, "
                                    f"pid {run.pid} on {run.host})")
            run.status = "interrupted"
            run.finished_at = run.heartbeat_at or run.started_at
            run.error = ("the process stopped before the run finished; the next run resumed "
                         "from the last saved page")
            for counts in (run.streams or {}).values():
                if counts.get("status") == "running":
                    counts["status"] = "interrupted"
            run.streams = dict(run.streams or {})
        run = SyncRun(connector=connector, status="running", full=full, started_at=_now(),
                      heartbeat_at=_now(), host=socket.gethostname(), pid=os.getpid(),
                      streams={name: new_counts() for name in streams})
        s.add(run)
        s.flush()
        _ACTIVE.add(run.id)
        return run.id


def load_state(store: Store, connector: str, stream: str) -> dict | None:
    with store.sessions() as s:
        row = s.get(SyncState, (connector, stream))
        return None if row is None else row.state


def _save_state(s: Session, connector: str, stream: str, state: dict | None, run_id: int) -> None:
    row = s.get(SyncState, (connector, stream))
    if row is None:
        s.add(SyncState(connector=connector, stream=stream, state=state, updated_at=_now(),
                        run_id=run_id))
    else:
        row.state = state
        row.updated_at = _now()
        row.run_id = run_id


def _save_run(s: Session, run_id: int, streams: dict, **values: Any) -> None:
    s.execute(update(SyncRun).where(SyncRun.id == run_id)
              .values(streams=_json_copy(streams), heartbeat_at=_now(), **values)
              .execution_options(synchronize_session=False))


def _json_copy(streams: dict) -> dict:
    return {k: dict(v) for k, v in streams.items()}


def store_links(session: Session, system: str) -> dict[str, dict[str, str]]:
    """{object_type: {crm id: local id}} for a CRM: linked accounts and written-back tasks."""
    links: dict[str, dict[str, str]] = {}
    for rid, otype, account_id in session.execute(
            select(m.CrmLink.record_id, m.CrmLink.object_type, m.CrmLink.account_id)
            .where(m.CrmLink.system == system, m.CrmLink.object_type == "account")):
        links.setdefault(otype, {})[rid] = account_id
    links["task"] = dict(session.execute(
        select(m.Task.crm_id, m.Task.id).where(m.Task.crm_system == system,
                                                m.Task.crm_id.is_not(None))).all())
    return links


def _vendor_id(rec: Any) -> str | None:
    if not isinstance(rec, dict):
        return None
    crm = rec.get("crm")
    if isinstance(crm, dict) and crm.get("id"):
        return str(crm["id"])
    for key in ("vendor_id", "id"):
        if rec.get(key) is not None:
            return str(rec[key])
    return None


def _land(loader: Loader, page: Any, counts: dict, unmapped: Counter) -> None:
    """Add a page's records and deletions to the loader and flush them (no commit)."""
    before = dict(loader.loaded)
    skipped = 0
    for rec in page.records:
        try:
            loader.add(rec)
        except RecordError as exc:
            skipped += 1
            _sample(counts, {"vendor_id": _vendor_id(rec),
                             "type": rec.get("type") if isinstance(rec, dict) else None,
                             "reason": exc.reason})
    for rtype, rid in page.deletions:
        if loader.delete(rtype, rid):
            counts["deleted"] += 1
    loader.flush()
    for item in page.skipped:
        skipped += 1
        _sample(counts, item)
    counts["skipped"] += skipped
    counts["records"] += len(page.records) - (skipped - len(page.skipped))
    by_type = counts["by_type"]
    for rtype, n in loader.loaded.items():
        if not rtype.endswith("_deleted") and n != before.get(rtype, 0):
            by_type[rtype] = by_type.get(rtype, 0) + n - before.get(rtype, 0)
    if page.unmapped:
        unmapped.update(page.unmapped)
        counts["unmapped"] = sum(unmapped.values())
        counts["unmapped_keys"] = dict(unmapped.most_common(TOP_UNMAPPED))
    counts["pages"] += 1


def _sample(counts: dict, item: dict) -> None:
    if len(counts["skipped_samples"]) < MAX_SAMPLES:
        counts["skipped_samples"].append(item)


class _Prefetch:
    """Runs a stream's page generator in a thread, `depth` pages ahead of the landing.

    Vendor calls (network waits, JSON decoding) overlap with the database work of the
    previous page. Each page is snapshotted when it is yielded, so a generator that
    reuses its state dict or record list between pages is seen exactly as the engine
    would see it without prefetching. A vendor error surfaces after the pages before it.
    """

    def __init__(self, pages: Iterator, depth: int = PREFETCH_PAGES) -> None:
        self.pages = pages
        self.queue: queue.Queue = queue.Queue(maxsize=depth)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._produce, name="sync-prefetch", daemon=True)
        self.thread.start()

    def _put(self, item: tuple) -> bool:
        while not self.stop.is_set():
            try:
                self.queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _produce(self) -> None:
        try:
            for page in self.pages:
                snap = type(page)(list(page.records), copy.deepcopy(page.state),
                                  list(page.deletions), list(page.skipped),
                                  Counter(page.unmapped))
                if not self._put(("page", snap)):
                    return
            self._put(("end", None))
        except BaseException as exc:  # handed to the consumer, raised there
            self._put(("error", exc))
        finally:
            close = getattr(self.pages, "close", None)
            if close is not None and self.stop.is_set():
                close()

    def __iter__(self) -> Iterator:
        while True:
            kind, value = self.queue.get()
            if kind == "page":
                yield value
            elif kind == "end":
                return
            else:
                raise value

    def close(self) -> None:
        self.stop.set()
        self.thread.join(timeout=30)


def _run_stream(store: Store, connector: Any, stream: Any, state: dict | None, run_id: int,
                report: dict, counts: dict, notify: Progress) -> None:
    """Land every page of one stream, each in its own transaction with the stream's state.

    One Loader (and session) serves the whole stream, so what it knows about accounts is
    read once, not once per page; the session commits after every page.
    """
    name = stream.name
    unmapped: Counter = Counter()
    began = time.monotonic()
    with store.sessions() as s:
        loader = Loader(s, source=connector.name)
        pages = _Prefetch(stream.pages(state))
        try:
            for page in pages:
                before = copy.deepcopy(counts), Counter(unmapped)
                try:
                    _land(loader, page, counts, unmapped)
                    _save_state(s, connector.name, name, page.state, run_id)
                    _save_run(s, run_id, report)
                    s.commit()
                except BaseException:
                    s.rollback()
                    counts.clear()
                    counts.update(before[0])  # the page was rolled back: so are its counts
                    raise
                log.info("%s/%s: page %d landed; %d records so far (%d skipped, %d deleted) "
                         "in %.1fs", connector.name, name, counts["pages"], counts["records"],
                         counts["skipped"], counts["deleted"], time.monotonic() - began)
                notify("page", name, counts)
        finally:
            pages.close()
            if counts["pages"] and s.is_active:
                try:
                    loader.finish()  # source freshness, for the pages that landed
                    s.commit()
                except Exception:  # never hide the error that stopped the stream
                    s.rollback()
                    log.exception("%s/%s: could not record freshness", connector.name, name)


def run_sync(store: Store, connector: Any, streams: list[str] | None = None, full: bool = False,
             progress: Progress | None = None) -> dict:
    """Sync the connector's streams (all by default); returns the run report.

    `full` ignores saved cursors and re-reads everything (records are upserted, so it is
    safe). `progress(event, stream, counts)` is called with "start", "page" and "end".
    """
    names = list(streams) if streams else connector.stream_names()
    for name in names:
        connector.get_stream(name)  # unknown names fail before anything starts
    run_id = start_run(store, connector.name, names, full)
    try:
        return _run(store, connector, names, full, progress, run_id)
    finally:
        _ACTIVE.discard(run_id)


def _run(store: Store, connector: Any, names: list[str], full: bool,
         progress: Progress | None, run_id: int) -> dict:
    from connectors.errors import AuthError, ConfigError, ConnectorError, RateLimitError

    if getattr(connector, "store", None) is None:
        connector.store = store      # usage connectors read account domains for attribution
    with store.sessions() as s:
        connector.bind(store_links(s, connector.name))
    report: dict[str, dict] = {name: new_counts() for name in names}
    status, run_error = "success", None
    notify = progress or (lambda *_: None)
    log.info("%s: sync run %d started (streams: %s%s)", connector.name, run_id,
             ", ".join(names), ", full" if full else "")
    try:
        for name in names:
            counts = report[name]
            counts["status"], counts["started_at"] = "running", _now().isoformat()
            notify("start", name, counts)
            state = None if full else load_state(store, connector.name, name)
            stream = connector.get_stream(name)
            try:
                _run_stream(store, connector, stream, state, run_id, report, counts, notify)
                counts["status"] = "success"
            except ConnectorError as exc:
                exc.stream = exc.stream or name
                exc.connector = exc.connector or connector.name
                counts["status"] = "failed"
                counts["errors"].append(exc.to_dict())
                log.error("%s/%s: stream stopped: %s", connector.name, name, exc)
                stop = isinstance(exc, (AuthError, ConfigError)) or (
                    isinstance(exc, RateLimitError) and exc.quota_exhausted)
                if stop:
                    status, run_error = "failed", str(exc)
                else:
                    status = "partial"
            finally:
                counts["finished_at"] = _now().isoformat()
                notify("end", name, counts)
                with store.session() as s:
                    _save_run(s, run_id, report)
            if status == "failed":
                for rest in names[names.index(name) + 1:]:
                    report[rest]["status"] = "not_run"
                break
    except BaseException as exc:
        interrupted = isinstance(exc, KeyboardInterrupt)
        for counts in report.values():
            if counts["status"] == "running":
                counts["status"] = "interrupted" if interrupted else "failed"
                counts["errors"].append({"type": type(exc).__name__, "message": str(exc)[:500]})
        with store.session() as s:
            _save_run(s, run_id, report, status="interrupted" if interrupted else "failed",
                      finished_at=_now(), error=f"{type(exc).__name__}: {exc}"[:2000])
        log.error("%s: sync run %d stopped by %s", connector.name, run_id, type(exc).__name__)
        raise
    with store.session() as s:
        _save_run(s, run_id, report, status=status, finished_at=_now(), error=run_error)
    log.info("%s: sync run %d finished: %s", connector.name, run_id, status)
    with store.sessions() as s:
        return run_json(s.get(SyncRun, run_id))


def run_json(run: SyncRun) -> dict:
    """A run as JSON-ready dict."""
    streams = run.streams or {}
    totals = {k: sum(c.get(k, 0) for c in streams.values())
              for k in ("records", "skipped", "deleted", "unmapped", "pages")}
    return {"id": run.id, "connector": run.connector, "status": run.status, "full": run.full,
            "started_at": _aware(run.started_at), "finished_at": _aware(run.finished_at),
            "heartbeat_at": _aware(run.heartbeat_at), "totals": totals, "streams": streams,
            "error": run.error}


def list_runs(session: Session, connector: str | None = None, status: str | None = None,
              limit: int = 20, before: int | None = None) -> list[dict]:
    """Recent runs, newest first."""
    q = select(SyncRun).order_by(SyncRun.id.desc()).limit(limit)
    if connector:
        q = q.where(SyncRun.connector == connector)
    if status:
        q = q.where(SyncRun.status == status)
    if before:
        q = q.where(SyncRun.id < before)
    return [run_json(r) for r in session.scalars(q)]


def stream_states(session: Session, connector: str | None = None) -> list[dict]:
    """Where each stream's cursor stands."""
    q = select(SyncState).order_by(SyncState.connector, SyncState.stream)
    if connector:
        q = q.where(SyncState.connector == connector)
    return [{"connector": r.connector, "stream": r.stream, "state": r.state,
             "updated_at": _aware(r.updated_at), "run_id": r.run_id} for r in session.scalars(q)]


def reset_state(store: Store, connector: str, streams: Iterable[str] | None = None) -> int:
    """Forget saved cursors (the next run starts from the beginning)."""
    with store.session() as s:
        rows = s.scalars(select(SyncState).where(SyncState.connector == connector)).all()
        wanted = set(streams) if streams else None
        n = 0
        for row in rows:
            if wanted is None or row.stream in wanted:
                s.delete(row)
                n += 1
        return n
