"""Sync history: GET /api/v1/syncs (recent runs with per-stream counts) and one run by id."""

from __future__ import annotations

from flask import jsonify, request

from server.api.common import bp, state
from server.auth import require_token
from server.errors import ApiError
from server.jobs.queue import sync_jobs
from server.models import SyncRun
from server.records import MAX_INT
from server.sync import list_runs, run_json, stream_states
from server.sync.parking import waiting_all

STATUSES = ("running", "success", "partial", "failed", "interrupted")


def _int_arg(name: str, default: int | None, lo: int, hi: int) -> int | None:
    raw = request.args.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ApiError(400, "invalid_parameter", f"'{name}' must be a number",
                       {name: "not a number"}) from None
    return min(max(value, lo), hi)


@bp.get("/syncs")
@require_token
def list_syncs():
    """Recent sync runs, newest first, where each stream's cursor stands, each
    connector's latest sync job (attempts, next retry, last error) and the records parked
    until their account lands ({connector: {record type: count}})."""
    connector = request.args.get("connector") or None
    status = request.args.get("status") or None
    if status and status not in STATUSES:
        raise ApiError(400, "invalid_parameter", f"'status' must be one of {', '.join(STATUSES)}",
                       {"status": status})
    limit = _int_arg("limit", 20, 1, 200)
    before = _int_arg("before", None, 1, 2**31)
    with state().store.sessions() as s:
        items = list_runs(s, connector=connector, status=status, limit=limit, before=before)
        cursors = stream_states(s, connector)
        queue = sync_jobs(s, state().store, connector)
        parked = waiting_all(s, connector)
    next_before = items[-1]["id"] if len(items) == limit else None
    return jsonify({"items": items, "next_before": next_before, "streams": cursors,
                    "queue": queue, "parked": parked})


@bp.get("/syncs/<int:run_id>")
@require_token
def get_sync(run_id: int):
    """One sync run with its per-stream counts, skipped records and errors."""
    with state().store.sessions() as s:
        run = s.get(SyncRun, run_id) if run_id <= MAX_INT else None   # ids are 32-bit
        if run is None:
            raise ApiError(404, "not_found", f"No sync run with id {run_id}", {"id": run_id})
        return jsonify(run_json(run))
