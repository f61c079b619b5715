"""Playbook history: GET /api/v1/playbooks/runs (firings newest first with each action's
outcome, and the recent runs)."""

from __future__ import annotations

from flask import jsonify, request

from server.api.common import bp, state
from server.api.syncs import _int_arg
from server.auth import require_token
from server.errors import ApiError
from server.playbooks.history import digests, firings, runs

STATUSES = ("pending", "sent", "retrying", "failed")


@bp.get("/playbooks/runs")
@require_token
def playbook_runs():
    """Every firing (playbook, account, episode) with its actions: status (sent, retrying,
    failed, pending), attempts, the vendor's error, the attempt log; the last runs, and the
    recent daily digests with their outcomes."""
    status = request.args.get("status") or None
    if status and status not in STATUSES:
        raise ApiError(400, "invalid_parameter",
                       f"'status' must be one of {', '.join(STATUSES)}", {"status": status})
    limit = _int_arg("limit", 50, 1, 200)
    before = _int_arg("before", None, 1, 2**31 - 1)
    with state().store.sessions() as s:
        items, next_before = firings(s, limit, before, request.args.get("playbook") or None,
                                     request.args.get("account_id") or None, status)
        recent = runs(s, 20)
        sent = digests(s, 50)
    return jsonify({"items": items, "next_before": next_before, "runs": recent,
                    "digests": sent})
