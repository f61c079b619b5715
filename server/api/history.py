"""The daily history series of an account (the account-metrics history rows)."""

from __future__ import annotations

from datetime import timedelta

from flask import jsonify, request

from server import models as m
from server.api.common import bp, date_param, state
from server.auth import require_token
from server.errors import ApiError
from server.rows.read import HISTORY_METRICS, history
from server.rows.refresh import today

DEFAULT_METRICS = ("health", "arr", "active_users_30d")
DEFAULT_DAYS = 90
MAX_DAYS = 3660


@bp.get("/accounts/<path:account_id>/history")
@require_token
def account_history(account_id: str):
    """Daily points of the chosen metrics in [start, end] (default the last 90 days)."""
    args = request.args
    raw = args.get("metrics")
    names = [x.strip() for x in raw.split(",") if x.strip()] if raw else list(DEFAULT_METRICS)
    unknown = [x for x in names if x not in HISTORY_METRICS]
    if unknown or not names:
        raise ApiError(400, "invalid_parameter",
                       f"'metrics' must name some of {', '.join(HISTORY_METRICS)}",
                       {"metrics": f"unknown: {', '.join(unknown)}" if unknown else "empty"})
    names = list(dict.fromkeys(names))
    end = date_param("end", args["end"]) if args.get("end") else today()
    start = (date_param("start", args["start"]) if args.get("start")
             else end - timedelta(days=DEFAULT_DAYS - 1))
    if start > end:
        raise ApiError(400, "invalid_parameter", "'start' must not be after 'end'",
                       {"start": start.isoformat(), "end": end.isoformat()})
    if (end - start).days >= MAX_DAYS:
        raise ApiError(400, "invalid_parameter", f"at most {MAX_DAYS} days per request",
                       {"start": start.isoformat(), "end": end.isoformat()})
    st = state()
    with st.store.sessions() as s:
        if s.get(m.Account, account_id) is None:
            raise ApiError(404, "not_found", f"No account with id {account_id}",
                           {"account_id": account_id})
        points = history(s, account_id, names, start, end)
    return jsonify({"account_id": account_id, "start": start, "end": end, "metrics": names,
                    "points": points})
