"""POST of a task or note with an Idempotency-Key: a retried request answers the first
result and creates nothing more; keys are per token and expire."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from server import models as m
from server.auth import create_token
from server.receipts import IdempotentRequest


@pytest.fixture
def acme(load):
    load([{"type": "account", "id": "acme", "name": "Acme"}])


def _count(app, model) -> int:
    with app.extensions["account360"].store.sessions() as s:
        return s.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize("path,body,model", [
    ("/api/v1/accounts/acme/tasks", {"subject": "Call Ann"}, m.Task),
    ("/api/v1/accounts/acme/notes", {"body": "Met Ann"}, m.Note)])
def test_a_retried_post_answers_the_first_result(app, client, auth, acme, path, body, model):
    key = {**auth, "Idempotency-Key": "retry-1"}
    first = client.post(path, json=body, headers=key)
    second = client.post(path, json=body, headers=key)
    assert first.status_code == second.status_code == 201
    assert second.get_json() == first.get_json()
    assert second.headers.get("Idempotent-Replayed") == "true"
    assert _count(app, model) == 1
    other = client.post(path, json=body, headers={**auth, "Idempotency-Key": "retry-2"})
    assert other.status_code == 201 and other.get_json()["id"] != first.get_json()["id"]
    assert client.post(path, json=body, headers=auth).status_code == 201
    assert _count(app, model) == 3


def test_the_same_key_with_another_body_is_a_422(client, auth, acme):
    key = {**auth, "Idempotency-Key": "k"}
    assert client.post("/api/v1/accounts/acme/notes", json={"body": "a"},
                       headers=key).status_code == 201
    r = client.post("/api/v1/accounts/acme/notes", json={"body": "b"}, headers=key)
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "idempotency_key_reused"


def test_keys_are_per_token(app, client, auth, acme):
    other = {"Authorization": "Bearer " + create_token(app.extensions["account360"].store, "o")}
    body = {"body": "same"}
    a = client.post("/api/v1/accounts/acme/notes", json=body,
                    headers={**auth, "Idempotency-Key": "k"})
    b = client.post("/api/v1/accounts/acme/notes", json=body,
                    headers={**other, "Idempotency-Key": "k"})
    assert a.status_code == b.status_code == 201 and a.get_json()["id"] != b.get_json()["id"]


def test_a_failed_request_is_not_kept(client, auth, acme):
    key = {**auth, "Idempotency-Key": "k"}
    assert client.post("/api/v1/accounts/nope/notes", json={"body": "a"},
                       headers=key).status_code == 404
    assert client.post("/api/v1/accounts/nope/notes", json={"body": "a"},
                       headers=key).status_code == 404
    r = client.post("/api/v1/accounts/acme/notes", json={"body": "a"}, headers=key)
    assert r.status_code == 201


def test_expired_keys_are_forgotten(app, client, auth, acme):
    key = {**auth, "Idempotency-Key": "k"}
    first = client.post("/api/v1/accounts/acme/notes", json={"body": "a"}, headers=key)
    with app.extensions["account360"].store.session() as s:
        s.execute(update(IdempotentRequest).values(
            created_at=IdempotentRequest.created_at - timedelta(days=2)))
    again = client.post("/api/v1/accounts/acme/notes", json={"body": "a"}, headers=key)
    assert again.status_code == 201 and again.get_json()["id"] != first.get_json()["id"]
    assert _count(app, IdempotentRequest) == 1


@pytest.mark.parametrize("bad", ["", "x" * 256, "caf\u00e9"])
def test_a_malformed_key_is_a_400(client, auth, acme, bad):
    r = client.post("/api/v1/accounts/acme/notes", json={"body": "a"},
                    headers={**auth, "Idempotency-Key": bad.encode("utf-8").decode("latin-1")})
    assert r.status_code == 400 and r.get_json()["error"]["code"] == "invalid_header"


def test_concurrent_retries_create_one_task(app, auth, acme):
    def send(_):
        r = app.test_client().post("/api/v1/accounts/acme/tasks", json={"subject": "once"},
                                   headers={**auth, "Idempotency-Key": "burst"})
        return r.status_code

    with ThreadPoolExecutor(6) as pool:
        codes = list(pool.map(send, range(12)))
    assert set(codes) <= {201, 409} and 201 in codes
    assert _count(app, m.Task) == 1
