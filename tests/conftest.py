"""Shared fixtures: a fresh migrated store per test (SQLite, or PostgreSQL when
ACCOUNT360_TEST_DATABASE_URL is set), the Flask app, a client and an API token."""

from __future__ import annotations

import json
import os
import shutil
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from server.db import Store

PG_URL = os.environ.get("ACCOUNT360_TEST_DATABASE_URL")


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch):
    """Tests never see the developer's ACCOUNT360_* or vendor settings."""
    for key in list(os.environ):
        if key.startswith("ACCOUNT360_") and key != "ACCOUNT360_TEST_DATABASE_URL" \
                and key != "ACCOUNT360_ARTIFACT_DIR":
            monkeypatch.delenv(key, raising=False)


@pytest.fixture(scope="session")
def _template(tmp_path_factory):
    """One migrated database per session, copied for every test."""
    if PG_URL:
        url = make_url(PG_URL)
        name = f"a360_tmpl_{uuid.uuid4().hex[:8]}"
        admin = create_engine(url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        tmpl_url = url.set(database=name).render_as_string(hide_password=False)
        Store(tmpl_url, migrate=True).dispose()
        yield ("pg", admin, url, name)
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    else:
        path = tmp_path_factory.mktemp("tmpl") / "template.db"
        Store(f"sqlite:///{path}", migrate=True).dispose()
        yield ("sqlite", None, None, path)


@pytest.fixture
def db_url(_template, tmp_path):
    """A fresh, migrated, empty database for one test."""
    kind, admin, url, tmpl = _template
    if kind == "sqlite":
        path = tmp_path / "account360.db"
        shutil.copy(tmpl, path)
        yield f"sqlite:///{path}"
        return
    name = f"a360_t_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{tmpl}"'))
    yield url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def store(db_url):
    s = Store(db_url)
    yield s
    s.dispose()


@pytest.fixture
def settings_file(tmp_path):
    """Write a workspace settings file and return its path."""
    def write(body: str) -> str:
        path = tmp_path / "settings.toml"
        path.write_text(body)
        return str(path)
    return write


@pytest.fixture
def make_app(db_url, tmp_path):
    apps = []

    def build(**overrides):
        from server import create_app

        cfg = {"DATABASE_URL": db_url, "DATA_DIR": str(tmp_path / "data"),
               "SECRET_KEY": "test-secret", **overrides}
        if cfg["DATABASE_URL"] != db_url:     # another database: migrate it, as a deploy does
            Store(cfg["DATABASE_URL"], migrate=True).dispose()
        app = create_app(cfg)
        app.config["TESTING"] = True
        apps.append(app)
        return app

    yield build
    for app in apps:
        app.extensions["account360"].store.dispose()


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def token(app):
    from server.auth import create_token

    return create_token(app.extensions["account360"].store, "tester")


@pytest.fixture
def auth(token):
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def load(app):
    """Import records (dicts) into the app's store through the JSONL import path."""
    from server.importer import import_lines

    def do(records):
        lines = [json.dumps(r).encode() for r in records]
        report = import_lines(app.extensions["account360"].store, lines)
        assert report.rejected == 0, report.errors
        return report

    return do


@pytest.fixture(scope="session")
def artifact_dir(tmp_path_factory) -> Path:
    """Where browser tests save screenshots: $ACCOUNT360_ARTIFACT_DIR, else a temporary folder."""
    root = os.environ.get("ACCOUNT360_ARTIFACT_DIR")
    path = Path(root) if root else tmp_path_factory.mktemp("artifacts")
    path.mkdir(parents=True, exist_ok=True)
    return path


STORE_DIRS = ("server", "connectors")


def pytest_collection_modifyitems(config, items):
    """Tests of the store, API and connectors also run against PostgreSQL in CI."""
    for item in items:
        parts = Path(str(item.fspath)).parts
        if "tests" in parts and parts[parts.index("tests") + 1] in STORE_DIRS:
            item.add_marker(pytest.mark.store)


@pytest.fixture(scope="session")
def playwright_driver():
    """The session's one Playwright (sync API) driver: only one may run per thread at a time, so
    every browser test suite launches its Chromium from this one (started on first use)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        yield pw
