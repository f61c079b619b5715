"""Service meta routes: who am I, the JSON Lines import, freshness and the OpenAPI document."""

from __future__ import annotations

from flask import g, jsonify, request

from server.api.common import bp, state
from server.api.openapi import document
from server.auth import require_token
from server.errors import ApiError
from server.importer import import_lines
from server.services.account360 import freshness


@bp.get("/me")
@require_token(scope=None)
def me():
    """The token's name (used by the extension's Test connection)."""
    return jsonify({"token_name": g.token.name, "currency": state().settings.currency,
                    "scopes": sorted(g.token.scopes), "user": g.token.user_email})


@bp.get("/freshness")
@require_token
def get_freshness():
    """When each source last delivered data."""
    with state().store.sessions() as s:
        return jsonify(freshness(s))


@bp.post("/import")
@require_token(scope="import")
def import_records():
    """Load a JSON Lines body (application/x-ndjson); 200 if all loaded, 422 if some rejected."""
    ctype = (request.mimetype or "").lower()
    if ctype not in ("application/x-ndjson", "application/jsonl", "application/json-lines"):
        raise ApiError(415, "unsupported_media_type",
                       "Send JSON Lines with Content-Type: application/x-ndjson")
    st = state()
    report = import_lines(st.store, request.stream, source="import")
    return jsonify(report.to_dict()), (422 if report.rejected else 200)


@bp.get("/openapi.json")
def openapi():
    """The OpenAPI 3 document of this API."""
    return jsonify(document())
