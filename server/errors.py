"""One JSON error envelope for the whole API: {"error": {"code", "message", "details"}}."""

from __future__ import annotations

import logging

from flask import Flask, jsonify, request
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)


class ApiError(Exception):
    """An error answered as JSON with the given status."""

    def __init__(self, status: int, code: str, message: str, details: dict | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details or {}


def envelope(status: int, code: str, message: str, details: dict | None = None):
    resp = jsonify({"error": {"code": code, "message": message, "details": details or {}}})
    resp.status_code = status
    return resp


def _nul_in_request() -> str | None:
    """Where the request carries a NUL character (PostgreSQL text refuses it): the path, a
    query or form parameter's name or value; None when nowhere."""
    if "\x00" in request.path:
        return "path"
    for where, params in (("query", request.args), ("form", _form())):
        for name, values in params.lists():
            if "\x00" in name or any("\x00" in v for v in values):
                return f"{where} parameter {name.replace(chr(0), '')!r}"
    return None


def _form():
    kind = request.mimetype
    if kind in ("application/x-www-form-urlencoded", "multipart/form-data"):
        return request.form
    return MultiDict()  # other bodies are read by their own parser


def init_app(app: Flask) -> None:
    """Register the handlers that turn every error into the envelope, and refuse a request
    whose path or parameters carry a NUL character before any view reads them."""

    @app.before_request
    def _refuse_nul():
        where = _nul_in_request()
        if where:
            return envelope(400, "invalid_request",
                            f"The request's {where} contains a NUL character.")
        return None

    @app.errorhandler(ApiError)
    def _api_error(exc: ApiError):
        return envelope(exc.status, exc.code, exc.message, exc.details)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        code = (exc.name or "error").lower().replace(" ", "_")
        return envelope(exc.code or 500, code, exc.description or exc.name)

    @app.errorhandler(RecursionError)
    def _too_deep(exc: RecursionError):
        return envelope(400, "invalid_body", "The request is nested too deeply to be read.")

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        log.exception("unhandled error")
        return envelope(500, "internal_error", "Something went wrong; the error was logged.")
