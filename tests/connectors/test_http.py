"""The shared HTTP layer: retries, 429, one refresh on 401, typed errors, no secrets."""

from __future__ import annotations

import pytest
import requests
import responses

from connectors.errors import (
    AuthError,
    ConfigError,
    RateLimitError,
    ResponseError,
    TransientError,
)
from connectors.http import HttpClient, Retrier, classify, parse_retry_after, safe_url

BASE = "https://api.vendor.test"


def client(**kw):
    sleeps: list[float] = []
    c = HttpClient("vendor", BASE, sleep=sleeps.append, **kw)
    c.retrier.jitter = lambda: 1.0  # deterministic backoff: base * 2^n
    return c, sleeps


@responses.activate
def test_5xx_is_retried_with_exponential_backoff_then_succeeds():
    responses.get(f"{BASE}/items", status=502)
    responses.get(f"{BASE}/items", status=503)
    responses.get(f"{BASE}/items", json={"ok": True})
    c, sleeps = client()
    assert c.get_json("/items") == {"ok": True}
    assert sleeps == [0.5, 1.0]
    assert len(responses.calls) == 3


@responses.activate
def test_5xx_gives_up_after_max_retries():
    for _ in range(4):
        responses.get(f"{BASE}/items", status=500, json={"message": "boom"})
    c, sleeps = client(max_retries=3)
    with pytest.raises(TransientError) as info:
        c.get_json("/items", stream_name="items")
    assert info.value.status == 500 and info.value.stream == "items"
    assert len(responses.calls) == 4 and len(sleeps) == 3


@responses.activate
def test_connection_error_and_timeout_are_transient():
    responses.get(f"{BASE}/a", body=requests.ConnectionError("refused"))
    responses.get(f"{BASE}/a", body=requests.Timeout("slow"))
    responses.get(f"{BASE}/a", json=[1])
    c, sleeps = client()
    assert c.get_json("/a") == [1]
    assert len(sleeps) == 2


@responses.activate
def test_429_honours_retry_after():
    responses.get(f"{BASE}/a", status=429, headers={"Retry-After": "7"},
                  json={"status": "error", "errorType": "RATE_LIMIT"})
    responses.get(f"{BASE}/a", json={"n": 1})
    c, sleeps = client()
    assert c.get_json("/a") == {"n": 1}
    assert sleeps == [7.0]


@responses.activate
def test_429_without_header_uses_backoff_and_vendor_hook():
    responses.get(f"{BASE}/a", status=429, headers={"X-Vendor-Reset": "3"})
    responses.get(f"{BASE}/a", status=429)
    responses.get(f"{BASE}/a", json={})

    def hook(status, headers, body):
        value = headers.get("X-Vendor-Reset")
        return float(value) if value else None

    c, sleeps = client(rate_limit_hook=hook)
    c.get_json("/a")
    assert sleeps == [3.0, 1.0]


@responses.activate
def test_429_with_an_absurd_wait_is_raised_not_slept():
    responses.get(f"{BASE}/a", status=429, headers={"Retry-After": "86400"})
    c, sleeps = client()
    with pytest.raises(RateLimitError) as info:
        c.get_json("/a")
    assert info.value.retry_after == 86400 and sleeps == []


@responses.activate
def test_401_refreshes_once_then_retries_with_the_new_token():
    tokens = {"current": "old"}

    def auth(headers):
        headers["Authorization"] = f"Bearer {tokens['current']}"

    def refresh():
        tokens["current"] = "new"

    responses.get(f"{BASE}/a", status=401, json={"message": "expired"},
                  match=[responses.matchers.header_matcher({"Authorization": "Bearer old"})])
    responses.get(f"{BASE}/a", json={"ok": 1},
                  match=[responses.matchers.header_matcher({"Authorization": "Bearer new"})])
    c, sleeps = client(auth=auth, refresh=refresh)
    assert c.get_json("/a") == {"ok": 1}
    assert c.retrier.refreshes == 1 and sleeps == []


@responses.activate
def test_401_after_a_refresh_is_an_auth_error():
    responses.get(f"{BASE}/a", status=401)
    responses.get(f"{BASE}/a", status=401)
    calls = []
    c, _ = client(refresh=lambda: calls.append(1))
    with pytest.raises(AuthError):
        c.get_json("/a")
    assert calls == [1] and len(responses.calls) == 2


@responses.activate
def test_403_is_not_retried_and_400_is_a_response_error_with_vendor_code():
    responses.get(f"{BASE}/forbidden", status=403, json={"message": "missing scopes"})
    responses.post(f"{BASE}/search", status=400,
                   json={"status": "error", "message": "bad filter", "category": "VALIDATION_ERROR"})
    c, sleeps = client(refresh=lambda: None)
    with pytest.raises(AuthError):
        c.get_json("/forbidden")
    with pytest.raises(ResponseError) as info:
        c.post_json("/search", json={})
    assert info.value.vendor_code == "VALIDATION_ERROR" and "bad filter" in info.value.message
    assert sleeps == [] and len(responses.calls) == 2


def test_salesforce_quota_is_a_rate_limit_that_stops():
    err = classify(403, {}, b'[{"message": "TotalRequests Limit exceeded.", '
                            b'"errorCode": "REQUEST_LIMIT_EXCEEDED"}]', connector="salesforce")
    assert isinstance(err, RateLimitError) and err.quota_exhausted
    calls = []

    def attempt():
        calls.append(1)
        raise err

    with pytest.raises(RateLimitError):
        Retrier("salesforce", sleep=lambda s: pytest.fail("must not sleep")).call(attempt)
    assert calls == [1]


@responses.activate
def test_non_json_body_is_a_response_error():
    responses.get(f"{BASE}/a", body="<html>", content_type="text/html")
    c, _ = client()
    with pytest.raises(ResponseError):
        c.get_json("/a")


def test_invalid_url_is_a_config_error():
    c, _ = client()
    with pytest.raises(ConfigError):
        c.request("GET", "http://")


@responses.activate
def test_errors_and_logs_never_carry_secrets(caplog):
    caplog.set_level("DEBUG")
    responses.get(f"{BASE}/a", status=404, json={"message": "nope"})
    c, _ = client(auth=lambda h: h.update(Authorization="Bearer s3cr3t-token"))
    with pytest.raises(ResponseError) as info:
        c.get_json("/a", params={"api_key": "s3cr3t-key", "page": "2"})
    assert "s3cr3t" not in info.value.url and "page=2" in info.value.url
    assert "s3cr3t" not in caplog.text


def test_safe_url_and_retry_after_parsing():
    assert safe_url("https://u:p@x.test/a?token=abc&q=1") == "https://x.test/a?token=%2A%2A%2A&q=1"
    assert parse_retry_after("2.5") == 2.5
    assert parse_retry_after(None) is None
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
