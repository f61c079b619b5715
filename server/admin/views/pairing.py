"""Browser-extension pairing from the My tokens page: the one-click token hand-off."""

from __future__ import annotations

from flask import Blueprint, g, jsonify

from server.admin import connections as c
from server.admin.web import json_view, login_required, server_url, store
from server.extension import PINNED_ID
from server.services import tokens as svc

bp = Blueprint("pairing", __name__)


def extension_id(cfg: dict) -> str:
    ext = c.option(cfg, "EXTENSION_ID")
    if ext:
        return str(ext)
    for origin in cfg.get("EXTENSION_ORIGINS") or []:
        if origin.startswith("chrome-extension://"):
            return origin.split("//", 1)[1].strip("/")
    return PINNED_ID


@bp.post("/extension/token")
@json_view
@login_required
def extension_token():
    """A fresh token for the browser extension, handed to it by the page's script."""
    token = svc.issue(store(), g.user.id, f"{g.user.email}: browser extension",
                      purpose="extension")
    return jsonify({"server_url": server_url(), "token": token})
