"""Users (admins only): list, invite, disable."""

from __future__ import annotations

from flask import Blueprint, abort, g, redirect, render_template, request, url_for

from server.admin.models import ROLES
from server.admin.web import admin_required, external_url, store
from server.services import users as svc

bp = Blueprint("users", __name__)


def _page(**extra):
    return render_template("admin/users.html", users=svc.list_users(store()), roles=ROLES,
                           **extra)


@bp.get("/users")
@admin_required
def users():
    return _page()


@bp.post("/users")
@admin_required
def invite_user():
    try:
        user, invite = svc.create_user(store(), request.form.get("email") or "",
                                       request.form.get("role") or "csm")
    except svc.UserError as exc:
        return _page(error=str(exc)), 400
    return _page(invited=user, invite_link=external_url("admin.auth.accept_invite",
                                                        secret=invite))


@bp.post("/users/<int:user_id>/disable")
@admin_required
def disable_user(user_id: int):
    if user_id == g.user.id:
        abort(400, description="You cannot disable yourself.")
    if svc.disable_user(store(), user_id) is None:
        abort(404)
    return redirect(url_for("admin.users.users"))
