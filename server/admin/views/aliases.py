"""Aliases (CSMs and admins): the team's email/domain -> account fixes made from the
extension, with their audit log; removing one is logged like any change."""

from __future__ import annotations

from flask import Blueprint, abort, g, redirect, render_template, url_for

from server.admin.web import extension_user_required, store
from server.errors import ApiError
from server.services import aliases as svc

bp = Blueprint("aliases", __name__)


@bp.get("/aliases")
@extension_user_required
def aliases():
    with store().sessions() as s:
        return render_template("admin/aliases.html", aliases=svc.list_aliases(s),
                               changes=svc.changes(s, limit=100))


@bp.post("/aliases/<int:alias_id>/delete")
@extension_user_required
def delete_alias(alias_id: int):
    try:
        with store().session() as s:
            svc.delete_alias(s, alias_id, g.user.email)
    except ApiError:
        abort(404)
    return redirect(url_for("admin.aliases.aliases"))
