"""No input answers 500: out-of-range times, dates and numbers, deep JSON, odd cursors and
LIKE wildcards all get a 4xx with the error envelope (or a per-line import error)."""

from __future__ import annotations

import base64
import json

import pytest

ACME = {"type": "account", "id": "acme", "name": "Acme", "domains": ["acme.com"]}
GLOBEX = {"type": "account", "id": "globex", "name": "Globex", "domains": ["globex.com"]}

BAD_LINES = {
    "event time before year 1 in UTC": {
        "type": "event", "account_id": "acme", "user_id": "u", "name": "login",
        "time": "0001-01-01T00:00:00+01:00"},
    "event time after year 9999 in UTC": {
        "type": "event", "account_id": "acme", "user_id": "u", "name": "login",
        "time": "9999-12-31T23:30:00-01:00"},
    "ticket time before year 1 in UTC": {
        "type": "ticket", "id": "t1", "account_id": "acme", "status": "open",
        "priority": "low", "created_at": "0001-01-01T00:30:00+02:00"},
    "amount 1e30": {"type": "deal", "id": "d1", "account_id": "acme", "kind": "new",
                    "status": "won", "amount": 1e30, "close_date": "2024-01-01"},
    "seats 1e30": {**ACME, "id": "s1", "seats": 1e30},
    "seats 2^63": {**ACME, "id": "s2", "seats": 2**63},
    "renewal date year 1": {**ACME, "id": "s3", "renewal_date": "0001-01-01"},
    "survey scale 1e30": {"type": "survey", "account_id": "acme", "kind": "ces", "score": 1,
                          "scale": 1e30, "date": "2024-01-01"},
    "NUL in a name": {**ACME, "id": "s4", "name": "A\u0000B"},
}


def _ndjson(*lines) -> bytes:
    return b"\n".join(x if isinstance(x, bytes) else json.dumps(x).encode() for x in lines)


def _post_import(client, auth, body: bytes):
    return client.post("/api/v1/import", data=body,
                       headers={**auth, "Content-Type": "application/x-ndjson"})


@pytest.mark.parametrize("case", sorted(BAD_LINES))
def test_out_of_range_import_lines_are_rejected_per_line(client, auth, load, case):
    load([ACME])
    r = _post_import(client, auth, _ndjson(BAD_LINES[case], GLOBEX))
    assert r.status_code == 422
    body = r.get_json()
    assert body["loaded"] == 1 and body["rejected"] == 1
    assert body["errors"][0]["line"] == 1 and body["errors"][0]["reason"]
    assert client.get("/api/v1/accounts/globex/360", headers=auth).status_code == 200


def test_json_nested_100k_deep_is_a_rejected_line(client, auth):
    deep = b'{"type": "account", "id": "z", "name": "Z", "x": ' + b"[" * 100_000 \
        + b"]" * 100_000 + b"}"
    r = _post_import(client, auth, _ndjson(deep, GLOBEX))
    assert r.status_code == 422
    body = r.get_json()
    assert body["loaded"] == 1
    assert body["errors"] == [{"line": 1, "reason": "not valid JSON: nested too deeply"}]


def test_extra_fields_nested_deeper_than_the_limit_are_rejected(client, auth):
    deep = {**GLOBEX, "id": "deep", "x": json.loads("[" * 40 + "]" * 40)}
    r = _post_import(client, auth, _ndjson(deep, GLOBEX))
    assert r.status_code == 422 and r.get_json()["errors"][0]["line"] == 1


def _envelope(r, status: int) -> dict:
    assert r.status_code == status, r.get_data(as_text=True)
    err = r.get_json()["error"]
    assert set(err) == {"code", "message", "details"} and err["message"]
    return err


def test_a_task_body_nested_50k_deep_is_a_400(client, auth, load):
    load([ACME])
    body = b'{"subject": ' + b"[" * 50_000 + b"]" * 50_000 + b"}"
    r = client.post("/api/v1/accounts/acme/tasks", data=body,
                    headers={**auth, "Content-Type": "application/json"})
    assert _envelope(r, 400)["code"] == "invalid_body"


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31", "1899-12-31", "3000-01-01"])
@pytest.mark.parametrize("url", [
    "/api/v1/accounts/acme/360?as_of={}", "/api/v1/accounts?sort=arr&as_of={}",
    "/api/v1/accounts/lookup?domain=acme.com&as_of={}", "/api/v1/portfolio?as_of={}",
    "/api/v1/portfolio?start={}", "/api/v1/portfolio?end={}",
    "/api/v1/portfolio?start=1900-01-01&end={}"])
def test_dates_at_the_ends_of_the_calendar_are_a_400(client, auth, load, url, day):
    load([ACME])
    err = _envelope(client.get(url.format(day), headers=auth), 400)
    assert err["code"] == "invalid_parameter" and "between" in err["message"]


@pytest.mark.parametrize("day", ["1900-01-01", "2999-12-31"])
def test_dates_at_the_bounds_still_compute(client, auth, load, day):
    load([{**ACME, "renewal_date": "2999-12-31", "onboarding_start": "1900-01-01",
           "seats": 2**31 - 1},
          {"type": "deal", "id": "d", "account_id": "acme", "kind": "new", "status": "won",
           "amount": "9999999999999999.99", "close_date": "1900-01-01"},
          {"type": "event", "account_id": "acme", "user_id": "u", "name": "login",
           "time": "2999-12-31T23:59:59Z"}])
    for url in (f"/api/v1/accounts/acme/360?as_of={day}", f"/api/v1/accounts?sort=-arr&as_of={day}",
                f"/api/v1/portfolio?as_of={day}", f"/api/v1/portfolio?start=1900-01-01&end={day}"):
        assert client.get(url, headers=auth).status_code == 200, url


@pytest.mark.parametrize("offset", ["1e30", "Infinity", str(2**64), "-1", '"5"', "1.5", "true"])
@pytest.mark.parametrize("sort", ["name", "arr"])
def test_cursor_offsets_out_of_range_are_a_400(client, auth, load, offset, sort):
    load([ACME])
    cursor = base64.urlsafe_b64encode(f'{{"o": {offset}}}'.encode()).decode()
    r = client.get(f"/api/v1/accounts?sort={sort}&cursor={cursor}", headers=auth)
    err = _envelope(r, 400)
    assert err["details"] == {"cursor": "use next_cursor from a previous page"}


def test_like_wildcards_in_q_match_literally(client, auth, load):
    load([ACME, GLOBEX, {"type": "account", "id": "pct", "name": "100% Foods"},
          {"type": "account", "id": "und", "name": "snake_case Ltd"}])

    def names(q):
        r = client.get("/api/v1/accounts", query_string={"q": q}, headers=auth)
        assert r.status_code == 200
        return [i["name"] for i in r.get_json()["items"]]

    assert names("%") == ["100% Foods"]
    assert names("_") == ["snake_case Ltd"]
    assert names("\\") == []
    assert names("acm") == ["Acme"]
