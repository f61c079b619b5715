"""POST /webhooks/hubspot: verify the v3 signature, then queue an incremental sync of the
streams whose objects changed. Bad or stale signatures get 401 and change nothing."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import time

from flask import Blueprint, current_app, jsonify, request

from server.admin.connections import oauth_app, option
from server.admin.runner import enqueue
from server.admin.state import admin_state
from server.errors import ApiError
from server.receipts import first_seen

log = logging.getLogger(__name__)

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")

MAX_AGE_MS = 5 * 60 * 1000
MAX_BODY = 1_000_000
#: subscriptionType object -> HubSpot connector stream.
STREAMS = {"company": "companies", "contact": "contacts", "deal": "deals",
           "ticket": "tickets", "task": "tasks", "call": "calls", "meeting": "meetings",
           "email": "emails"}


def signature_v3(secret: str, method: str, uri: str, body: bytes, timestamp: str) -> str:
    """base64(HMAC-SHA256(secret, method + uri + body + timestamp))."""
    msg = method.encode() + uri.encode() + body + timestamp.encode()
    return base64.b64encode(hmac.new(secret.encode(), msg, hashlib.sha256).digest()).decode()


def verify_v3(secret: str, method: str, uri: str, body: bytes, signature: str,
              timestamp: str, now_ms: float | None = None) -> bool:
    if not (secret and signature and timestamp and timestamp.isdigit()):
        return False
    now_ms = time.time() * 1000 if now_ms is None else now_ms
    if abs(now_ms - int(timestamp)) > MAX_AGE_MS:
        return False
    expected = signature_v3(secret, method, uri, body, timestamp)
    return hmac.compare_digest(expected.encode(), signature.encode())


def called_uri() -> str:
    """The URL HubSpot called: PUBLIC_URL + path (+ query), or the request URL."""
    base = option(admin_state().cfg, "PUBLIC_URL")
    if base:
        uri = str(base).rstrip("/") + request.path
        qs = request.query_string.decode()
        return uri + (f"?{qs}" if qs else "")
    return request.url


def _fresh(store, signature: str, events: list[dict]) -> list[dict] | None:
    """The events of this delivery not received before, or None when the delivery itself
    (its signature) was: a replay within the signature's 5 minutes changes nothing. Events
    are known by HubSpot's eventId, so a redelivery under a new signature is dropped too."""
    def key(kind: str, value) -> str:
        return hashlib.sha256(f"hubspot:{kind}:{value}".encode()).hexdigest()

    ids = {key("event", ev["eventId"]): ev for ev in events if ev.get("eventId") is not None}
    with store.session() as s:
        fresh = first_seen(s, [key("signature", signature), *ids])
    if key("signature", signature) not in fresh:
        return None
    return [ev for ev in events if ev.get("eventId") is None
            or key("event", ev["eventId"]) in fresh]


@bp.post("/hubspot")
def hubspot():
    adm = admin_state()
    secret = oauth_app(adm.cfg, "hubspot", adm.credentials)[1]
    if request.content_length is not None and request.content_length > MAX_BODY:
        raise ApiError(400, "body_too_large", f"The body is larger than {MAX_BODY} bytes")
    body = request.get_data(cache=True)
    sig = request.headers.get("X-HubSpot-Signature-v3", "")
    ts = request.headers.get("X-HubSpot-Request-Timestamp", "")
    if not verify_v3(secret, request.method, called_uri(), body, sig, ts):
        log.warning("hubspot webhook refused: bad, missing or stale signature")
        raise ApiError(401, "invalid_signature", "The webhook signature is invalid or stale")
    try:
        events = json.loads(body)
    except (ValueError, RecursionError):
        raise ApiError(400, "invalid_body", "Send a JSON array of events") from None
    if isinstance(events, dict):
        events = [events]
    if not isinstance(events, list):
        raise ApiError(400, "invalid_body", "Send a JSON array of events")
    store = current_app.extensions["account360"].store
    events = _fresh(store, sig, [ev for ev in events if isinstance(ev, dict)])
    if events is None:
        log.warning("hubspot webhook refused: a delivery already received (replay)")
        return jsonify({"queued": None, "duplicate": True}), 200
    erased = sorted({str(ev["objectId"]) for ev in events
                     if ev.get("subscriptionType") == "contact.privacyDeletion"
                     and ev.get("objectId") is not None})
    if erased:  # a GDPR deletion: the contact is erased now, never synced again
        from server.services.erasure import erase_contacts

        log.info("hubspot webhook: %d contacts erased for privacy", erase_contacts(
            store, "hubspot", erased))
        events = [ev for ev in events if ev.get("subscriptionType") != "contact.privacyDeletion"]
    touched: dict[str, set[str]] = {}
    for ev in events:
        kind = str(ev.get("subscriptionType") or "").split(".", 1)[0]
        stream = STREAMS.get(kind)
        if stream and ev.get("objectId") is not None:
            touched.setdefault(stream, set()).add(str(ev["objectId"]))
    if not touched:
        return jsonify({"queued": None, "erased": len(erased)}), 200
    if not admin_state().credentials.get("hubspot"):
        return jsonify({"queued": None, "reason": "hubspot is not connected"}), 200
    rid = enqueue(store, "hubspot", "webhook", streams=sorted(touched),
                  detail={"objects": {k: sorted(v)[:500] for k, v in touched.items()}})
    return jsonify({"queued": rid, "streams": sorted(touched)}), 202
