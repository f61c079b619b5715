"""The task functions every queue back-end runs: `fn(rt, attempt, **kwargs)`.

A task raises to fail its attempt; the queue retries it with backoff (server.jobs.specs)
until its last attempt. `attempt.final` tells a task it will not be retried, so it can
record a final outcome (e.g. close the sync requests it served)."""

from __future__ import annotations

import logging
import os
import socket
import typing as t
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import desc, select, update

from server.models import utcnow

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    """What tasks run with: the store, configuration, connector credentials, settings."""

    store: t.Any
    cfg: dict
    credentials: t.Any
    workspace: t.Any = None

    @property
    def worker_id(self) -> str:
        return f"{socket.gethostname()}:{os.getpid()}"[:100]


@dataclass(frozen=True)
class Attempt:
    number: int        # 1 for the first attempt
    of: int            # attempts in all

    @property
    def final(self) -> bool:
        return self.number >= self.of


class JobFailed(RuntimeError):
    """The attempt failed in a way already recorded (e.g. on the connector card)."""


# -- syncs -------------------------------------------------------------------------------
def sync(rt: Runtime, attempt: Attempt, connector: str) -> dict | None:
    """Run the connector's queued sync requests (merged: streams, full) as one sync run.

    The job's lock keeps one sync per connector across all workers, so every unfinished
    request is this job's, also those a killed worker had claimed (the run resumes from the
    last saved page)."""
    from connectors.errors import ConnectorError
    from server.admin.checks import explain
    from server.admin.connections import build, refresh_if_due
    from server.admin.models import SyncRequest
    from server.sync import SyncBusyError, run_sync

    store = rt.store
    with store.session() as s:
        reqs = list(s.scalars(select(SyncRequest).where(
            SyncRequest.connector == connector, SyncRequest.finished_at.is_(None))
            .order_by(SyncRequest.id)))
        for r in reqs:
            r.claimed_at, r.claimed_by = utcnow(), rt.worker_id
        ids = [r.id for r in reqs]
        streams: list[str] | None = []
        for r in reqs:
            if r.streams is None or streams is None:
                streams = None
            else:
                streams.extend(x for x in r.streams if x not in streams)
        full = any(r.full for r in reqs)
    if not ids:
        return None
    report, error, conn, partial = None, None, None, False
    try:
        refresh_if_due(rt.cfg, rt.credentials, connector)
        conn = build(rt.cfg, rt.credentials, connector, rt.workspace)
        valid = set(conn.stream_names())
        chosen = None if streams is None else [x for x in streams if x in valid] or None
        report = run_sync(store, conn, chosen, full=full, progress=progress_writer(store, connector),
                          exclusive=True)
        if report["status"] != "success":
            error = report.get("error") or _first_error(report)
            # Streams that landed keep their work and the failing ones their cursors: the
            # next scheduled sync reads those again, so a lasting cause (a missing scope)
            # is not retried attempt after attempt.
            partial = report["status"] == "partial"
    except SyncBusyError as exc:
        error = str(exc)
    except ConnectorError as exc:
        error = explain(exc)
    except Exception as exc:  # noqa: BLE001 - recorded on the card
        log.exception("%s: background sync failed", connector)
        error = f"{type(exc).__name__}: the sync stopped; see the server log"
    finally:
        if conn is not None:
            try:
                conn.close()
            except Exception:  # noqa: BLE001
                pass
    if error and not partial and not attempt.final:
        rt.credentials.set_error(connector, f"{error} (attempt {attempt.number} of "
                                            f"{attempt.of}; retrying)")
        raise JobFailed(error)
    with store.session() as s:
        s.execute(update(SyncRequest).where(SyncRequest.id.in_(ids)).values(
            finished_at=utcnow(), run_id=report["id"] if report else None)
            .execution_options(synchronize_session=False))
    if partial:
        rt.credentials.set_error(connector, f"{error} (partial run; the next sync reads "
                                            "the failed streams again)")
    else:
        rt.credentials.set_error(connector, error and (
            f"{error} (attempt {attempt.number} of {attempt.of}; gave up)"
            if attempt.of > 1 else error))
    if error and not partial:
        raise JobFailed(error)   # the queue records the job as failed
    after_playbooks(rt, "sync")
    return report


def after_playbooks(rt: Runtime, trigger: str) -> None:
    """Queue a playbooks run when a playbooks file is configured."""
    if not rt.cfg.get("PLAYBOOKS"):
        return
    from server.jobs.queue import defer

    with rt.store.session() as s:
        defer(s, "playbooks.run", store=rt.store, trigger=trigger)


def playbooks_run(rt: Runtime, attempt: Attempt, trigger: str = "daily") -> dict | None:
    """Fire the playbooks for today (idempotent: once per episode; due retries sent)."""
    if not rt.cfg.get("PLAYBOOKS"):
        return None
    from server.playbooks.service import Env, playbooks_of, run
    from server.rows.refresh import today
    from server.secrets import Vault

    vault = Vault.from_config(rt.cfg)
    out = run(Env(rt.store, rt.cfg, vault), playbooks_of(rt.cfg, rt.store, vault), today(),
              trigger=trigger)
    return {"run_id": out.get("run_id")} if isinstance(out, dict) else None


def playbooks_retry(rt: Runtime, attempt: Attempt) -> int:
    """Send the failed Slack and SMTP actions whose retry time has come."""
    from server.playbooks.service import Env, retry_due
    from server.secrets import Vault

    return retry_due(Env(rt.store, rt.cfg, Vault.from_config(rt.cfg)))


