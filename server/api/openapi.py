"""The OpenAPI 3 document; a test checks it lists every route of the app."""

from __future__ import annotations

from typing import Any


def _param(name: str, desc: str, where: str = "query", required: bool = False,
           schema: dict | None = None) -> dict:
    return {"name": name, "in": where, "required": required, "description": desc,
            "schema": schema or {"type": "string"}}


def _op(summary: str, params: list | None = None, body: str | None = None,
        ok: str = "200", auth: bool = True, content: str = "application/json") -> dict:
    op: dict[str, Any] = {"summary": summary, "parameters": params or [],
                          "responses": {ok: {"description": "OK"},
                                        "default": {"description": "Error envelope",
                                                    "content": {"application/json": {
                                                        "schema": {"$ref": "#/components/schemas/Error"}}}}}}
    if body:
        op["requestBody"] = {"required": True, "content": {
            content: {"schema": {"$ref": f"#/components/schemas/{body}"}}}}
    if not auth:
        op["security"] = []
    return op


AS_OF = _param("as_of", "Compute figures as of this day (YYYY-MM-DD, default today UTC)",
               schema={"type": "string", "format": "date"})
ACCOUNT_ID = _param("account_id", "Account id", "path", True)


def document() -> dict:
    """Build the OpenAPI document."""
    from server.admin.openapi import paths as admin_paths

    return {
        "openapi": "3.0.3",
        "info": {"title": "account360 API", "version": "1",
                 "description": "Customer 360 for Customer Success teams. Figures follow "
                                "docs/metrics.md; errors use one envelope."},
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "paths": {
            "/healthz": {"get": _op("Liveness and database check", auth=False)},
            "/api/v1/openapi.json": {"get": _op("This document", auth=False)},
            "/api/v1/me": {"get": _op("The calling token")},
            "/api/v1/pair": {"post": _op(
                "Trade a pairing code from My tokens (10 minutes, single use) for a fresh "
                "personal API token of its user; 400 when wrong, expired or used, 429 after 5 "
                "wrong codes per address in 15 minutes", body="PairRequest", auth=False)},
            "/api/v1/freshness": {"get": _op("When each source last synced")},
            "/api/v1/import": {"post": _op(
                "Load JSON Lines records (import format); 422 when some lines are rejected",
                body="ImportBody", content="application/x-ndjson")},
            "/api/v1/accounts": {"get": _op("Search and list accounts", [
                _param("q", "Name or domain contains"), _param("owner", "CSM email"),
                _param("band", "good | watch | at_risk | unknown"),
                _param("phase", "Lifecycle phase"), _param("segment", "Segment"),
                _param("sort", "name, arr, health, renewal; prefix - for descending"),
                _param("limit", "1..500", schema={"type": "integer"}),
                _param("cursor", "next_cursor of the previous page"), AS_OF])},
            "/api/v1/accounts/lookup": {"get": _op(
                "The 360 of the account behind an email, domain or CRM record, or candidates", [
                    _param("email", "Email address"), _param("domain", "Domain"),
                    _param("crm", "hubspot | salesforce"), _param("record_id", "CRM record id"),
                    AS_OF])},
            "/api/v1/accounts/{account_id}/360": {"get": _op("The customer 360",
                                                             [ACCOUNT_ID, AS_OF])},
            "/api/v1/accounts/{account_id}/tasks": {
                "get": _op("Tasks of an account, open first", [ACCOUNT_ID]),
                "post": _op("Add a task", [ACCOUNT_ID], body="TaskCreate", ok="201")},
            "/api/v1/tasks/{task_id}": {"patch": _op(
                "Update a task", [_param("task_id", "Task id", "path", True)], body="TaskUpdate")},
            "/api/v1/accounts/{account_id}/notes": {
                "get": _op("Notes of an account, newest first", [ACCOUNT_ID]),
                "post": _op("Add a note", [ACCOUNT_ID], body="NoteCreate", ok="201")},
            "/api/v1/portfolio": {"get": _op("Team and CSM figures (leading/lagging)", [
                _param("start", "Period start (default end - 1 year + 1 day)"),
                _param("end", "Period end (default as_of)"), _param("owner", "CSM email"),
                _param("segment", "Segment"), _param("phase", "Lifecycle phase"), AS_OF])},
            "/api/v1/accounts/{account_id}/history": {"get": _op(
                "Daily history series of an account (one point per stored day)", [
                    ACCOUNT_ID,
                    _param("metrics", "Comma-separated: health, band, phase, arr, "
                                      "active_users_30d, usage_trend, days_to_renewal, signals, "
                                      "components, settings_version (default health,arr,"
                                      "active_users_30d)"),
                    _param("start", "First day (default end - 89 days)",
                           schema={"type": "string", "format": "date"}),
                    _param("end", "Last day (default today UTC)",
                           schema={"type": "string", "format": "date"})])},
            "/api/v1/syncs": {"get": _op("Sync run history")},
            "/api/v1/syncs/{run_id}": {"get": _op(
                "One sync run with per-stream counts and errors",
                [_param("run_id", "Sync run id", "path", True, {"type": "integer"})])},
            "/preview": {"get": _op("Widget preview page (HTML)", [
                _param("account", "Account id"), _param("email", "Email to look up")],
                auth=False)},
            "/preview/ext/{name}": {"get": _op(
                "Widget code and styles used by the preview page",
                [_param("name", "File of the extension's widget", "path", True)], auth=False)},
            **admin_paths(),
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"},
                                "session": {"type": "apiKey", "in": "cookie",
                                            "name": "a360_session"}},
            "schemas": {
                "Error": {"type": "object", "properties": {"error": {
                    "type": "object", "required": ["code", "message", "details"],
                    "properties": {"code": {"type": "string"}, "message": {"type": "string"},
                                   "details": {"type": "object"}}}}},
                "PairRequest": {"type": "object", "required": ["code"],
                                "additionalProperties": False, "properties": {
                                    "code": {"type": "string", "example": "ABCD-EFGH",
                                             "description": "Case, spaces and dashes ignored"}}},
                "PairResponse": {"type": "object", "properties": {
                    "token": {"type": "string"}, "server_url": {"type": "string"},
                    "user": {"type": "string", "format": "email"}}},
                "ImportBody": {"type": "string", "description": "One JSON record per line"},
                "TaskCreate": {"type": "object", "required": ["subject"],
                               "additionalProperties": False, "properties": {
                                   "subject": {"type": "string", "maxLength": 500},
                                   "due_date": {"type": "string", "format": "date"},
                                   "note": {"type": "string"},
                                   "owner": {"type": "string", "format": "email"},
                                   "status": {"type": "string", "enum": ["open", "done"]}}},
                "TaskUpdate": {"type": "object", "additionalProperties": False, "properties": {
                    "subject": {"type": "string"}, "due_date": {"type": "string", "format": "date"},
                    "note": {"type": "string"}, "owner": {"type": "string"},
                    "status": {"type": "string", "enum": ["open", "done"]}}},
                "NoteCreate": {"type": "object", "required": ["body"],
                               "additionalProperties": False,
                               "properties": {"body": {"type": "string", "maxLength": 10000}}},
            },
        },
    }
