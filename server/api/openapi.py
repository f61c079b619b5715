"""The OpenAPI 3 document; a test checks it lists every route of the app."""

from __future__ import annotations

from typing import Any

from server.services.search import RANGES, SORTS


def _param(name: str, desc: str, where: str = "query", required: bool = False,
           schema: dict | None = None) -> dict:
    return {"name": name, "in": where, "required": required, "description": desc,
            "schema": schema or {"type": "string"}}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _op(summary: str, params: list | None = None, body: str | None = None,
        ok: str = "200", auth: bool = True, content: str = "application/json",
        answer: str | None = None, extra: dict | None = None) -> dict:
    done: dict[str, Any] = {"description": "OK"}
    if answer:
        done["content"] = {"application/json": {"schema": _ref(answer)}}
    op: dict[str, Any] = {"summary": summary, "parameters": params or [],
                          "responses": {ok: done, **(extra or {}),
                                        "default": {"description": "Error envelope",
                                                    "content": {"application/json": {
                                                        "schema": _ref("Error")}}}}}
    if body:
        op["requestBody"] = {"required": True, "content": {
            content: {"schema": {"$ref": f"#/components/schemas/{body}"}}}}
    if not auth:
        op["security"] = []
    return op


AS_OF = _param("as_of", "Compute figures as of this day (YYYY-MM-DD between 1900-01-01 and "
               "2999-12-31, default today UTC)", schema={"type": "string", "format": "date"})
IDEMPOTENCY_KEY = _param(
    "Idempotency-Key", "Retry-safe creation: a repeat with the same key and body answers the "
    "first result (kept 24 hours, per token)", "header",
    schema={"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[ -~]+$"})
_NULL_STR = {"type": "string", "nullable": True}
_TIME = {"type": "string", "format": "date-time"}
ACCOUNT_ID = _param("account_id", "Account id", "path", True)
_RANGE_SCHEMA = {"number": {"type": "number"}, "int": {"type": "integer"},
                 "date": {"type": "string", "format": "date"}}
#: The accounts list's range filters (both ends included; an account without the value is
#: left out; a 400 for a bad or reversed pair), as the accounts table takes them.
RANGE_PARAMS = [
    _param(f"{prefix}_{end}", f"{label} {'at least' if end in ('min', 'from') else 'at most'}",
           schema=_RANGE_SCHEMA[kind])
    for field, (prefix, kind) in RANGES.items()
    for label in [{"arr": "ARR", "health_score": "Health score (0-100)",
                   "renewal_date": "Renewal date", "days_to_renewal": "Days to renewal",
                   "signals": "Number of firing signals",
                   "relationship_score": "Relationship score (0-100)",
                   "sentiment": "Sentiment (-100..100, last 90 days)",
                   "sentiment_change_90d": "Sentiment change vs the prior 90 days",
                   "email_reply_hours_median": "Email reply median hours (last 90 days)",
                   "north_star": "North Star value"}[field]]
    for end in (("from", "to") if kind == "date" else ("min", "max"))]
TEMPLATE_ID = [_param("template_id", "Template id", "path", True, {"type": "integer"})]


