"""My tokens: personal API tokens (admins see and revoke every token) and the pairing code."""

from __future__ import annotations

from flask import Blueprint, abort, g, redirect, render_template, request, url_for

from server.admin import pairing
from server.admin.state import admin_state
from server.admin.views.pairing import extension_id
from server.admin.web import login_required, server_url, store
from server.services import tokens as svc

bp = Blueprint("tokens", __name__)


def _page(**extra):
    code, expires = pairing.issue(store(), g.user.id)
    return render_template(
        "admin/me.html", tokens=svc.tokens_of(store(), g.user.id),
        all_tokens=svc.tokens_of(store(), None) if g.user.role == "admin" else None,
        extension_id=extension_id(admin_state().cfg), server_url=server_url(),
        pairing_code=pairing.display(code), pairing_expires=expires,
        pairing_minutes=int(pairing.TTL.total_seconds() // 60),
        scope_choices=svc.scopes_for(g.user.role), **extra)


@bp.get("/me")
@login_required
def me():
    return _page()


@bp.post("/me/tokens")
@login_required
def new_token():
    name = (request.form.get("name") or "").strip()[:100] or "personal"
    try:
        token = svc.issue(store(), g.user.id, f"{g.user.email}: {name}",
                          scopes=request.form.getlist("scope") or None,
                          expires=(request.form.get("expires") or "").strip() or None)
    except svc.BadToken as e:
        return _page(token_error=str(e)), 400
    return _page(new_token=token)


@bp.post("/tokens/<int:token_id>/revoke")
@login_required
def revoke(token_id: int):
    try:
        found = svc.revoke(store(), token_id, g.user)
    except svc.NotYours:
        abort(403, description="This token is not yours.")
    if not found:
        abort(404)
    return redirect(url_for("admin.tokens.me"))
