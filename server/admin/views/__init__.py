"""The admin pages, one blueprint per area under the `admin` parent blueprint
(server.admin.web): auth, users, tokens, pairing, connectors, connector_settings, oauth,
aliases, templates, playbooks.
Endpoints are named `admin.<area>.<view>`."""

from __future__ import annotations

from flask import redirect, url_for

from server.admin.views import (
    aliases,
    auth,
    connector_settings,
    connectors,
    oauth,
    pairing,
    playbooks,
    templates,
    tokens,
    users,
)
from server.admin.web import bp, root

for _area in (auth, users, tokens, pairing, connectors, connector_settings, oauth, aliases,
              templates, playbooks):
    bp.register_blueprint(_area.bp)


@root.get("/")
def index():
    return redirect(url_for("admin.auth.home"))


__all__ = ["bp", "root"]
