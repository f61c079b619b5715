"""Email templates (CSMs and admins): list, write and edit with a preview on a real
account; an unknown {{ variable }} is refused at save."""

from __future__ import annotations

from flask import Blueprint, abort, g, redirect, render_template, request, url_for
from sqlalchemy import select

from server import models as m
from server.admin.web import extension_user_required, store
from server.errors import ApiError
from server.services import templates as svc

bp = Blueprint("templates", __name__)


def _page(template_id: int | None = None, form: dict | None = None, error: dict | None = None,
          status: int = 200):
    from server.api.common import state

    account_id = request.args.get("account") or None
    with store().sessions() as s:
        items = svc.list_templates(s)
        row = svc.get(s, template_id) if template_id is not None else None
        if template_id is not None and row is None:
            abort(404)
        accounts = list(s.execute(select(m.Account.id, m.Account.name)
                                  .order_by(m.Account.name).limit(500)))
        preview = None
        if row is not None and account_id and not error:
            try:
                preview = svc.render(s, state(), row.id, account_id)
            except ApiError:
                preview = None
        current = form or (svc.as_json(row) if row is not None else {})
    return render_template("admin/templates.html", items=items, current=current,
                           template_id=template_id, variables=svc.VARIABLES, accounts=accounts,
                           account_id=account_id, preview=preview, error=error or {}), status


@bp.get("/templates")
@extension_user_required
def templates():
    return _page()


@bp.get("/templates/<int:template_id>")
@extension_user_required
def edit_template(template_id: int):
    return _page(template_id)


@bp.post("/templates")
@bp.post("/templates/<int:template_id>")
@extension_user_required
def save_template(template_id: int | None = None):
    form = {k: request.form.get(k) or "" for k in ("name", "subject", "body")}
    try:
        with store().session() as s:
            saved = svc.save(s, form["name"], form["subject"], form["body"], g.user.email,
                             template_id=template_id)
    except ApiError as exc:
        if exc.status == 404:
            abort(404)
        return _page(template_id, form=form, error=exc.details or {"name": exc.message},
                     status=400)
    return redirect(url_for("admin.templates.edit_template", template_id=saved["id"],
                            account=request.form.get("account") or None))


@bp.post("/templates/<int:template_id>/delete")
@extension_user_required
def delete_template(template_id: int):
    with store().session() as s:
        if not svc.delete(s, template_id):
            abort(404)
    return redirect(url_for("admin.templates.templates"))
