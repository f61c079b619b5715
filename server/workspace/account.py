"""The account page (/app/accounts/<id>): the full 360 with charts of health (with the band
thresholds), ARR and active users over the last year of daily history, and its sections
(server/workspace/account_sections.py); adding a task or a note and completing a task go
through the same service as the API (server.services.tasks), with the admin app's CSRF.

A churned account (ARR 0 after having ARR) leads with its churn date and the ARR lost, with
no renewal countdown and no usage alarms.
"""

from __future__ import annotations

import json

from flask import abort, current_app, g, redirect, render_template, request, url_for

from server.admin.web import login_required, safe_next
from server.errors import ApiError
from server.models import utcnow
from server.services import account360, timeline
from server.services import tasks as svc
from server.services import workspace as ws
from server.workspace.account_sections import PageContext, build_sections
from server.workspace.blueprint import bp
from server.workspace.figures import money


def _charts(series: dict, health_cfg, currency: str) -> dict:
    labels = [d.isoformat() for d in series["days"]]
    return {"currency": currency,
            "health": {"labels": labels, "values": series["health"],
                       "good": health_cfg.band_good, "watch": health_cfg.band_watch},
            "arr": {"labels": labels, "values": series["arr"]},
            "users": {"labels": labels, "values": series["active_users_30d"]}}


def _page(account_id: str, errors: dict | None = None, form: dict | None = None,
          status: int = 200):
    st = current_app.extensions["account360"]
    as_of = utcnow().date()
    with st.store.sessions() as s:
        try:
            view = json.loads(account360.cached_360(st, s, account_id, as_of))
        except ApiError:
            abort(404, description=f"No account with id {account_id}.")
        series = timeline.series(s, account_id, as_of)
        churned = timeline.churn(s, account_id) if view["phase"] == "churned" else None
        ctx = PageContext(session=s, account_id=account_id, view=view, series=series,
                          churned=churned, user=g.user)
        sections = build_sections(ctx)
        fresh = ws.freshness_line(s)
    currency = st.settings.currency
    return render_template(
        "workspace/account.html", a=view, sections=sections, churned=churned, fresh=fresh,
        charts=_charts(series, st.settings.metrics.health, currency), currency=currency,
        money=money, errors=errors or {}, form=form or {}, today=as_of.isoformat()), status


@bp.get("/accounts/<path:account_id>")
@login_required
def account(account_id: str):
    return _page(account_id)


def _fail(account_id: str, exc: ApiError, form: dict, which: str):
    if exc.status == 404:
        abort(404, description=exc.message)
    if exc.status == 403:
        abort(403, description=exc.message)
    errors = {f"{which}.{k}": v for k, v in (exc.details or {}).items()} or {which: exc.message}
    return _page(account_id, errors=errors, form={which: form}, status=400)


@bp.post("/accounts/<path:account_id>/tasks")
@login_required
def add_task(account_id: str):
    form = {k: request.form.get(k, "") for k in ("subject", "due_date", "note")}
    st = current_app.extensions["account360"]
    try:
        body = svc.check(svc.TASK_FIELDS, {k: v for k, v in form.items() if v.strip()},
                         required=("subject",))
        with st.store.session() as s:
            svc.add_task(s, account_id, body, g.user.email, g.user.email)
    except ApiError as exc:
        return _fail(account_id, exc, form, "task")
    return redirect(url_for("app.account", account_id=account_id, _anchor="tasks"))


@bp.post("/accounts/<path:account_id>/tasks/<task_id>/done")
@login_required
def complete_task(account_id: str, task_id: str):
    st = current_app.extensions["account360"]
    try:
        with st.store.session() as s:
            svc.change_task(s, task_id, {"status": "done"}, g.user.role, g.user.email,
                            account_id=account_id)
    except ApiError as exc:
        return _fail(account_id, exc, {}, "done")
    back = request.form.get("next")
    if back:
        return redirect(safe_next(back))
    return redirect(url_for("app.account", account_id=account_id, _anchor="tasks"))


@bp.post("/accounts/<path:account_id>/notes")
@login_required
def add_note(account_id: str):
    form = {"body": request.form.get("body", "")}
    st = current_app.extensions["account360"]
    try:
        body = svc.check(svc.NOTE_FIELDS, form, required=("body",))
        with st.store.session() as s:
            svc.add_note(s, account_id, body["body"], g.user.email)
    except ApiError as exc:
        return _fail(account_id, exc, form, "note")
    return redirect(url_for("app.account", account_id=account_id, _anchor="notes"))
