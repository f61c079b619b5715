"""POST /api/v1/pair: trade a pairing code from the My tokens page for a personal API token.

No bearer token: the code is the credential. Called by the extension's service worker."""

from __future__ import annotations

import logging

from flask import jsonify

from server.api.common import bp, json_body, state
from server.errors import ApiError

log = logging.getLogger(__name__)


def _code(value) -> str:
    if not isinstance(value, str) or len(value) > 40:
        raise ValueError("must be the pairing code shown on the My tokens page")
    return value


@bp.post("/pair")
def pair():
    """Burn the code; answer a fresh token of the code's user, the server URL and the email."""
    from server.admin import pairing
    from server.admin.web import server_url
    from server.services.tokens import issue

    store = state().store
    body = json_body({"code": _code}, required=("code",))
    if not pairing.take_attempt(store):  # counted before the code is checked
        raise ApiError(429, "rate_limited",
                       "Too many wrong pairing codes: wait 15 minutes and try again.")
    try:
        user = pairing.claim(store, body["code"])
    except pairing.PairingRefused:
        log.info("pairing code refused")
        raise ApiError(400, "invalid_pairing_code",
                       "This pairing code is wrong, expired or already used: copy a new one "
                       "from My tokens on the server.", {"code": "invalid"}) from None
    pairing.clear_attempts(store)
    token = issue(store, user.id, f"{user.email}: browser extension (pairing code)",
                  purpose="extension")
    return jsonify({"token": token, "server_url": server_url(), "user": user.email})
