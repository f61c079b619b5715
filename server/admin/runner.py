"""Background syncs: a queue of sync requests in the database, drained by a runner thread.

Requests come from "Connect", "Sync now", webhooks and the per-connector schedule. A runner
claims a connector's pending requests atomically (UPDATE ... WHERE claimed_at IS NULL), so
several processes can run one each without syncing a connector twice. The runner lives in
the web process (ACCOUNT360_SCHEDULER=web, the default) or in `account360 worker`
(ACCOUNT360_SCHEDULER=off on the web processes).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import typing as t
from datetime import timedelta

from sqlalchemy import desc, select, update

from server.admin.connections import Credentials, build, refresh_if_due
from server.admin.models import ConnectorConfig, SyncRequest
from server.models import utcnow

log = logging.getLogger(__name__)


def enqueue(store: t.Any, connector: str, reason: str, streams: list[str] | None = None,
            full: bool = False, detail: dict | None = None) -> int:
    with store.session() as s:
        req = SyncRequest(connector=connector, reason=reason, streams=streams, full=full,
                          detail=detail, requested_at=utcnow())
        s.add(req)
        s.flush()
        return req.id


def pending(store: t.Any, connector: str) -> list[SyncRequest]:
    with store.sessions() as s:
        return list(s.scalars(select(SyncRequest).where(
            SyncRequest.connector == connector, SyncRequest.finished_at.is_(None))
            .order_by(SyncRequest.id)))


class Runner:
    """Claims queued requests and runs each connector's sync in its own thread."""

    def __init__(self, store: t.Any, cfg: dict, credentials: Credentials,
                 workspace: t.Any = None, poll_seconds: float = 2.0) -> None:
        self.store = store
        self.cfg = cfg
        self.credentials = credentials
        self.workspace = workspace
        self.poll_seconds = poll_seconds
        self.worker_id = f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"[:100]
        self.threads: dict[str, threading.Thread] = {}
        self._stop = threading.Event()
        self._loop: threading.Thread | None = None

    # -- schedule --------------------------------------------------------------------
    def schedule_due(self) -> list[str]:
        """Queue a sync of every connected connector whose last run is older than its
        schedule; returns the connectors queued."""
        from server.models import SyncRun

        queued = []
        with self.store.sessions() as s:
            rows = list(s.scalars(select(ConnectorConfig).where(
                ConnectorConfig.enabled.is_(True), ConnectorConfig.sealed.is_not(None))))
            for row in rows:
                if row.schedule_minutes <= 0:
                    continue
                waiting = s.scalar(select(SyncRequest.id).where(
                    SyncRequest.connector == row.connector,
                    SyncRequest.finished_at.is_(None)).limit(1))
                if waiting:
                    continue
                last = s.scalar(select(SyncRun.started_at).where(
                    SyncRun.connector == row.connector).order_by(desc(SyncRun.id)).limit(1))
                due = last is None or utcnow() - last >= timedelta(
                    minutes=row.schedule_minutes)
                if due:
                    queued.append(row.connector)
        for name in queued:
            enqueue(self.store, name, "schedule")
        return queued

    # -- claiming and running ----------------------------------------------------------
    def claim(self, connector: str) -> list[int]:
        ids = [r.id for r in pending(self.store, connector) if r.claimed_at is None]
        got = []
        with self.store.session() as s:
            for rid in ids:
                res = s.execute(update(SyncRequest).where(
                    SyncRequest.id == rid, SyncRequest.claimed_at.is_(None)).values(
                    claimed_at=utcnow(), claimed_by=self.worker_id)
                    .execution_options(synchronize_session=False))
                if res.rowcount == 1:
                    got.append(rid)
        return got

    def tick(self) -> list[threading.Thread]:
        """One pass: queue scheduled syncs, start a thread per connector with claimed work."""
        try:
            self.schedule_due()
        except Exception:  # noqa: BLE001
            log.exception("scheduler pass failed")
        started = []
        with self.store.sessions() as s:
            names = sorted(set(s.scalars(select(SyncRequest.connector).where(
                SyncRequest.claimed_at.is_(None)))))
        for name in names:
            th = self.threads.get(name)
            if th is not None and th.is_alive():
                continue
            ids = self.claim(name)
            if not ids:
                continue
            th = threading.Thread(target=self.run_claimed, args=(name, ids),
                                  name=f"a360-sync-{name}", daemon=True)
            self.threads[name] = th
            th.start()
            started.append(th)
        return started

    def run_claimed(self, name: str, ids: list[int]) -> dict | None:
        from connectors.errors import ConnectorError
        from server.admin.checks import explain
        from server.sync import SyncBusyError, run_sync

        with self.store.sessions() as s:
            reqs = [s.get(SyncRequest, i) for i in ids]
        streams: list[str] | None = []
        for r in reqs:
            if r.streams is None or streams is None:
                streams = None
            else:
                streams.extend(x for x in r.streams if x not in streams)
        full = any(r.full for r in reqs)
        report, error = None, None
        conn = None
        try:
            refresh_if_due(self.cfg, self.credentials, name)
            conn = build(self.cfg, self.credentials, name, self.workspace)
            valid = set(conn.stream_names())
            chosen = None if streams is None else [x for x in streams if x in valid] or None
            report = run_sync(self.store, conn, chosen, full=full,
                              progress=self.progress_writer(name))
            if report["status"] != "success":
                error = report.get("error") or _first_error(report)
        except SyncBusyError as exc:
            error = str(exc)
        except ConnectorError as exc:
            error = explain(exc)
        except Exception as exc:  # noqa: BLE001 - recorded on the card, never crashes the runner
            log.exception("%s: background sync failed", name)
            error = f"{type(exc).__name__}: the sync stopped; see the server log"
        finally:
            if conn is not None:
                try:
                    conn.close()
                except Exception:  # noqa: BLE001
                    pass
            with self.store.session() as s:
                s.execute(update(SyncRequest).where(SyncRequest.id.in_(ids)).values(
                    finished_at=utcnow(), run_id=report["id"] if report else None)
                    .execution_options(synchronize_session=False))
            self.credentials.set_error(name, error)
        return report

    def progress_writer(self, name: str):
        """A run_sync progress callback that records when a stream starts, so the card
        shows it running before its first page lands (pages are recorded by run_sync)."""
        from server.models import SyncRun

        def write(event: str, stream: str, counts: dict) -> None:
            if event != "start":
                return
            try:
                with self.store.session() as s:
                    run = s.scalar(select(SyncRun).where(
                        SyncRun.connector == name, SyncRun.status == "running")
                        .order_by(desc(SyncRun.id)).limit(1))
                    if run is not None:
                        streams = {k: dict(v) for k, v in (run.streams or {}).items()}
                        streams[stream] = dict(counts)
                        run.streams = streams
            except Exception:  # noqa: BLE001 - progress display must never stop a sync
                log.debug("could not record the start of %s/%s", name, stream)

        return write

    # -- loop ------------------------------------------------------------------------
    def start(self) -> None:
        if self._loop is not None and self._loop.is_alive():
            return
        self._stop.clear()
        self._loop = threading.Thread(target=self.loop, name="a360-runner", daemon=True)
        self._loop.start()

    def loop(self) -> None:
        log.info("sync runner started (%s)", self.worker_id)
        while not self._stop.is_set():
            try:
                self.tick()
            except Exception:  # noqa: BLE001
                log.exception("sync runner pass failed")
            self._stop.wait(self.poll_seconds)

    def stop(self, wait: float = 5.0) -> None:
        self._stop.set()
        for th in [self._loop, *self.threads.values()]:
            if th is not None and th.is_alive():
                th.join(wait)

    def wait_idle(self, timeout: float = 30.0) -> None:
        for th in list(self.threads.values()):
            th.join(timeout)


def _first_error(report: dict) -> str | None:
    for name, counts in (report.get("streams") or {}).items():
        for err in counts.get("errors") or []:
            return f"{name}: {err.get('message')}"
    return None
