"""Sync-run records: the `sync_runs` history, the per-stream cursors in `sync_state`.

A run is recorded when it starts; a run whose process died is marked interrupted by the
next one. Each stream's counts are saved with every page, so GET /api/v1/syncs and the
admin cards show a run as it goes.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from server.db import Store
from server.models import SyncRun, SyncState, utcnow

#: A running run on another host whose heartbeat is older than this is considered dead.
STALE_AFTER = timedelta(minutes=30)


class SyncBusyError(RuntimeError):
    """Another live process is syncing the same connector."""


def new_counts() -> dict:
    return {"status": "pending", "records": 0, "skipped": 0, "deleted": 0, "pages": 0,
            "parked": 0, "unparked": 0,
            "by_type": {}, "unmapped": 0, "unmapped_keys": {}, "skipped_samples": [],
            "errors": [], "started_at": None, "finished_at": None}


#: Ids of the runs going on in this process (the service runs syncs in threads).
ACTIVE: set[int] = set()


def _pid_alive(pid: int | None, run_id: int) -> bool:
    if not pid:
        return False
    if pid == os.getpid():
        return run_id in ACTIVE
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _is_dead(run: SyncRun, exclusive: bool = False) -> bool:
    if run.host == socket.gethostname():
        return not _pid_alive(run.pid, run.id)
    if exclusive:
        return True
    beat = run.heartbeat_at or run.started_at
    return beat is None or utcnow() - beat > STALE_AFTER


def start_run(store: Store, connector: str, streams: Iterable[str], full: bool,
              exclusive: bool = False) -> int:
    """Record a new running run; earlier runs whose process died are marked interrupted."""
    with store.session() as s:
        for run in s.scalars(select(SyncRun).where(SyncRun.connector == connector,
                                                   SyncRun.status == "running")):
            if not _is_dead(run, exclusive):
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
        run = SyncRun(connector=connector, status="running", full=full, started_at=utcnow(),
                      heartbeat_at=utcnow(), host=socket.gethostname(), pid=os.getpid(),
                      streams={name: new_counts() for name in streams})
        s.add(run)
        s.flush()
        ACTIVE.add(run.id)
        return run.id


def load_state(store: Store, connector: str, stream: str) -> dict | None:
    with store.sessions() as s:
        row = s.get(SyncState, (connector, stream))
        return None if row is None else row.state


def save_state(s: Session, connector: str, stream: str, state: dict | None, run_id: int) -> None:
    row = s.get(SyncState, (connector, stream))
    if row is None:
        s.add(SyncState(connector=connector, stream=stream, state=state, updated_at=utcnow(),
                        run_id=run_id))
    else:
        row.state = state
        row.updated_at = utcnow()
        row.run_id = run_id


def save_run(s: Session, run_id: int, streams: dict, **values: Any) -> None:
    s.execute(update(SyncRun).where(SyncRun.id == run_id)
              .values(streams={k: dict(v) for k, v in streams.items()}, heartbeat_at=utcnow(),
                      **values)
              .execution_options(synchronize_session=False))


def run_json(run: SyncRun) -> dict:
    """A run as JSON-ready dict."""
    streams = run.streams or {}
    totals = {k: sum(c.get(k, 0) for c in streams.values())
              for k in ("records", "skipped", "deleted", "unmapped", "pages", "parked",
                        "unparked")}
    parked = dict(run.parked or {})
    totals["parked_waiting"] = sum(parked.values())
    return {"id": run.id, "connector": run.connector, "status": run.status, "full": run.full,
            "started_at": run.started_at, "finished_at": run.finished_at,
            "heartbeat_at": run.heartbeat_at, "totals": totals, "streams": streams,
            "parked": parked, "error": run.error}


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
             "updated_at": r.updated_at, "run_id": r.run_id} for r in session.scalars(q)]


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
