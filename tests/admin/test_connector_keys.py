"""Key-based connectors: the form, "Test connection" in plain words, save and first sync;
and secrets at rest: a planted secret never reaches the database file, logs or responses."""

from __future__ import annotations

import base64
import logging
import os
import stat
from pathlib import Path

import pytest
import requests
import responses
from sqlalchemy import text

from server.admin.models import SyncRequest

ME = "https://acme.zendesk.com/api/v2/users/me.json"
PLANTED = "PLANTED-zd-secret-9f8e7d6c"


def form(**over):
    return {"f_subdomain": "acme", "f_email": "ops@acme.io", "f_api_token": PLANTED, **over}


@pytest.fixture(autouse=True)
def _no_backoff(monkeypatch):
    from connectors.zendesk.connector import ZendeskConnector

    monkeypatch.setattr(ZendeskConnector, "sleep", staticmethod(lambda s: None))


@responses.activate
def test_test_connection_success_does_not_save(app, admin_browser, admin_state_):
    responses.get(ME, json={"user": {"id": 1, "role": "admin"}})
    r = admin_browser.post("/admin/connectors/zendesk/settings", {**form(), "action": "test"})
    assert r.status_code == 200 and b"Connected: the vendor accepted" in r.data
    call = responses.calls[0].request
    assert call.headers["Authorization"].startswith("Basic ")
    assert admin_state_.credentials.get("zendesk") is None
    assert PLANTED.encode() not in r.data  # the secret is not echoed back into the form


@pytest.mark.parametrize("answer, words", [
    (dict(status=401, json={"error": "Couldn't authenticate you"}),
     "rejected the key or secret"),
    (dict(status=403, json={"error": "Forbidden", "description": "no access"}),
     "no permission"),
    (dict(status=404, json={"error": "InvalidEndpoint", "description": "Not found"}),
     "is the region or subdomain right"),
    (dict(body=requests.ConnectionError("name or service not known")),
     "Could not reach the vendor"),
])
@responses.activate
def test_test_connection_failures_in_plain_words(app, admin_browser, admin_state_, answer, words):
    responses.get(ME, **answer)
    r = admin_browser.post("/admin/connectors/zendesk/settings", {**form(), "action": "save"})
    assert r.status_code == 400
    assert words in r.get_data(as_text=True)
    assert admin_state_.credentials.get("zendesk") is None  # a failing test saves nothing


def test_missing_settings_are_named(app, admin_browser):
    r = admin_browser.post("/admin/connectors/zendesk/settings",
                           {"f_subdomain": "", "action": "test"})
    assert r.status_code == 400
    assert "missing ZENDESK_SUBDOMAIN" in r.get_data(as_text=True)


@responses.activate
def test_save_keeps_secret_encrypted_and_queues_the_first_sync(app, admin_browser,
                                                              admin_state_, caplog, tmp_path):
    caplog.set_level(logging.DEBUG)
    responses.get(ME, json={"user": {"id": 1}})
    r = admin_browser.post("/admin/connectors/zendesk/settings", {**form(), "action": "save"})
    assert r.status_code == 302 and "first+sync" in r.headers["Location"].replace("%20", "+")
    assert admin_state_.credentials.get("zendesk")["api_token"] == PLANTED
    store = app.extensions["account360"].store
    with store.sessions() as s:
        assert [q.reason for q in s.query(SyncRequest)] == ["connect"]
    # the settings page shows the secret as saved, never its value; saving again keeps it
    page = admin_browser.get("/admin/connectors/zendesk/settings")
    assert b"saved; leave blank to keep" in page.data
    responses.get(ME, json={"user": {"id": 1}})
    r = admin_browser.post("/admin/connectors/zendesk/settings",
                           {**form(f_api_token=""), "action": "save"})
    assert r.status_code == 302
    assert admin_state_.credentials.get("zendesk")["api_token"] == PLANTED
    # responses of every page and JSON endpoint
    bodies = [admin_browser.get(u).data for u in (
        "/admin/connectors", "/admin/api/connectors", "/admin/connectors/zendesk/settings",
        "/admin/me", "/api/v1/openapi.json")]
    basic = base64.b64encode(f"ops@acme.io/token:{PLANTED}".encode())
    for body in bodies:
        assert PLANTED.encode() not in body and basic not in body
    # logs
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert PLANTED not in logged and basic.decode() not in logged
    # the database, byte for byte (SQLite file and WAL), or every text column (PostgreSQL)
    url = str(store.engine.url)
    if url.startswith("sqlite"):
        db = Path(store.engine.url.database)
        store.dispose()
        for path in db.parent.glob(db.name + "*"):
            raw = path.read_bytes()
            assert PLANTED.encode() not in raw and basic not in raw, path
    else:
        with store.engine.connect() as conn:
            sealed = conn.execute(text("SELECT sealed FROM connector_configs")).scalar()
        assert PLANTED not in sealed


def test_vault_key_file_is_private_and_rotation_keeps_old_values(tmp_path):
    from server.secrets import SecretError, Vault

    cfg = {"DATA_DIR": str(tmp_path / "data"), "SECRET_KEY": None}
    vault = Vault.from_config(cfg)
    key_file = tmp_path / "data" / "secret.key"
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    sealed = vault.encrypt({"token": PLANTED})
    assert PLANTED not in sealed and vault.decrypt(sealed) == {"token": PLANTED}
    old = key_file.read_text()
    rotated = Vault("a brand new key", previous=[old])
    assert rotated.decrypt(sealed) == {"token": PLANTED}
    assert Vault("a brand new key").decrypt(rotated.rotate(sealed)) == {"token": PLANTED}
    with pytest.raises(SecretError):
        Vault("a brand new key").decrypt(sealed)
    assert "a brand new key" not in repr(rotated)


def test_schedule_and_sync_now(app, admin_browser, admin_state_):
    r = admin_browser.post("/admin/connectors/zendesk/schedule", {"minutes": "60"})
    assert r.status_code == 302
    assert admin_browser.post("/admin/connectors/zendesk/schedule",
                              {"minutes": "-4"}).status_code == 400
    assert admin_browser.post("/admin/connectors/zendesk/sync").status_code == 400  # not connected
    assert admin_browser.get("/admin/connectors/nope/settings").status_code == 404
