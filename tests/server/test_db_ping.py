"""Pooled connections are pinged only after being idle: one used a moment ago goes straight to
its statement (no extra round trip per request), one idle for longer is pinged and, when it
is gone, replaced before the caller sees it."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from server import db


@pytest.fixture
def engine(db_url, monkeypatch):
    eng = create_engine(db_url)
    db._ping_when_idle(eng)
    pings = []
    real = eng.dialect.do_ping
    monkeypatch.setattr(eng.dialect, "do_ping", lambda conn: pings.append(conn) or real(conn))
    eng.pings = pings
    yield eng
    eng.dispose()


def _one(engine):
    with engine.connect() as conn:
        assert conn.execute(text("SELECT 1")).scalar() == 1
        return conn.connection.dbapi_connection


def test_a_connection_used_a_moment_ago_is_not_pinged(engine):
    first = _one(engine)
    assert _one(engine) is first and _one(engine) is first
    assert engine.pings == []


def test_an_idle_connection_is_pinged(engine, monkeypatch):
    first = _one(engine)
    monkeypatch.setattr(db, "PING_IDLE_SECONDS", 0.0)
    assert _one(engine) is first
    assert engine.pings == [first]


def test_a_dead_idle_connection_is_replaced_before_use(engine, monkeypatch):
    first = _one(engine)
    first.close()   # as a server restart or an idle timeout leaves it
    monkeypatch.setattr(db, "PING_IDLE_SECONDS", 0.0)
    again = _one(engine)
    assert again is not first and engine.pings == [first]


def test_the_store_engine_does_not_ping_at_every_checkout(db_url):
    engine = db.make_engine(db_url)
    try:
        assert not engine.pool._pre_ping   # the idle ping above instead
    finally:
        engine.dispose()
