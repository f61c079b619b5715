"""API hardening the admin issue requires: unknown fields and oversized bodies -> 400, CORS
only for the configured extension origins (and never on the admin pages)."""

from __future__ import annotations


def test_write_endpoints_reject_unknown_fields_and_big_bodies(make_app, load):
    app = make_app(MAX_BODY_BYTES=2000)
    from server.auth import create_token
    from server.importer import import_lines

    import_lines(app.extensions["account360"].store,
                 [b'{"type": "account", "id": "acme", "name": "Acme"}'])
    auth = {"Authorization": "Bearer " + create_token(app.extensions["account360"].store, "t")}
    c = app.test_client()
    r = c.post("/api/v1/accounts/acme/notes", headers=auth, json={"body": "hi", "admin": True})
    assert r.status_code == 400 and r.get_json()["error"]["details"] == {"admin": "unknown field"}
    r = c.post("/api/v1/accounts/acme/notes", headers=auth, json={"body": "x" * 5000})
    assert r.status_code == 400 and r.get_json()["error"]["code"] == "body_too_large"
    r = c.post("/api/v1/accounts/acme/notes", headers=auth, json={"body": "fine"})
    assert r.status_code == 201


def test_cors_only_for_configured_extension_origins(make_app):
    ext = "chrome-extension://abcdefghijklmnopabcdefghijklmnop"
    app = make_app(EXTENSION_ORIGINS=ext)
    c = app.test_client()
    ok = c.options("/api/v1/me", headers={"Origin": ext, "Access-Control-Request-Method": "GET"})
    assert ok.headers.get("Access-Control-Allow-Origin") == ext
    bad = c.options("/api/v1/me", headers={"Origin": "https://evil.example",
                                           "Access-Control-Request-Method": "GET"})
    assert "Access-Control-Allow-Origin" not in bad.headers
    page = c.get("/admin/login", headers={"Origin": ext})
    assert "Access-Control-Allow-Origin" not in page.headers
    hook = c.post("/webhooks/hubspot", headers={"Origin": ext}, data=b"[]")
    assert hook.status_code == 401 and "Access-Control-Allow-Origin" not in hook.headers


def test_webhook_rejects_oversized_bodies(app):
    r = app.test_client().post("/webhooks/hubspot", data=b"[" + b" " * 1_100_000 + b"]",
                               content_type="application/json")
    assert r.status_code == 400