def playbooks_digest(rt: Runtime, attempt: Attempt, timestamp: int | None = None) -> int:
    """The daily digest per CSM, when the playbooks file has a [digest] table."""
    from server.playbooks.scheduled import digest_job

    return digest_job(rt.store, rt.cfg)


def progress_writer(store: t.Any, name: str):
    """A run_sync progress callback that records when a stream starts, so the card shows it
    running before its first page lands (pages are recorded by run_sync)."""
    from server.models import SyncRun

    def write(event: str, stream: str, counts: dict) -> None:
        if event != "start":
            return
        try:
            with store.session() as s:
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


def _first_error(report: dict) -> str | None:
    for name, counts in (report.get("streams") or {}).items():
        for err in counts.get("errors") or []:
            return f"{name}: {err.get('message')}"
    return None


def due_connectors(store: t.Any) -> list[str]:
    """Connected connectors whose last run is older than their schedule and that have no
    sync waiting."""
    from server.admin.models import ConnectorConfig, SyncRequest
    from server.models import SyncRun

    due = []
    with store.sessions() as s:
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
            if last is None or utcnow() - last >= timedelta(minutes=row.schedule_minutes):
                due.append(row.connector)
    return due


def schedule(rt: Runtime, attempt: Attempt, timestamp: int | None = None) -> list[str]:
    """The periodic check: queue a sync of every connector whose schedule is due."""
    from server.admin.runner import enqueue

    queued = due_connectors(rt.store)
    for name in queued:
        enqueue(rt.store, name, "schedule")
    return queued


# -- metrics rows ------------------------------------------------------------------------
def metrics_daily(rt: Runtime, attempt: Attempt, day: str | None = None,
                  timestamp: int | None = None) -> int:
    """The daily history rows of every account (idempotent); message text past the
    retention period is erased first."""
    from server.message_ingest import purge_text
    from server.models import utcnow
    from server.rows.history import daily

    with rt.store.session() as s:
        purge_text(s, rt.workspace.messages, utcnow())
        n = daily(s, rt.workspace, date.fromisoformat(day) if day else None)
    log.info("daily metrics: history rows of %d accounts", n)
    after_playbooks(rt, "daily")
    from server.backtest.stored import request_default

    with rt.store.session() as s:    # the health model page's backtest of the new day
        request_default(s, rt.store, _settings(rt), "metrics.daily",
                        int(rt.cfg.get("PREVIEW_INLINE_ACCOUNTS", 2000)))
    return n


def metrics_backfill(rt: Runtime, attempt: Attempt, days: int, end: str | None = None,
                     restart: bool = False) -> dict:
    """The daily history of the past `days` days (resumable: a retry continues)."""
    from server.rows.history import backfill

    return backfill(rt.store, rt.workspace, days, date.fromisoformat(end) if end else None,
                    None, restart)


def metrics_refresh(rt: Runtime, attempt: Attempt) -> int:
    from server.rows.refresh import refresh

    with rt.store.session() as s:
        return refresh(s, None, rt.workspace)


def account_refresh(rt: Runtime, attempt: Attempt, account_id: str,
                    requested_at: str | None = None) -> dict:
    """One account's CRM records by record id (no cursor moves), unless a fetch finished
    after it was asked for; the outcome is on the account's refresh row."""
    from datetime import datetime

    from server.admin.connections import build
    from server.services.refresh import refresh

    minutes = float(rt.cfg.get("REFRESH_MAX_AGE_MINUTES") or 15)
    since = datetime.fromisoformat(requested_at) if requested_at else None
    return refresh(rt.store, account_id,
                   lambda system: build(rt.cfg, rt.credentials, system, rt.workspace),
                   timedelta(minutes=minutes), force=True, since=since)


def import_job(rt: Runtime, attempt: Attempt, import_id: int) -> dict:
    """A large API import: load its spooled body (server.services.imports)."""
    from server.services.imports import run_import, stopped

    try:
        return run_import(rt.store, import_id)
    except Exception as exc:
        log.exception("import %d stopped", import_id)
        stopped(rt.store, import_id, f"{type(exc).__name__}: the import stopped; "
                + ("gave up" if attempt.final else "it will be retried"), attempt.final)
        raise


def settings_preview(rt: Runtime, attempt: Attempt, run_id: int) -> str:
    """A settings preview requested on the health model page (server.backtest.runs)."""
    from server.backtest.runs import run

    return run(rt.store, rt.workspace, run_id)


def _settings(rt: Runtime) -> t.Any:
    """The workspace settings now in force (a version applied since the worker started)."""
    from server.settings_history import from_version, latest

    with rt.store.sessions() as s:
        row = latest(s)
        return rt.workspace if row is None else from_version(row)


def backtest_run(rt: Runtime, attempt: Attempt, run_id: int) -> str:
    """The health model page's stored backtest (server.backtest.stored)."""
    from server.backtest.stored import run

    return run(rt.store, _settings(rt), run_id)


def north_star_rollups(rt: Runtime, attempt: Attempt) -> int:
    """The North Star month rollups of every stale account (server.services.north_star)."""
    from server.services.north_star import rebuild_stale

    return rebuild_stale(rt.store)


FUNCTIONS: dict[str, t.Callable[..., t.Any]] = {
    "sync": sync, "schedule": schedule, "metrics.daily": metrics_daily,
    "metrics.backfill": metrics_backfill, "metrics.refresh": metrics_refresh,
    "account.refresh": account_refresh, "import": import_job, "playbooks.run": playbooks_run,
    "playbooks.digest": playbooks_digest, "playbooks.retry": playbooks_retry,
    "settings.preview": settings_preview, "backtest.run": backtest_run,
    "north_star.rollups": north_star_rollups,
}
