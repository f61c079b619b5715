"""My tasks (/app/tasks): the open tasks across my accounts (a lead: the team's), overdue
first; each ticked done with the account page's form (same service as the API)."""

from __future__ import annotations

from flask import current_app, g, render_template, request

from server.admin.web import login_required
from server.models import utcnow
from server.services import tasks as svc
from server.services import workspace as ws
from server.workspace.blueprint import bp


@bp.get("/tasks")
@login_required
def my_tasks():
    st = current_app.extensions["account360"]
    owner = ws.scoped_owner(g.user.role, g.user.email, request.args)
    today = utcnow().date()
    with st.store.sessions() as s:
        items = svc.open_tasks(s, owner, today)
        owners = ws.owners(s)
        fresh = ws.freshness_line(s)
        svc.mark_may_change(s, items, g.user.role, g.user.email)
    return render_template("workspace/tasks.html", items=items, owner=owner, owners=owners,
                           fresh=fresh, overdue=sum(1 for i in items if i["overdue"]),
                           back=request.full_path.rstrip("?"))
