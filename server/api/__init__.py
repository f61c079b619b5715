"""The JSON API, mounted at /api/v1."""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from flask import Flask, jsonify
from flask.json.provider import DefaultJSONProvider

from server.api.common import as_of_param, bp, date_param, json_body, state

__all__ = ["JSONProvider", "as_of_param", "bp", "date_param", "init_app", "json_body", "state"]


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


def init_app(app: Flask) -> None:
    """Register the API routes and the JSON provider."""
    from server.api import (  # noqa: F401
        accounts,
        aliases,
        history,
        meta,
        pair,
        playbooks,
        portfolio,
        refresh,
        syncs,
        tasks,
        templates,
    )

    app.json_provider_class = JSONProvider
    app.json = JSONProvider(app)
    app.register_blueprint(bp)

    @app.get("/healthz")
    def healthz():
        from sqlalchemy import text

        with state().store.sessions() as s:
            s.execute(text("SELECT 1"))
        return jsonify({"status": "ok"})
