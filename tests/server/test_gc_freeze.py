"""A serving process freezes its startup objects out of the collector before its first
request (server.gc_freeze); an app under test freezes nothing."""

from __future__ import annotations

import gc

import pytest

from server import gc_freeze


@pytest.fixture
def unfrozen(monkeypatch):
    gc.unfreeze()
    monkeypatch.setattr(gc_freeze, "_frozen", False)
    yield
    gc.unfreeze()       # the rest of the suite collects as before


def test_first_request_freezes_the_objects_built_before_it(make_app, unfrozen):
    app = make_app(SCHEDULER="off")
    app.testing = False                      # served, as by `account360 serve` or gunicorn
    client = app.test_client()
    assert gc.get_freeze_count() == 0
    assert client.get("/healthz").status_code == 200
    frozen = gc.get_freeze_count()
    assert frozen > 1000 and len(gc.get_objects()) < frozen / 2   # out of the generations
    assert client.get("/healthz").status_code == 200
    assert gc.get_freeze_count() == frozen              # once per process


def test_an_app_under_test_freezes_nothing(make_app, unfrozen):
    client = make_app().test_client()
    assert client.get("/healthz").status_code == 200
    assert gc.get_freeze_count() == 0
