"""The JSON API, mounted at /api/v1."""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from flask import Blueprint, Flask, current_app, jsonify, request
from flask.json.provider import DefaultJSONProvider

from server.errors import ApiError

bp = Blueprint("api", __name__, url_prefix="/api/v1")


class JSONProvider(DefaultJSONProvider):
    """Money (Decimal) as JSON numbers with two decimals; dates as ISO strings."""

    sort_keys = False

    @staticmethod
    def default(o: Any) -> Any:
        if isinstance(o, Decimal):
            return float(o.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))
        if isinstance(o, datetime):
            return (o if o.tzinfo else o.replace(tzinfo=timezone.utc)).isoformat().replace(
                "+00:00", "Z")
        if isinstance(o, date):
            return o.isoformat()
        if isinstance(o, (set, frozenset)):
            return sorted(o)
        return DefaultJSONProvider.default(o)


def state():
    """The app's State (store, settings, cache)."""
    return current_app.extensions["account360"]


def as_of_param() -> date:
    """The `as_of` query parameter (default today, UTC)."""
    raw = request.args.get("as_of")
    if not raw:
        return datetime.now(timezone.utc).date()
    return date_param("as_of", raw)


def date_param(name: str, raw: str) -> date:
    try:
        if len(raw) != 10:
            raise ValueError
        return date.fromisoformat(raw)
    except ValueError:
        raise ApiError(400, "invalid_parameter", f"'{name}' must be a date YYYY-MM-DD",
                       {name: f"not a date: {raw!r}"}) from None


def json_body(fields: dict[str, Any], required: tuple[str, ...] = ()) -> dict:
    """The request's JSON object, checked for size, unknown fields and field validators."""
    limit = state().config["MAX_BODY_BYTES"]
    if request.content_length is not None and request.content_length > limit:
        raise ApiError(400, "body_too_large", f"The body is larger than {limit} bytes")
    raw = request.get_data(cache=True)
    if len(raw) > limit:
        raise ApiError(400, "body_too_large", f"The body is larger than {limit} bytes")
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_body", "Send a JSON object with Content-Type: application/json")
    errors: dict[str, str] = {}
    for key in body:
        if key not in fields:
            errors[key] = "unknown field"
    for key in required:
        if body.get(key) in (None, ""):
            errors.setdefault(key, "required")
    out = {}
    for key, check in fields.items():
        if key in body and key not in errors:
            try:
                out[key] = check(body[key])
            except (ValueError, TypeError) as exc:
                errors[key] = str(exc) or "invalid value"
    if errors:
        raise ApiError(400, "validation_error", "Some fields are invalid", errors)
    return out


def init_app(app: Flask) -> None:
    """Register the API routes and the JSON provider."""
    from server.api import accounts, history, meta, pair, portfolio, syncs, tasks  # noqa: F401

    app.json_provider_class = JSONProvider
    app.json = JSONProvider(app)
    app.register_blueprint(bp)

    @app.get("/healthz")
    def healthz():
        from sqlalchemy import text

        with state().store.sessions() as s:
            s.execute(text("SELECT 1"))
        return jsonify({"status": "ok"})
