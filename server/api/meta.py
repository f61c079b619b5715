"""Service meta routes: who am I, the JSON Lines import, freshness and the OpenAPI document."""

from __future__ import annotations

from flask import g, jsonify, request, url_for

from server.api.common import bp, state
from server.api.openapi import document
from server.auth import require_token
from server.errors import ApiError
from server.services import imports
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
    """Load a JSON Lines body (application/x-ndjson). The body is received whole first; a
    small one is loaded in one transaction (200 if all loaded, 422 if some rejected), a large
    one is stored in the database and loaded by a job: 202 with its id, progress at
    GET /api/v1/imports/<id>."""
    ctype = (request.mimetype or "").lower()
    if ctype not in ("application/x-ndjson", "application/jsonl", "application/json-lines"):
        raise ApiError(415, "unsupported_media_type",
                       "Send JSON Lines with Content-Type: application/x-ndjson")
    st = state()
    cfg = st.config
    try:
        got = imports.receive(request.stream, st.store, limit=int(cfg["MAX_IMPORT_BYTES"]),
                              job_bytes=int(cfg["IMPORT_JOB_BYTES"]),
                              expected=request.content_length, requested_by=g.token.name)
    except imports.BodyTooLarge as exc:
        raise ApiError(413, "body_too_large", str(exc),
                       {"max_bytes": cfg["MAX_IMPORT_BYTES"]}) from None
    except imports.BodyIncomplete as exc:   # the client went away mid-body: load nothing
        raise ApiError(400, "incomplete_body", str(exc), {
            "received": exc.received, "content_length": exc.expected}) from None
    if got.import_id is not None:
        return jsonify({"import_id": got.import_id, "status": "queued", "bytes": got.size,
                        "status_url": url_for("api.get_import", import_id=got.import_id)}), 202
    report = imports.load_now(st.store, got.body)
    return jsonify(report.to_dict()), (422 if report.rejected else 200)


@bp.get("/imports/<int:import_id>")
@require_token(scope="import")
def get_import(import_id: int):
    """A large import's progress: status, lines read, loaded, rejected (with line numbers)."""
    with state().store.sessions() as s:
        out = imports.status(s, import_id) if import_id < 2**31 else None
    if out is None:
        raise ApiError(404, "not_found", f"No import with id {import_id}", {"id": import_id})
    return jsonify(out)


@bp.get("/openapi.json")
def openapi():
    """The OpenAPI 3 document of this API."""
    return jsonify(document())
