"""The team dashboard (/app): metrics.md section 8 figures for a period, team and per CSM."""

from __future__ import annotations

from flask import abort, current_app, g, render_template, request

from server.admin.web import login_required
from server.models import utcnow
from server.rows.build import settings_version
from server.rows.read import rows_answer
from server.services import periods
from server.services import workspace as ws
from server.services.portfolio import portfolio
from server.services.search import PHASES
from server.workspace.blueprint import bp
from server.workspace.charts import dashboard_charts
from server.workspace.figures import FIGURES, show, show_input
from server.workspace.memo import remembered, stamp


def filters(args) -> dict:
    """The dashboard's filters from the URL (a 400 page for a value it does not know)."""
    preset = args.get("period") or periods.DEFAULT
    if preset not in periods.PRESETS:
        abort(400, description=f"period must be one of {', '.join(periods.PRESETS)}")
    phase = args.get("phase") or None
    if phase and phase not in PHASES:
        abort(400, description=f"phase must be one of {', '.join(PHASES)}")
    return {"period": preset, "phase": phase, "segment": (args.get("segment") or None),
            "owner": ws.scoped_owner(g.user.role, g.user.email, args)}


@bp.get("/")
@login_required
def dashboard():
    st = current_app.extensions["account360"]
    f = filters(request.args)
    as_of = utcnow().date()
    start, end = periods.bounds(f["period"], as_of)
    use_rows = rows_answer(st, as_of)
    scope = (f["owner"], f["segment"], f["phase"])
    with st.store.sessions() as s:
        rows = stamp(s) if use_rows else None  # what the figures are computed from
        key = ("portfolio", settings_version(st.settings), st.settings.currency, start, end,
               as_of, *scope)
        answer = remembered(s, key, lambda: portfolio(s, st.settings, start, end, as_of, *scope,
                                                      rows=True), rows) if use_rows \
            else portfolio(s, st.settings, start, end, as_of, *scope, rows=False)
        charts = dashboard_charts(s, answer, f, as_of, answer["currency"], rows)
        choices = {"owners": ws.owners(s), "segments": ws.segments(s)}
        fresh = ws.freshness_line(s)
    groups = [("Team", answer["team"])] + [(row["owner"], row) for row in answer["by_csm"]]
    return render_template(
        "workspace/dashboard.html", data=answer, groups=groups, figures=FIGURES, f=f,
        presets=periods.PRESETS, phases=PHASES, choices=choices, fresh=fresh,
        show=show, show_input=show_input, currency=answer["currency"], charts=charts,
        ns_events=st.settings.metrics.north_star.events)
