"""Priority accounts (/app/priority): the book ordered by risk, churned accounts left out."""

from __future__ import annotations

from flask import current_app, g, render_template, request

from server.admin.web import login_required
from server.models import utcnow
from server.rows.read import rows_answer
from server.services import workspace as ws
from server.services.priority import priority
from server.workspace.blueprint import bp
from server.workspace.figures import money


@bp.get("/priority")
@login_required
def priority_accounts():
    st = current_app.extensions["account360"]
    owner = ws.scoped_owner(g.user.role, g.user.email, request.args)
    rows_answer(st, utcnow().date())  # the rows are current first
    with st.store.sessions() as s:
        data = priority(s, owner)
        owners = ws.owners(s)
        fresh = ws.freshness_line(s)
    return render_template("workspace/priority.html", data=data, owner=owner, owners=owners,
                           fresh=fresh, money=money, currency=st.settings.currency)
