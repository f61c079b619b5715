"""Team and CSM performance."""

from __future__ import annotations

from datetime import timedelta

from flask import jsonify, request

from server.api.common import as_of_param, bp, date_param, state
from server.auth import require_token
from server.errors import ApiError
from server.metrics import add_years
from server.rows.read import rows_answer
from server.services.portfolio import portfolio
from server.services.search import PHASES


@bp.get("/portfolio")
@require_token
def get_portfolio():
    """Section 8 figures for the team and per CSM over a period (default trailing 12 months)."""
    as_of = as_of_param()
    end = date_param("end", request.args["end"]) if request.args.get("end") else as_of
    start = (date_param("start", request.args["start"]) if request.args.get("start")
             else add_years(end, -1) + timedelta(days=1))
    if start > end:
        raise ApiError(400, "invalid_parameter", "'start' must not be after 'end'",
                       {"start": start.isoformat(), "end": end.isoformat()})
    phase = request.args.get("phase")
    if phase and phase not in PHASES:
        raise ApiError(400, "invalid_parameter", f"'phase' must be one of {', '.join(PHASES)}",
                       {"phase": phase})
    st = state()
    use_rows = rows_answer(st, as_of)
    with st.store.sessions() as s:
        return jsonify(portfolio(s, st.settings, start, end, as_of, request.args.get("owner"),
                                 request.args.get("segment"), phase, rows=use_rows))
