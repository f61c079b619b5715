"""What the Connectors page shows for each connector: connection state, the latest run with
per-stream progress, queued syncs and record counts."""

from __future__ import annotations

from sqlalchemy import desc, select

from server import models as m
from server.admin import connections as c
from server.admin.models import SyncRequest


def _latest_runs(store) -> dict[str, dict]:
    from server.models import SyncRun
    from server.sync import run_json

    out: dict[str, dict] = {}
    with store.sessions() as s:
        for run in s.scalars(select(SyncRun).order_by(desc(SyncRun.id)).limit(200)):
            out.setdefault(run.connector, run_json(run))
    return out


def _pending(store) -> dict[str, int]:
    with store.sessions() as s:
        out: dict[str, int] = {}
        for r in s.scalars(select(SyncRequest).where(SyncRequest.finished_at.is_(None))):
            out[r.connector] = out.get(r.connector, 0) + 1
        return out


def _jobs(store) -> dict[str, dict]:
    from server.jobs.queue import sync_queue

    with store.sessions() as s:
        return sync_queue(s, store)


def _retry(job: dict | None, of: int) -> dict | None:
    """The sync job's attempts when it failed at least once and is waiting or gave up."""
    if not job or not job["attempts"] or job["status"] not in ("todo", "doing", "failed"):
        return None
    return {"attempts": job["attempts"], "of": of, "status": job["status"],
            "next_attempt_at": job["next_attempt_at"]}


def _records(store) -> dict[str, int]:
    with store.sessions() as s:
        return {f.source: f.records for f in s.scalars(select(m.SourceFreshness))}


def _status(connected: bool, row, run: dict | None, waiting: int) -> str:
    if not connected:
        return "not connected"
    if run and run["status"] == "running":
        return "syncing"
    if waiting and not row.last_error:   # a failed sync waiting for its retry shows the error
        return "syncing"
    if row.last_error or (run and run["status"] in ("failed", "partial", "interrupted")):
        return "error"
    return "connected"


def _stream_card(name: str, counts: dict) -> dict:
    errors = counts.get("errors") or []
    scopes: list[str] = list(counts.get("missing_scopes") or [])  # token info, at the start
    for err in errors:
        scopes += [x for x in err.get("missing_scopes") or [] if x not in scopes]
    first = errors[0] if errors else {}
    return {"name": name, "status": counts.get("status"), "records": counts.get("records", 0),
            "pages": counts.get("pages", 0), "parked": counts.get("parked", 0),
            "error": first.get("text") or first.get("message"), "missing_scopes": scopes}


def _run_card(run: dict | None) -> dict | None:
    if not run:
        return None
    streams = [_stream_card(name, counts) for name, counts in run["streams"].items()]
    done = sum(1 for s in streams if s["status"] not in ("pending", "running"))
    missing = [{"stream": s["name"], "scopes": s["missing_scopes"]} for s in streams
               if s["missing_scopes"]]
    return {"id": run["id"], "status": run["status"], "started_at": run["started_at"],
            "finished_at": run["finished_at"], "totals": run["totals"],
            "parked": run.get("parked") or {},
            "streams": streams, "done": done, "total": len(streams),
            "missing_scopes": missing}


def cards(adm, store, names: list[str] | None = None) -> list[dict]:
    """One card per connector (all registered ones by default)."""
    from connectors.registry import available_connectors, get_connector

    rows = adm.credentials.rows()
    runs = _latest_runs(store)
    waiting = _pending(store)
    records = _records(store)
    jobs = _jobs(store)
    from server.jobs.specs import max_attempts, spec

    attempts = max_attempts(spec("sync"), adm.cfg)
    out = []
    for name in names or available_connectors():
        cls = get_connector(name)
        row = rows.get(name)
        connected = bool(row and row.sealed)
        run = runs.get(name)
        oauth = name in c.OAUTH_CONNECTORS
        app_id, _, source = c.oauth_app(adm.cfg, name, adm.credentials) if oauth else ("", "", "")
        out.append({
            "name": name, "title": cls.title or name.title(), "oauth": oauth,
            "oauth_ready": bool(source), "oauth_source": source,
            "oauth_client_id": app_id if source == "saved" else "",
            "connected": connected,
            "status": _status(connected, row, run, waiting.get(name, 0)),
            "schedule_minutes": row.schedule_minutes if row else c.DEFAULT_SCHEDULE_MINUTES,
            "connected_at": row.connected_at if row else None,
            "last_error": (row.last_error if row else None) or (run or {}).get("error"),
            "records": records.get(name, 0),
            "run": _run_card(run),
            "retry": _retry(jobs.get(name), attempts),
            "pending": waiting.get(name, 0)})
    return out


def set_schedule(store, name: str, minutes: int) -> None:
    """Sync `name` every `minutes` (0 turns the schedule off)."""
    from server.admin.models import ConnectorConfig

    if minutes < 0 or minutes > 7 * 24 * 60:
        raise ValueError("The schedule is a number of minutes (0 turns it off).")
    with store.session() as s:
        row = s.get(ConnectorConfig, name)
        if row is None:
            row = ConnectorConfig(connector=name, enabled=True, auth_kind="keys",
                                  schedule_minutes=minutes)
            s.add(row)
        row.schedule_minutes = minutes
