"""Property-based fuzzing of the API with schemathesis, from the service's own
/api/v1/openapi.json, with a valid token: no 5xx, and every response (status, content type,
headers, body) conforms to the document, for every route of the API. The example budget is
fixed and the generation derandomized so the run is bounded and repeatable."""

from __future__ import annotations

import json

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

MAX_EXAMPLES = 25

RECORDS = [
    {"type": "account", "id": "acme", "name": "Acme", "domains": ["acme.com"],
     "owner": "maria@ourteam.example", "seats": 20, "renewal_date": "2027-03-01"},
    {"type": "contact", "id": "c1", "account_id": "acme", "email": "ann@acme.com"},
    {"type": "deal", "id": "d1", "account_id": "acme", "kind": "new", "status": "won",
     "amount": 12000, "close_date": "2026-03-01"},
    {"type": "event", "account_id": "acme", "user_id": "u1", "name": "login",
     "time": "2026-11-20T10:00:00Z"},
    {"type": "task", "id": "t1", "account_id": "acme", "subject": "Call Ann",
     "status": "open"},
]


@schemathesis.serializer("application/x-ndjson")
def _ndjson(ctx, value):
    """The import body: JSON Lines text (a non-string from negative generation as JSON)."""
    return value.encode() if isinstance(value, str) else json.dumps(value).encode()


def _cases() -> list[tuple[str, str, GenerationMode]]:
    """Every API operation with documented inputs, and those whose document can be broken
    (a body, or a parameter that is not free text) with inputs that break it."""
    from server.api.openapi import document

    out = []
    for path, ops in document()["paths"].items():
        if not path.startswith(("/api/v1/", "/healthz", "/preview")):
            continue
        for method, op in ops.items():
            out.append((method, path, GenerationMode.POSITIVE))
            typed = [p for p in op.get("parameters", [])
                     if p["schema"] != {"type": "string"} or p.get("required")
                     and p["in"] == "query"]
            if op.get("requestBody") or typed:
                out.append((method, path, GenerationMode.NEGATIVE))
    return out


@pytest.fixture
def api_schema(app):
    from server.importer import import_lines

    import_lines(app.extensions["account360"].store, [json.dumps(r) for r in RECORDS])
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_headers_conformance, response_schema_conformance]


@pytest.mark.parametrize("method,path,mode", _cases())
def test_api_conforms_to_its_openapi_document(api_schema, token, method, path, mode):
    """Documented inputs and inputs that break the document (wrong types, missing fields,
    out-of-range values): never a 5xx, and every answer is one the document describes."""
    operation = api_schema[path][method]
    headers = {"Authorization": f"Bearer {token}"}

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=MAX_EXAMPLES, derandomize=True, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    def check(case):
        case.call_and_validate(headers=headers, checks=CHECKS)

    check()
