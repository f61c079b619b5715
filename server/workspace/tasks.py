"""My tasks (/app/tasks): the open tasks across my accounts (a lead: the team's), overdue
first, 100 a page; each ticked done with the account page's form (same service as the API)."""

from __future__ import annotations

from urllib.parse import quote

from flask import abort, current_app, g, render_template, request, url_for

from server.admin.web import login_required
from server.models import utcnow
from server.services import tasks as svc
from server.services import workspace as ws
from server.workspace.blueprint import bp


PAGE = 100


@bp.get("/tasks")
@login_required
def my_tasks():
    st = current_app.extensions["account360"]
    owner = ws.scoped_owner(g.user.role, g.user.email, request.args)
    raw = request.args.get("start") or "0"
    if not (raw.isascii() and raw.isdigit()) or int(raw) > 10**9:
        abort(400, description="start must be a whole number of tasks")
    start = int(raw)
    today = utcnow().date()
    with st.store.sessions() as s:
        items = svc.open_tasks(s, owner, today, PAGE, start, g.user.role, g.user.email)
        total, overdue = svc.count_open(s, owner, today)
        owners = ws.owners(s)
        fresh = ws.freshness_line(s)
    args = {k: v for k, v in request.args.items() if k != "start"}
    return render_template(
        "workspace/tasks.html", items=items, owner=owner, owners=owners, fresh=fresh,
        total=total, overdue=overdue, start=start, page_size=PAGE,
        next_url=url_for("app.my_tasks", **args, start=start + PAGE)
        if start + PAGE < total else None,
        first_url=url_for("app.my_tasks", **args) if start else None,
        back=request.full_path.rstrip("?"),
        account_url=url_for("app.account", account_id="ACCOUNT_ID").replace("ACCOUNT_ID", "{}"),
        done_url=url_for("app.complete_task", account_id="ACCOUNT_ID", task_id="TASK_ID")
        .replace("ACCOUNT_ID", "{0}").replace("TASK_ID", "{1}"), quote=quote)