def document() -> dict:
    """Build the OpenAPI document."""
    from server.admin.openapi import paths as admin_paths
    from server.workspace.openapi import paths as workspace_paths

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
            "/api/v1/me": {"get": _op("The calling token: name, scopes, user", answer="Me")},
            "/api/v1/pair": {"post": _op(
                "Trade a pairing code from My tokens (10 minutes, single use) for a fresh "
                "personal API token of its user; 400 when wrong, expired or used, 429 after 5 "
                "wrong codes per address in 15 minutes", body="PairRequest", auth=False)},
            "/api/v1/freshness": {"get": _op("When each source last synced")},
            "/api/v1/import": {"post": _op(
                "Load JSON Lines records (import format, needs the import scope). The body is "
                "spooled first; up to ACCOUNT360_IMPORT_JOB_BYTES it is loaded in one "
                "transaction (422 when some lines are rejected), above it a job loads it: 202 "
                "with the import's id", body="ImportBody", content="application/x-ndjson",
                answer="ImportReport", extra={"422": {
                    "description": "Some lines were rejected; the good ones loaded",
                    "content": {"application/json": {"schema": _ref("ImportReport")}}},
                    "202": {"description": "A large body: queued as a job",
                            "content": {"application/json": {
                                "schema": _ref("ImportQueued")}}}})},
            "/api/v1/imports/{import_id}": {"get": _op(
                "A large import's progress: status (queued, running, done, failed), lines "
                "read, loaded, rejected with line numbers",
                [_param("import_id", "Import id (from the 202 answer)", "path", True,
                        {"type": "integer", "minimum": 1, "maximum": 2**31 - 1})],
                answer="ImportStatus")},
            "/api/v1/accounts": {"get": _op("Search and list accounts", [
                _param("q", "Name or domain contains"), _param("owner", "CSM email"),
                _param("band", "good | watch | at_risk | unknown"),
                _param("phase", "Lifecycle phase"), _param("segment", "Segment"),
                _param("sort", "name, owner, segment, band (at_risk, watch, good, unknown), "
                       "health, phase (lifecycle order), arr, renewal, days (to renewal), "
                       "signals (count), relationship, sentiment, sentiment_change, "
                       "reply_hours, north_star; prefix - for descending. Empty values sort last "
                       "ascending; ties by name, then id", schema={"type": "string",
                                                                    "enum": list(SORTS)}),
                *RANGE_PARAMS,
                _param("limit", "1..500", schema={"type": "integer"}),
                _param("cursor", "next_cursor of the previous page"), AS_OF],
                answer="AccountPage")},
            "/api/v1/accounts/lookup": {"get": _op(
                "The 360 of the account behind an email, domain or CRM record, or candidates", [
                    _param("email", "Email address"), _param("domain", "Domain"),
                    _param("crm", "hubspot | salesforce"), _param("record_id", "CRM record id"),
                    AS_OF])},
            "/api/v1/accounts/{account_id}/360": {"get": _op("The customer 360",
                                                             [ACCOUNT_ID, AS_OF])},
            "/api/v1/accounts/{account_id}/refresh": {"post": _op(
                "Refresh the account and its contacts, deals, tickets and tasks from its CRM "
                "when older than REFRESH_MAX_AGE_MINUTES; one fetch per account at a time, "
                "shared (status refreshed | shared | fresh | failed | not_linked | "
                "not_connected); the fetch is a job the request waits for up to "
                "REFRESH_WAIT_SECONDS, else 202 with status queued and its job_id; 502 when "
                "the CRM fails", [ACCOUNT_ID], extra={"202": {
                    "description": "No job worker ran the refresh in time: queued"}})},
            "/api/v1/accounts/{account_id}/tasks": {
                "get": _op("Tasks of an account, open first", [ACCOUNT_ID], answer="TaskList"),
                "post": _op("Add a task", [ACCOUNT_ID, IDEMPOTENCY_KEY], body="TaskCreate",
                            ok="201", answer="Task")},
            "/api/v1/tasks/{task_id}": {"patch": _op(
                "Update a task (a CSM's token: own tasks only)",
                [_param("task_id", "Task id", "path", True)], body="TaskUpdate", answer="Task")},
            "/api/v1/accounts/{account_id}/notes": {
                "get": _op("Notes of an account, newest first", [ACCOUNT_ID], answer="NoteList"),
                "post": _op("Add a note", [ACCOUNT_ID, IDEMPOTENCY_KEY], body="NoteCreate",
                            ok="201", answer="Note")},
            "/api/v1/templates": {
                "get": _op("Email templates by name, and the {{ variables }} they may use"),
                "post": _op("Save an email template; 400 names any unknown variable",
                            body="TemplateSave", ok="201")},
            "/api/v1/templates/{template_id}": {
                "put": _op("Update a template (same checks)", TEMPLATE_ID, body="TemplateSave"),
                "delete": _op("Delete a template", TEMPLATE_ID)},
            "/api/v1/templates/{template_id}/render": {"get": _op(
                "The template filled with an account's figures",
                [*TEMPLATE_ID, _param("account_id", "Account id", required=True),
                 _param("email", "Contact email (for contact_first_name)")])},
            "/api/v1/accounts/{account_id}/touchpoints": {"post": _op(
                "Log an email touchpoint (Gmail 'Log as touchpoint'); also its message (channel "
                "email, text kept per the message policy) and a done task written back to the "
                "linked CRM", [ACCOUNT_ID, IDEMPOTENCY_KEY], body="TouchpointCreate", ok="201")},
            "/api/v1/aliases": {
                "get": _op("Aliases (email or domain -> account), newest first", [
                    _param("account_id", "Only this account's aliases"),
                    _param("q", "Address, domain or account name contains")]),
                "post": _op("Point an email or a domain at an account for the whole team "
                            "(201 new, 200 re-pointed); lookups use aliases first",
                            body="AliasCreate", ok="201")},
            "/api/v1/aliases/changes": {"get": _op(
                "Audit log of alias changes: who, when, the account before and after")},
            "/api/v1/aliases/{alias_id}": {"delete": _op(
                "Remove an alias", [_param("alias_id", "Alias id", "path", True,
                                           {"type": "integer"})])},
            "/api/v1/portfolio": {"get": _op("Team and CSM figures (leading/lagging)", [
                _param("start", "Period start (default end - 1 year + 1 day)"),
                _param("end", "Period end (default as_of)"), _param("owner", "CSM email"),
                _param("segment", "Segment"), _param("phase", "Lifecycle phase"), AS_OF])},
            "/api/v1/accounts/{account_id}/history": {"get": _op(
                "Daily history series of an account (one point per stored day)", [
                    ACCOUNT_ID,
                    _param("metrics", "Comma-separated: health, band, phase, arr, "
                                      "active_users_30d, usage_trend, days_to_renewal, signals, "
                                      "components, settings_version, relationship, sentiment, "
                                      "sentiment_change_90d, reply_hours, north_star (default "
                                      "health,arr,active_users_30d)"),
                    _param("start", "First day (default end - 89 days)",
                           schema={"type": "string", "format": "date"}),
                    _param("end", "Last day (default today UTC)",
                           schema={"type": "string", "format": "date"})])},
            "/api/v1/syncs": {"get": _op(
                "Sync run history, stream cursors, each connector's latest sync job "
                "(queue: status, attempts, max_attempts, next_attempt_at, last_error), and "
                "the records parked until their account lands (parked: {connector: "
                "{record type: count}})")},
            "/api/v1/syncs/{run_id}": {"get": _op(
                "One sync run with per-stream counts and errors",
                [_param("run_id", "Sync run id", "path", True,
                        {"type": "integer", "minimum": 1, "maximum": 2**31 - 1})])},
            "/api/v1/playbooks/runs": {"get": _op(
                "Playbook history: firings (playbook, account, episode start) newest first, "
                "each action with its outcome (status pending | sent | retrying | failed, "
                "attempts, retried, the vendor's error, the attempt log), the last runs, and "
                "the recent daily digests (CSM, day, channel, status, attempts, error, "
                "next_attempt_at)", [
                    _param("playbook", "Only this playbook"),
                    _param("account_id", "Only this account"),
                    _param("status", "Only firings with an action in this status",
                           schema={"type": "string",
                                   "enum": ["pending", "sent", "retrying", "failed"]}),
                    _param("limit", "1..200 (default 50)", schema={"type": "integer"}),
                    _param("before", "next_before of the previous page",
                           schema={"type": "integer", "minimum": 1,
                                   "maximum": 2**31 - 1})])},
            "/preview": {"get": _op("Widget preview page (HTML)", [
                _param("account", "Account id"), _param("email", "Email to look up")],
                auth=False)},
            "/preview/ext/{name}": {"get": _op(
                "Widget code and styles used by the preview page",
                [_param("name", "File of the extension's widget", "path", True)], auth=False)},
            **admin_paths(),
            **workspace_paths(),
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"},
                                "session": {"type": "apiKey", "in": "cookie",
                                            "name": "a360_session"}},
            "schemas": {
                "Error": {"type": "object", "required": ["error"], "properties": {"error": {
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
                "ImportReport": {"type": "object", "required": [
                    "loaded", "rejected", "new_events", "by_type", "errors", "errors_truncated"],
                    "properties": {
                        "loaded": {"type": "integer"}, "rejected": {"type": "integer"},
                        "new_events": {"type": "integer"},
                        "by_type": {"type": "object",
                                    "additionalProperties": {"type": "integer"}},
                        "errors": {"type": "array", "items": {
                            "type": "object", "required": ["line", "reason"], "properties": {
                                "line": {"type": "integer"}, "reason": {"type": "string"}}}},
                        "errors_truncated": {"type": "boolean"}}},
                "ImportQueued": {"type": "object", "required": [
                    "import_id", "status", "bytes", "status_url"], "properties": {
                        "import_id": {"type": "integer"}, "status": {"type": "string"},
                        "bytes": {"type": "integer"}, "status_url": {"type": "string"}}},
                "ImportStatus": {"type": "object", "required": [
                    "id", "status", "lines_read", "loaded", "rejected", "errors"],
                    "properties": {
                        "id": {"type": "integer"}, "status": {"type": "string", "enum": [
                            "queued", "running", "done", "failed"]},
                        "bytes": {"type": "integer"}, "lines_read": {"type": "integer"},
                        "loaded": {"type": "integer"}, "rejected": {"type": "integer"},
                        "by_type": {"type": "object",
                                    "additionalProperties": {"type": "integer"}},
                        "errors": {"type": "array", "items": {
                            "type": "object", "required": ["line", "reason"], "properties": {
                                "line": {"type": "integer"}, "reason": {"type": "string"}}}},
                        "errors_truncated": {"type": "boolean"},
                        "error": _NULL_STR,
                        "created_at": {"type": "string"},
                        "started_at": _NULL_STR,
                        "finished_at": _NULL_STR}},
                "Me": {"type": "object", "required": ["token_name", "scopes"], "properties": {
                    "token_name": {"type": "string"}, "currency": {"type": "string"},
                    "user": _NULL_STR, "scopes": {"type": "array", "items": {
                        "type": "string", "enum": ["read", "write", "import", "admin"]}}}},
                "Task": {"type": "object", "required": ["id", "subject", "status"],
                         "properties": {
                             "id": {"type": "string"}, "subject": {"type": "string"},
                             "status": {"type": "string", "enum": ["open", "done"]},
                             "due_date": {"type": "string", "format": "date", "nullable": True},
                             "owner": _NULL_STR, "note": _NULL_STR,
                             "created_at": {**_TIME, "nullable": True},
                             "crm_sync": {"type": "object", "nullable": True}}},
                "TaskList": {"type": "object", "required": ["items"], "properties": {
                    "items": {"type": "array", "items": _ref("Task")}}},
                "Note": {"type": "object", "required": ["id", "body", "created_at"],
                         "properties": {"id": {"type": "integer"}, "body": {"type": "string"},
                                        "author": _NULL_STR, "created_at": _TIME}},
                "NoteList": {"type": "object", "required": ["items"], "properties": {
                    "items": {"type": "array", "items": _ref("Note")}}},
                "AccountPage": {"type": "object", "required": ["items", "next_cursor"],
                                "properties": {
                                    "items": {"type": "array", "items": {
                                        "type": "object", "required": ["id", "name"],
                                        "properties": {"id": {"type": "string"},
                                                       "name": {"type": "string"}}}},
                                    "next_cursor": _NULL_STR}},
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
                "TemplateSave": {"type": "object", "required": ["name", "body"],
                                 "additionalProperties": False, "properties": {
                                     "name": {"type": "string", "maxLength": 200},
                                     "subject": {"type": "string", "maxLength": 500},
                                     "body": {"type": "string", "example":
                                              "Hi {{ contact_first_name }}, ..."}}},
                "TouchpointCreate": {"type": "object", "required": ["kind"],
                                     "additionalProperties": False, "properties": {
                                         "kind": {"type": "string", "enum": ["email"]},
                                         "subject": {"type": "string"},
                                         "email": {"type": "string", "format": "email"},
                                         "direction": {"type": "string", "enum": ["in", "out"],
                                                       "default": "out"},
                                         "text": {"type": "string", "maxLength": 20000},
                                         "at": {"type": "string", "format": "date-time"},
                                         "thread_id": {"type": "string", "maxLength": 200}}},
                "AliasCreate": {"type": "object", "required": ["account_id"],
                                "additionalProperties": False,
                                "description": "Exactly one of email or domain",
                                "properties": {
                                    "email": {"type": "string", "format": "email"},
                                    "domain": {"type": "string", "example": "acme.com"},
                                    "account_id": {"type": "string"}}},
                "NoteCreate": {"type": "object", "required": ["body"],
                               "additionalProperties": False,
                               "properties": {"body": {"type": "string", "maxLength": 10000}}},
            },
        },
    }
