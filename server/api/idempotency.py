"""`Idempotency-Key` on POST routes: a retried request answers the first result.

The key is stored per token with a fingerprint of the request (method, path, body) and the
first successful answer, for KEY_TTL. The row is claimed before the work is done, so two
concurrent requests with one key never both run: the second gets a 409 until the first is
answered. The same key with another request is a 422. Failed requests (4xx/5xx) are not
kept: fixing the request and sending it again with the same key works.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, timezone
from functools import wraps

from flask import Response, current_app, g, make_response, request
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from server.errors import ApiError
from server.receipts import IdempotentRequest

KEY_TTL = timedelta(hours=24)
HEADER = "Idempotency-Key"


def _key() -> str | None:
    key = request.headers.get(HEADER)
    if key is None:
        return None
    if not 1 <= len(key) <= 255 or not key.isascii() or not key.isprintable():
        raise ApiError(400, "invalid_header",
                       f"'{HEADER}' must be 1 to 255 printable ASCII characters",
                       {HEADER: "invalid"})
    return key


def _fingerprint() -> str:
    digest = hashlib.sha256(f"{request.method} {request.path}\n".encode())
    digest.update(request.get_data(cache=True))
    return digest.hexdigest()


def _claim(store, token_id: int, key: str,
           fingerprint: str) -> tuple[bool, IdempotentRequest | None]:
    """Claim the key (True, None) or return the earlier request made with it."""
    now = datetime.now(timezone.utc)
    with store.session() as s:
        s.execute(delete(IdempotentRequest).where(IdempotentRequest.created_at < now - KEY_TTL))
    try:
        with store.session() as s:
            s.add(IdempotentRequest(token_id=token_id, key=key, fingerprint=fingerprint,
                                    created_at=now))
        return True, None
    except IntegrityError:
        with store.sessions() as s:
            return False, s.scalar(select(IdempotentRequest).where(
                IdempotentRequest.token_id == token_id, IdempotentRequest.key == key))


def _replay(earlier: IdempotentRequest, fingerprint: str) -> Response:
    if earlier.fingerprint != fingerprint:
        raise ApiError(422, "idempotency_key_reused",
                       f"This {HEADER} was used for a different request",
                       {HEADER: "reused with another method, path or body"})
    if earlier.status is None:
        raise ApiError(409, "request_in_progress",
                       f"A request with this {HEADER} is still being answered; retry shortly",
                       {HEADER: "in progress"})
    resp = Response(earlier.body, status=earlier.status, mimetype="application/json")
    resp.headers["Idempotent-Replayed"] = "true"
    return resp


def idempotent(view):
    """Honour the Idempotency-Key header on a view that runs after require_token."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        key = _key()
        if key is None:
            return view(*args, **kwargs)
        store = current_app.extensions["account360"].store
        fingerprint = _fingerprint()
        for _ in range(3):   # the earlier row may vanish (expired, or its request failed)
            claimed, earlier = _claim(store, g.token.id, key, fingerprint)
            if claimed:
                break
            if earlier is not None:
                return _replay(earlier, fingerprint)
        else:
            raise ApiError(409, "request_in_progress",
                           f"A request with this {HEADER} is still being answered; retry shortly",
                           {HEADER: "in progress"})
        where = (IdempotentRequest.token_id == g.token.id, IdempotentRequest.key == key)
        try:
            resp = make_response(view(*args, **kwargs))
        except BaseException:
            with store.session() as s:
                s.execute(delete(IdempotentRequest).where(*where))
            raise
        with store.session() as s:
            if 200 <= resp.status_code < 300:
                s.execute(update(IdempotentRequest).where(*where).values(
                    status=resp.status_code, body=resp.get_data(as_text=True)))
            else:
                s.execute(delete(IdempotentRequest).where(*where))
        return resp

    return wrapper
