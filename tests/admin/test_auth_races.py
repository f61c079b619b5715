"""Sign-in and pairing-code limits hold under parallel requests: the attempt is counted
atomically in the database before the password or code is checked."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from threading import Barrier, Lock

import pytest

from server.admin import security
from server.admin.security import LOGIN_LIMIT
from tests.admin.conftest import PASSWORD, Browser

pytestmark = pytest.mark.store

PARALLEL = 30


def _counting_verify(monkeypatch):
    """Wrap verify_password where the sign-in service calls it; return the call counter."""
    from server.services import users

    calls = {"n": 0}
    lock = Lock()
    real = security.verify_password

    def counted(stored, password):
        with lock:
            calls["n"] += 1
        return real(stored, password)

    monkeypatch.setattr(users, "verify_password", counted)
    return calls


def test_parallel_wrong_passwords_check_at_most_the_limit(app, make_user, monkeypatch):
    make_user("a@example.com")
    calls = _counting_verify(monkeypatch)
    browsers = [Browser(app.test_client()) for _ in range(PARALLEL)]
    for b in browsers:
        b.get("/admin/login")
    start = Barrier(PARALLEL)

    def attempt(b):
        start.wait()
        return b.client.post("/admin/login", data={
            "csrf_token": b.csrf, "email": "a@example.com", "password": "not the password"}
        ).status_code

    with ThreadPoolExecutor(PARALLEL) as pool:
        codes = list(pool.map(attempt, browsers))
    assert codes.count(401) == LOGIN_LIMIT
    assert codes.count(429) == PARALLEL - LOGIN_LIMIT
    assert calls["n"] == LOGIN_LIMIT
    late = Browser(app.test_client())
    assert late.login("a@example.com", PASSWORD).status_code == 429  # still blocked


def test_a_success_clears_the_count(app, make_user):
    make_user("a@example.com")
    b = Browser(app.test_client())
    for _ in range(LOGIN_LIMIT - 1):
        assert b.login("a@example.com", "not the password").status_code == 401
    assert b.login("a@example.com").status_code == 302
    b.post("/admin/logout")
    for _ in range(LOGIN_LIMIT - 1):
        assert b.login("a@example.com", "not the password").status_code == 401
    assert b.login("a@example.com").status_code == 302


def test_parallel_wrong_pairing_codes_check_at_most_the_limit(app, make_user, monkeypatch):
    from server.admin import pairing

    make_user("csm@example.com", "csm")
    checked = {"n": 0}
    lock = Lock()
    real = pairing.claim

    def counted(store, code):
        with lock:
            checked["n"] += 1
        return real(store, code)

    monkeypatch.setattr(pairing, "claim", counted)
    start = Barrier(PARALLEL)

    def attempt(_):
        client = app.test_client()
        start.wait()
        return client.post("/api/v1/pair", json={"code": "ZZZZ-ZZZZ"}).status_code

    with ThreadPoolExecutor(PARALLEL) as pool:
        codes = list(pool.map(attempt, range(PARALLEL)))
    assert codes.count(400) == pairing.LIMIT
    assert codes.count(429) == PARALLEL - pairing.LIMIT
    assert checked["n"] == pairing.LIMIT


def test_counter_windows_expire(store):
    from datetime import datetime, timedelta, timezone

    from sqlalchemy import update

    from server.admin.models import RateLimit

    for _ in range(3):
        assert security.take_attempt(store, "t", "x", limit=3)
    assert not security.take_attempt(store, "t", "x", limit=3)
    assert security.take_attempt(store, "t", "other", limit=3)  # another subject
    old = datetime.now(timezone.utc) - security.LOGIN_WINDOW - timedelta(seconds=1)
    with store.session() as s:
        s.execute(update(RateLimit).values(window_start=old))
    assert security.take_attempt(store, "t", "x", limit=3)  # a new window starts at 1
    assert security.take_attempt(store, "t", "x", limit=3)
