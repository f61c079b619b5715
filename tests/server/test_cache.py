"""The shared 360 cache under threads: no lost or crossed entries, no errors."""

from __future__ import annotations

import itertools
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from server.auth import create_token
from server.importer import import_lines
from server.services.cache import SharedCache


@pytest.fixture
def busy_switching():
    """Switch threads as often as possible so unguarded structures would be caught."""
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(old)


def hammer(cache, workers: int = 8, rounds: int = 4000) -> list[str]:
    """Each worker writes and reads its own keys; returns the problems it saw."""
    problems: list[str] = []

    def work(n: int) -> None:
        try:
            for i in range(rounds):
                key = (f"acc-{n}", i % 97)
                cache.put(key, (n, i % 97))
                hit = cache.get(key)
                if hit is not None and hit != (n, i % 97):
                    problems.append(f"{key} returned {hit}")
                other = cache.get((f"acc-{(n + 1) % workers}", i % 97))
                if other is not None and other[0] != (n + 1) % workers:
                    problems.append(f"crossed entry {other}")
        except Exception as exc:  # noqa: BLE001 - any error is the finding
            problems.append(repr(exc))

    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(work, range(workers)))
    return problems


def test_shared_cache_survives_threads_with_evictions_and_expiry(busy_switching):
    ticks = itertools.count()
    lock = threading.Lock()

    def timer() -> float:          # a clock that moves on every call: entries keep expiring
        with lock:
            return next(ticks) / 50

    cache = SharedCache(maxsize=64, ttl=1.0, timer=timer)
    assert hammer(cache) == []
    assert len(cache) <= 64


def test_shared_cache_keeps_what_fits():
    cache = SharedCache(maxsize=10, ttl=60)
    for i in range(10):
        cache.put(("a", i), i)
    assert [cache.get(("a", i)) for i in range(10)] == list(range(10))
    cache.put(("a", 10), 10)
    assert len(cache) == 10 and cache.get(("a", 10)) == 10


def test_360_reads_during_concurrent_task_writes_see_every_task(make_app):
    app = make_app(CACHE_TTL=3600)
    tok = create_token(app.extensions["account360"].store, "t")
    headers = {"Authorization": f"Bearer {tok}"}
    lines = [b'{"type":"account","id":"A","name":"A"}']
    assert import_lines(app.extensions["account360"].store, lines).rejected == 0

    def write(n: int) -> list[str]:
        client = app.test_client()
        ids = []
        for i in range(5):
            r = client.post("/api/v1/accounts/A/tasks", headers=headers,
                            json={"subject": f"task {n}-{i}"})
            assert r.status_code == 201, r.get_data(as_text=True)
            ids.append(r.get_json()["id"])
        return ids

    def read(_: int) -> int:
        client = app.test_client()
        for _ in range(10):
            r = client.get("/api/v1/accounts/A/360", headers=headers)
            assert r.status_code == 200, r.get_data(as_text=True)
        return len(r.get_json()["tasks"])

    with ThreadPoolExecutor(8) as pool:
        writes = [pool.submit(write, n) for n in range(4)]
        reads = [pool.submit(read, n) for n in range(4)]
        created = {i for f in writes for i in f.result()}
        assert all(0 <= f.result() <= 20 for f in reads)
    body = app.test_client().get("/api/v1/accounts/A/360", headers=headers).get_json()
    assert {t["id"] for t in body["tasks"]} == created and len(created) == 20


def test_a_warm_360_is_one_statement_on_one_connection_as_the_trivial_route(make_app):
    """The token check reads the account's change stamp in its own statement and the 360's
    reads share its session: a cached 360 checks out one connection and runs one statement
    (the token, its user and the stamp), as the trivial route does; after a write it is
    computed again; an unknown account is a 404 and a bad token a 401."""
    from sqlalchemy import event

    app = make_app(CACHE_TTL=3600)
    store = app.extensions["account360"].store
    headers = {"Authorization": f"Bearer {create_token(store, 't')}"}
    lines = [b'{"type":"account","id":"A","name":"Acme"}']
    assert import_lines(store, lines).rejected == 0
    client = app.test_client()
    first = client.get("/api/v1/accounts/A/360", headers=headers)
    assert first.status_code == 200
    checkouts, statements = [], []
    event.listen(store.engine, "checkout", lambda *a: checkouts.append(1))
    event.listen(store.engine, "before_cursor_execute",
                 lambda conn, cur, sql, *a: statements.append(sql.split()[0]))
    again = client.get("/api/v1/accounts/A/360", headers=headers)
    assert again.status_code == 200 and again.get_data() == first.get_data()
    assert (len(checkouts), statements) == (1, ["SELECT"])
    del checkouts[:], statements[:]
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    assert (len(checkouts), statements) == (1, ["SELECT"])
    r = client.post("/api/v1/accounts/A/notes", headers=headers, json={"body": "called"})
    assert r.status_code == 201
    body = client.get("/api/v1/accounts/A/360", headers=headers).get_json()
    assert [n["body"] for n in body["notes"]] == ["called"]
    assert client.get("/api/v1/accounts/nope/360", headers=headers).status_code == 404
    bad = {"Authorization": "Bearer a360_not-a-token"}
    assert client.get("/api/v1/accounts/A/360", headers=bad).status_code == 401
