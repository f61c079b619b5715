"""The HTTP layer never re-sends a non-idempotent request (a create) after a timeout or a
5xx, since the vendor may have carried it out; it does when the connection was never made,
and read-only POSTs (searches, token refreshes) marked idempotent keep their retries."""

from __future__ import annotations

import socket

import pytest
import requests
import responses

from connectors.errors import TransientError
from connectors.http import HttpClient

BASE = "https://api.vendor.test"


def client(base=BASE, **kw):
    sleeps: list[float] = []
    c = HttpClient("vendor", base, sleep=sleeps.append, **kw)
    c.retrier.jitter = lambda: 1.0
    return c, sleeps


@responses.activate
@pytest.mark.parametrize("failure", [dict(status=503), dict(status=500),
                                     dict(body=requests.ReadTimeout("slow"))])
def test_a_post_is_not_resent_after_a_5xx_or_a_timeout(failure):
    responses.post(f"{BASE}/tasks", **failure)
    responses.post(f"{BASE}/tasks", json={"id": "2"})
    c, sleeps = client()
    with pytest.raises(TransientError):
        c.post_json("/tasks", json={"subject": "x"})
    assert len(responses.calls) == 1 and sleeps == []


@responses.activate
def test_a_read_only_post_marked_idempotent_is_retried():
    responses.post(f"{BASE}/search", status=503)
    responses.post(f"{BASE}/search", json={"results": []})
    c, sleeps = client()
    assert c.post_json("/search", json={}, idempotent=True) == {"results": []}
    assert len(responses.calls) == 2 and sleeps == [0.5]


@responses.activate
def test_get_put_delete_are_still_retried():
    for method in (responses.GET, responses.PUT, responses.DELETE):
        responses.add(method, f"{BASE}/thing", status=502)
        responses.add(method, f"{BASE}/thing", json={"ok": 1})
    c, _ = client()
    for method in ("GET", "PUT", "DELETE"):
        assert c.request(method, "/thing").json() == {"ok": 1}
    assert len(responses.calls) == 6


@responses.activate
def test_a_post_refused_by_429_is_retried():
    responses.post(f"{BASE}/tasks", status=429, headers={"Retry-After": "2"})
    responses.post(f"{BASE}/tasks", json={"id": "1"})
    c, sleeps = client()
    assert c.post_json("/tasks", json={}) == {"id": "1"} and sleeps == [2.0]


def test_a_post_that_could_not_connect_is_retried_then_reported():
    """A port nobody listens on: the connection is refused, so the POST provably never left;
    it is retried (max_retries times) and then reported."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    c, sleeps = client(f"http://127.0.0.1:{port}", max_retries=2)
    with pytest.raises(TransientError) as info:
        c.post_json("/tasks", json={})
    assert info.value.unsent is True
    assert len(sleeps) == 2
