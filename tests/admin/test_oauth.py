"""The OAuth 2.0 authorization-code flow against a fake HubSpot over real HTTP (Authlib
makes the token calls), refresh before expiry, refresh inside a sync, and disconnect."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import requests
from sqlalchemy import select

from server.admin.models import ConnectorConfig, SyncRequest


def start(b, fake) -> str:
    r = b.post("/admin/connectors/hubspot/connect")
    assert r.status_code == 302, r.data
    loc = r.headers["Location"]
    assert loc.startswith(fake.url + "/oauth/authorize?")
    return loc


def consent(loc: str) -> str:
    """The fake vendor's consent page; returns the callback path it redirects to."""
    page = requests.get(loc, timeout=5)
    assert page.status_code == 200 and "Allow account360" in page.text
    target = page.headers["X-Allow-Location"]
    return target.split("localhost", 1)[1]


def test_the_whole_dance(app, admin_browser, oauth_fake, admin_state_):
    loc = start(admin_browser, oauth_fake)
    q = {k: v[0] for k, v in parse_qs(urlsplit(loc).query).items()}
    assert q["response_type"] == "code" and q["client_id"] == oauth_fake.client_id
    assert q["redirect_uri"] == "http://localhost/admin/oauth/hubspot/callback"
    assert q["code_challenge_method"] == "S256" and len(q["code_challenge"]) >= 43
    assert "crm.objects.companies.read" in q["scope"] and len(q["state"]) >= 32
    callback = consent(loc)
    r = admin_browser.get(callback)
    assert r.status_code == 302 and "connected" in r.headers["Location"]
    tok = oauth_fake.token_requests[-1]
    assert tok["grant_type"] == "authorization_code" and tok["code_verifier"]
    creds = admin_state_.credentials.get("hubspot")
    assert creds["access_token"] == oauth_fake.issued[-1]
    assert creds["refresh_token"] == oauth_fake.refresh_token
    assert creds["token_expires_at"] > time.time() + 1700
    store = app.extensions["account360"].store
    with store.sessions() as s:
        row = s.get(ConnectorConfig, "hubspot")
        assert row.auth_kind == "oauth" and row.connected_by == "admin@example.com"
        assert oauth_fake.issued[-1] not in row.sealed and oauth_fake.refresh_token not in row.sealed
        reqs = list(s.scalars(select(SyncRequest)))
    assert [(r.connector, r.reason) for r in reqs] == [("hubspot", "connect")]
    page = admin_browser.get("/admin/connectors").get_data(as_text=True)
    assert oauth_fake.issued[-1] not in page and "Disconnect" in page
    # replaying the same callback (same state and code) is refused
    assert admin_browser.get(callback).status_code == 400


def test_wrong_state_is_refused(app, admin_browser, oauth_fake, admin_state_):
    loc = start(admin_browser, oauth_fake)
    callback = consent(loc)
    forged = callback.replace("state=", "state=x")
    r = admin_browser.get(forged)
    assert r.status_code == 400 and b"does not match" in r.data
    assert admin_browser.get("/admin/oauth/hubspot/callback?code=abc").status_code == 400
    assert admin_state_.credentials.get("hubspot") is None
    assert not [t for t in oauth_fake.token_requests if t["grant_type"] == "authorization_code"]


def test_state_from_another_session_is_refused(app, admin_browser, make_user, browser,
                                               oauth_fake, admin_state_):
    make_user("other@example.com", "admin")
    other = browser()
    other.login("other@example.com")
    callback = consent(start(admin_browser, oauth_fake))
    assert other.get(callback).status_code == 400  # a state issued to another session
    assert admin_browser.get(callback).status_code == 400  # and it was used up
    assert admin_state_.credentials.get("hubspot") is None


