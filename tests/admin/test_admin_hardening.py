"""Admin-app hardening: JSON routes answer JSON errors, command-line tokens are listed and
revocable by admins, connector forms show labels and help in plain words."""

from __future__ import annotations

import html
import re

from server.auth import create_token


def test_json_route_answers_csrf_failures_with_the_envelope(app, admin_browser):
    c = admin_browser.client
    for headers in ({}, {"X-CSRF-Token": "forged"}):
        r = c.post("/admin/extension/token", json={}, headers=headers)
        assert r.status_code == 400 and r.mimetype == "application/json"
        err = r.get_json()["error"]
        assert set(err) == {"code", "message", "details"} and "reload" in err["message"]
    ok = c.post("/admin/extension/token", json={},
                headers={"X-CSRF-Token": admin_browser.csrf})
    assert ok.status_code == 200 and ok.get_json()["token"].startswith("a360_")
    signed_out = app.test_client()
    page = signed_out.get("/admin/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))[1]
    r = signed_out.post("/admin/extension/token", json={}, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 401 and r.get_json()["error"]["message"] == "Sign in first."


def test_command_line_tokens_are_listed_and_revocable_by_admins(app, admin_browser,
                                                                make_user, browser):
    store = app.extensions["account360"].store
    token = create_token(store, "nightly export")  # what `account360 token create` does
    api = app.test_client()
    bearer = {"Authorization": f"Bearer {token}"}
    assert api.get("/api/v1/me", headers=bearer).status_code == 200
    page = admin_browser.get("/admin/me").get_data(as_text=True)
    row = next(r for r in page.split("<tr>") if "nightly export" in r)
    assert token[:12] in row and "command line" in row and token not in page
    token_id = int(re.search(r"/admin/tokens/(\d+)/revoke", row)[1])
    make_user("csm@example.com", "csm")
    csm = browser()
    csm.login("csm@example.com")
    assert "nightly export" not in csm.get("/admin/me").get_data(as_text=True)
    assert csm.post(f"/admin/tokens/{token_id}/revoke").status_code == 403
    assert api.get("/api/v1/me", headers=bearer).status_code == 200
    assert admin_browser.post(f"/admin/tokens/{token_id}/revoke").status_code == 302
    assert api.get("/api/v1/me", headers=bearer).status_code == 401
    row = next(r for r in admin_browser.get("/admin/me").get_data(as_text=True).split("<tr>")
               if "nightly export" in r)
    assert "revoked" in row


def _visible(page: str) -> str:
    body = re.sub(r"<[^>]+>", " ", page.split("<main>", 1)[1])
    return html.unescape(body)


def test_settings_forms_show_labels_and_help(app, admin_browser):
    page = admin_browser.get("/admin/connectors/zendesk/settings").get_data(as_text=True)
    text = _visible(page)
    for label in ("Subdomain", "Base URL", "API token", "OAuth token", "Client ID",
                  "Backfill days", "Start date"):
        assert label in text, label
    assert "Instead of “Subdomain”: the full https://... base URL." in text
    assert "default: “Backfill days” before today" in text
    for raw in ("SUBDOMAIN", "API_TOKEN", "BACKFILL_DAYS", "START_DATE", "ZENDESK_",
                "api_token", "base_url", "backfill days"):
        assert raw not in text, raw
    mix = _visible(admin_browser.get("/admin/connectors/mixpanel/settings").get_data(
        as_text=True))
    assert "with “Service account secret” and “Project ID”" in mix
    assert "_SERVICE_ACCOUNT_SECRET" not in mix and "Service account username" in mix
