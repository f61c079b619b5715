"""The lifecycle view (/app/lifecycle): accounts per phase with each phase's headline metrics
(metrics.md section 7), for my book (a lead: the team) and a segment, from the rows."""

from __future__ import annotations

from flask import current_app, g, render_template, request, url_for

from server.admin.web import login_required
from server.models import utcnow
from server.rows.read import rows_answer
from server.services import lifecycle
from server.services import workspace as ws
from server.workspace.blueprint import bp
from server.workspace.figures import money, show

#: (phase, metric) -> (label, kind): how the headline metrics read.
LABELS = {
    "time_to_first_value_days": ("Mean time to first value", "days"),
    "reached_first_value": ("Reached first value", "count"),
    "onboarding_rating": ("Onboarding rating", "score"),
    "onboarding_responses": ("Onboarding responses", "count"),
    "active_users_30d": ("Active users, 30 days", "count"),
    "adoption_breadth": ("Mean adoption breadth", "pct0"),
    "health": ("Mean health", "score0"),
    "nps": ("NPS", "nps"),
    "nps_responses": ("NPS responses", "count"),
    "expansion_12m": ("Expansion, trailing 12 months", "money"),
    "days_to_renewal": ("Mean days to renewal", "days"),
    "pipeline": ("Open renewal and expansion pipeline", "money"),
    "pipeline_deals": ("Open deals", "count"),
    "advocacy_365d": ("Advocacy events, 365 days", "count"),
    "churned_arr_12m": ("Churned ARR, trailing 12 months", "money"),
}


@bp.get("/lifecycle")
@login_required
def lifecycle_view():
    st = current_app.extensions["account360"]
    owner = ws.scoped_owner(g.user.role, g.user.email, request.args)
    segment = request.args.get("segment") or None
    rows_answer(st, utcnow().date())  # the rows are current first
    with st.store.sessions() as s:
        data = lifecycle.phases(s, owner, segment)
        choices = {"owners": ws.owners(s), "segments": ws.segments(s)}
        fresh = ws.freshness_line(s)

    def accounts_link(phase: str) -> str:
        return url_for("app.accounts", owner=owner or "", segment=segment or "", phase=phase)

    return render_template("workspace/lifecycle.html", data=data, owner=owner, segment=segment,
                           choices=choices, fresh=fresh, labels=LABELS, show=show,
                           money=money, currency=st.settings.currency, link=accounts_link,
                           total=sum(p["accounts"] for p in data))