def test_vendor_refusal_is_reported(app, admin_browser, oauth_fake, admin_state_):
    loc = start(admin_browser, oauth_fake)
    callback = consent(loc)
    oauth_fake.codes.clear()  # the vendor no longer knows the code
    r = admin_browser.get(callback)
    assert r.status_code == 302 and "refused" in requests.utils.unquote(r.headers["Location"])
    assert admin_state_.credentials.get("hubspot") is None


def connect(b, fake):
    r = b.get(consent(start(b, fake)))
    assert r.status_code == 302


def test_refresh_before_expiry(app, admin_browser, oauth_fake, admin_state_):
    from server.admin.connections import refresh_if_due

    connect(admin_browser, oauth_fake)
    creds, cfg = admin_state_.credentials, admin_state_.cfg
    first = creds.get("hubspot")["access_token"]
    assert refresh_if_due(cfg, creds, "hubspot") is False  # 30 minutes left: not yet
    creds.update("hubspot", token_expires_at=time.time() + 120)
    assert refresh_if_due(cfg, creds, "hubspot") is True
    after = creds.get("hubspot")
    assert after["access_token"] != first and after["access_token"] == oauth_fake.issued[-1]
    assert after["token_expires_at"] > time.time() + 1700
    assert oauth_fake.token_requests[-1]["grant_type"] == "refresh_token"


def test_connector_refresh_during_a_call_is_stored(app, admin_browser, oauth_fake,
                                                   admin_state_):
    from server.admin.connections import build

    connect(admin_browser, oauth_fake)
    creds = admin_state_.credentials
    oauth_fake.valid_tokens.discard(creds.get("hubspot")["access_token"])  # revoked early
    conn = build(admin_state_.cfg, creds, "hubspot")
    try:
        conn.check()  # 401, one refresh through the connector's HTTP client, retried
    finally:
        conn.close()
    assert creds.get("hubspot")["access_token"] == oauth_fake.issued[-1]
    assert oauth_fake.refreshes == 1


def test_disconnect_revokes_and_forgets(app, admin_browser, oauth_fake, admin_state_):
    connect(admin_browser, oauth_fake)
    refresh = admin_state_.credentials.get("hubspot")["refresh_token"]
    r = admin_browser.post("/admin/connectors/hubspot/disconnect")
    assert r.status_code == 302 and "disconnected" in r.headers["Location"]
    assert oauth_fake.revoked == [refresh]
    assert admin_state_.credentials.get("hubspot") is None
    page = admin_browser.get("/admin/connectors").get_data(as_text=True)
    assert 'data-testid="connect-hubspot"' in page


def test_salesforce_login_hosts_and_scopes():
    from server.admin.connections import provider

    cfg = {"SALESFORCE_CLIENT_ID": "ck", "SALESFORCE_CLIENT_SECRET": "cs"}
    prod = provider(cfg, "salesforce", environment="production")
    sandbox = provider(cfg, "salesforce", environment="sandbox")
    assert prod.authorize_url == "https://login.salesforce.com/services/oauth2/authorize"
    assert sandbox.token_url == "https://test.salesforce.com/services/oauth2/token"
    assert prod.scopes == "api refresh_token" and prod.pkce
    custom = provider({**cfg, "SALESFORCE_LOGIN_URL": "https://acme.my.salesforce.com/"},
                      "salesforce", environment="sandbox")
    assert custom.authorize_url.startswith("https://acme.my.salesforce.com/services/")
    assert "cs" not in repr(prod)


def test_redirect_uri_from_public_url(make_app, oauth_fake, make_user):
    app = make_app(PUBLIC_URL="https://cs.example.com", **oauth_fake.app_config())
    from server.services.users import create_user
    from tests.admin.conftest import Browser

    create_user(app.extensions["account360"].store, "a@example.com", "admin",
                password="correct horse battery")
    b = Browser(app.test_client())
    b.login("a@example.com")
    loc = b.post("/admin/connectors/hubspot/connect").headers["Location"]
    q = parse_qs(urlsplit(loc).query)
    assert q["redirect_uri"] == ["https://cs.example.com/admin/oauth/hubspot/callback"]
