"""Connect a CRM with OAuth: the Connect button and the vendor's redirect back."""

from __future__ import annotations

import secrets

from flask import Blueprint, abort, g, redirect, request, session, url_for

from server.admin import connections as c
from server.admin.state import admin_state
from server.admin.views.connectors import back, known
from server.admin.web import admin_required, oauth_redirect_url, store
from server.services import oauth_connect as svc

bp = Blueprint("oauth", __name__)


@bp.post("/connectors/<name>/connect")
@admin_required
def oauth_start(name: str):
    known(name)
    adm = admin_state()
    if name not in c.OAUTH_CONNECTORS:
        return redirect(url_for("admin.connector_settings.connector_settings", name=name))
    if not c.oauth_configured(adm.cfg, name, adm.credentials):
        abort(400, description=f"Paste your {name} app's client id and secret in its card "
                               f"(or set ACCOUNT360_{name.upper()}_CLIENT_ID and _CLIENT_SECRET) "
                               "first; see docs/setup.md.")
    env = request.form.get("environment") or "production"
    if env not in c.SF_HOSTS:
        abort(400, description="environment must be production or sandbox")
    nonce = session.get("_oauth_nonce") or secrets.token_urlsafe(24)
    session["_oauth_nonce"] = nonce
    return redirect(svc.start(adm, store(), name, env, oauth_redirect_url(name), nonce))


@bp.get("/oauth/<name>/callback")
@admin_required
def oauth_callback(name: str):
    known(name)
    try:
        out = svc.finish(admin_state(), store(), name, request.args.to_dict(),
                         session.get("_oauth_nonce") or "", g.user.email)
    except svc.StateRefused:
        abort(400, description="This sign-in answer does not match a Connect started from "
                               "this browser session (or it was already used): start again "
                               "from the Connectors page.")
    return back(message=out.message) if out.ok else back(error=out.message)


@bp.post("/connectors/<name>/oauth-app")
@admin_required
def save_oauth_app(name: str):
    """The OAuth app's client id and secret, pasted in the card."""
    cls = known(name)
    if name not in c.OAUTH_CONNECTORS:
        abort(404, description=f"{name} does not connect with OAuth.")
    try:
        svc.save_app(admin_state(), name, request.form.get("client_id") or "",
                     request.form.get("client_secret") or "")
    except svc.AppRefused as exc:
        abort(400, description=str(exc))
    return back(message=f"{cls.title or name}: OAuth app saved; click Connect")
