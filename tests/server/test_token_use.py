"""A token's last use is recorded (at most one write a minute); the command line creates
scoped and expiring tokens."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone

from sqlalchemy import update

from server import models as m
from server.auth import create_token, list_tokens


def _last_used(store):
    (tok,) = list_tokens(store)
    value = tok["last_used_at"]
    return value.replace(tzinfo=timezone.utc) if value and value.tzinfo is None else value


def test_last_use_is_recorded_and_throttled(app, client):
    store = app.extensions["account360"].store
    auth = {"Authorization": "Bearer " + create_token(store, "t")}
    assert _last_used(store) is None
    before = datetime.now(timezone.utc)
    assert client.get("/api/v1/me", headers=auth).status_code == 200
    first = _last_used(store)
    assert first is not None and first >= before - timedelta(seconds=1)
    assert client.get("/api/v1/me", headers=auth).status_code == 200
    assert _last_used(store) == first   # within the minute: no new write
    stale = first - timedelta(minutes=5)
    with store.session() as s:
        s.execute(update(m.ApiToken).values(last_used_at=stale))
    assert client.get("/api/v1/me", headers=auth).status_code == 200
    assert _last_used(store) > stale + timedelta(minutes=4)


def _cli(db_url, tmp_path, *args):
    env = {**os.environ, "ACCOUNT360_DATABASE_URL": db_url,
           "ACCOUNT360_DATA_DIR": str(tmp_path / "data")}
    return subprocess.run([sys.executable, "-m", "server", *args], env=env, text=True,
                          capture_output=True, timeout=300, stdin=subprocess.DEVNULL)


def test_cli_token_create_with_scope_and_expiry(make_app, db_url, tmp_path):
    proc = _cli(db_url, tmp_path, "token", "create", "--name", "reader", "--scope", "read",
                "--expires", "30d")
    assert proc.returncode == 0, proc.stderr
    assert "scopes: read" in proc.stderr
    token = proc.stdout.strip()
    c = make_app().test_client()
    auth = {"Authorization": f"Bearer {token}"}
    assert c.get("/api/v1/me", headers=auth).get_json()["scopes"] == ["read"]
    r = c.post("/api/v1/import", data=b"", headers={**auth, "Content-Type": "application/x-ndjson"})
    assert r.status_code == 403
    listing = _cli(db_url, tmp_path, "token", "list")
    assert "\treader\t" in listing.stdout and "\tread\t" in listing.stdout
    bad = _cli(db_url, tmp_path, "token", "create", "--name", "x", "--scope", "root")
    assert bad.returncode == 2 and "root" in bad.stderr
    bad = _cli(db_url, tmp_path, "token", "create", "--name", "x", "--expires", "soon")
    assert bad.returncode == 2 and "--expires" in bad.stderr


def test_cli_tokens_default_to_full_scope(make_app, db_url, tmp_path):
    proc = _cli(db_url, tmp_path, "token", "create", "--name", "ops")
    assert proc.returncode == 0 and "scopes: admin" in proc.stderr
    c = make_app().test_client()
    r = c.get("/api/v1/me", headers={"Authorization": f"Bearer {proc.stdout.strip()}"})
    assert r.get_json()["scopes"] == ["admin"]
