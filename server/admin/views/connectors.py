"""Connector cards (admins only): status and progress, Sync now, schedule, disconnect."""

from __future__ import annotations

from flask import Blueprint, abort, jsonify, redirect, render_template, request, url_for

from server.admin import connections as c
from server.admin.runner import enqueue
from server.admin.state import admin_state
from server.admin.web import admin_required, json_view, oauth_redirect_url, store
from server.services import connector_cards as svc

bp = Blueprint("connectors", __name__)


def known(name: str):
    """The connector class called `name`, or 404."""
    from connectors.errors import ConfigError
    from connectors.registry import get_connector

    try:
        return get_connector(name)
    except ConfigError:
        abort(404, description=f"No connector called {name}.")


def back(**message):
    return redirect(url_for("admin.connectors.connectors", **message))


@bp.get("/connectors")
@admin_required
def connectors():
    cards = svc.cards(admin_state(), store())
    for card in cards:
        if card["oauth"]:
            card["redirect_url"] = oauth_redirect_url(card["name"])
    return render_template("admin/connectors.html", cards=cards,
                           message=request.args.get("message"),
                           error=request.args.get("error"))


@bp.get("/api/connectors")
@json_view
@admin_required
def connectors_json():
    """Card status and per-stream progress, polled by the connectors page."""
    return jsonify({"connectors": svc.cards(admin_state(), store())})


@bp.post("/connectors/<name>/sync")
@admin_required
def sync_now(name: str):
    known(name)
    if not admin_state().credentials.get(name):
        abort(400, description=f"Connect {name} first.")
    enqueue(store(), name, "manual", full=request.form.get("full") == "1")
    return back(message=f"{name}: sync queued")


@bp.post("/connectors/<name>/schedule")
@admin_required
def schedule(name: str):
    known(name)
    try:
        svc.set_schedule(store(), name, int(request.form.get("minutes") or "0"))
    except ValueError:
        abort(400, description="The schedule is a number of minutes (0 turns it off).")
    return back(message=f"{name}: schedule saved")


@bp.post("/connectors/<name>/disconnect")
@admin_required
def disconnect(name: str):
    known(name)
    adm = admin_state()
    data = adm.credentials.get(name)
    note = None
    if data:
        note = c.revoke(adm.cfg, name, data, adm.credentials)
        adm.credentials.delete(name)
    return back(message=f"{name} disconnected" + (f" ({note})" if note else ""))
