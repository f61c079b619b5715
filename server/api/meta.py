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
    """Load a JSON Lines body (application/x-ndjson). The body is spooled first; a small one
    is loaded in one transaction (200 if all loaded, 422 if some rejected), a large one by a
    job: 202 with its id, progress at GET /api/v1/imports/<id>."""
    ctype = (request.mimetype or "").lower()
    if ctype not in ("application/x-ndjson", "application/jsonl", "application/json-lines"):
        raise ApiError(415, "unsupported_media_type",
                       "Send JSON Lines with Content-Type: application/x-ndjson")
    st = state()
    cfg = st.config
    try:
        path, size = imports.spool(request.stream, imports.spool_dir(cfg),
                                   int(cfg["MAX_IMPORT_BYTES"]))
    except imports.BodyTooLarge as exc:
        raise ApiError(413, "body_too_large", str(exc),
                       {"max_bytes": cfg["MAX_IMPORT_BYTES"]}) from None
    if request.content_length is not None and size != request.content_length:
        path.unlink(missing_ok=True)   # the client went away mid-body: load nothing
        raise ApiError(400, "incomplete_body",
                       f"Got {size} of the {request.content_length} bytes announced; "
                       "nothing was loaded", {"received": size,
                                              "content_length": request.content_length})
    if size > int(cfg["IMPORT_JOB_BYTES"]):
        import_id = imports.queue(st.store, path, size, g.token.name)
        return jsonify({"import_id": import_id, "status": "queued", "bytes": size,
                        "status_url": url_for("api.get_import", import_id=import_id)}), 202
    report = imports.load_now(st.store, path)
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
