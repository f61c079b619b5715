"""What the API's route modules share: the blueprint, the app state and parameter parsing.

Route modules import these from here, and server.api imports the route modules, so the
imports go one way.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

from flask import Blueprint, current_app, request

from server.errors import ApiError
from server.records import MAX_DAY, MIN_DAY

bp = Blueprint("api", __name__, url_prefix="/api/v1")


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
    """A YYYY-MM-DD query parameter between MIN_DAY and MAX_DAY (figures around the ends of
    the calendar would overflow)."""
    try:
        if len(raw) != 10:
            raise ValueError
        day = date.fromisoformat(raw)
    except ValueError:
        raise ApiError(400, "invalid_parameter", f"'{name}' must be a date YYYY-MM-DD",
                       {name: f"not a date: {raw!r}"}) from None
    if not MIN_DAY <= day <= MAX_DAY:
        raise ApiError(400, "invalid_parameter",
                       f"'{name}' must be between {MIN_DAY} and {MAX_DAY}",
                       {name: f"out of range: {raw}"})
    return day


def json_body(fields: dict[str, Any], required: tuple[str, ...] = ()) -> dict:
    """The request's JSON object, checked for size, unknown fields and field validators."""
    limit = state().config["MAX_BODY_BYTES"]
    if request.content_length is not None and request.content_length > limit:
        raise ApiError(400, "body_too_large", f"The body is larger than {limit} bytes")
    raw = request.get_data(cache=True)
    if len(raw) > limit:
        raise ApiError(400, "body_too_large", f"The body is larger than {limit} bytes")
    try:
        body = request.get_json(silent=True)
    except RecursionError:
        raise ApiError(400, "invalid_body", "The JSON body is nested too deeply") from None
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
