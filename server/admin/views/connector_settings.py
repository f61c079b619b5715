"""The settings form of a key-based connector: Test connection, then Save and connect."""

from __future__ import annotations

from flask import Blueprint, current_app, g, render_template, request

from server.admin import checks, forms
from server.admin.runner import enqueue
from server.admin.state import admin_state
from server.admin.views.connectors import back, known
from server.admin.web import admin_required, store

bp = Blueprint("connector_settings", __name__)


@bp.route("/connectors/<name>/settings", methods=["GET", "POST"])
@admin_required
def connector_settings(name: str):
    cls = known(name)
    adm = admin_state()
    saved = adm.credentials.get(name)
    title = cls.title or name
    result = None
    status = 200
    if request.method == "POST":
        data = forms.posted_settings(cls, saved, request.form)
        ok, text = checks.test_connection(adm.cfg, adm.credentials, name, data,
                                     current_app.extensions["account360"].settings)
        result = {"ok": ok, "message": text}
        if ok and request.form.get("action") == "save":
            first = not saved
            adm.credentials.save(name, data, auth_kind="keys", user=g.user.email,
                                 connected=True)
            enqueue(store(), name, "connect" if first else "settings")
            return back(message=f"{title} connected; the first sync has started" if first
                        else f"{title} settings saved")
        fields = forms.form_fields(cls, {**(saved or {}), **data})
        status = 200 if ok else 400
    else:
        fields = forms.form_fields(cls, saved)
    return render_template("admin/settings.html", name=name, title=title,
                           fields=fields, result=result, connected=bool(saved)), status
