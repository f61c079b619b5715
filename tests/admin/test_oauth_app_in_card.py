"""One-click CRM connect without editing the environment: an admin pastes the OAuth app's
client id and secret in the card (sealed like other secrets), sees the exact redirect URL to
register, and connects; environment variables still win when set."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import text

from tests.admin.conftest import Browser
from tests.admin.test_oauth import consent, start


@pytest.fixture
def bare_app(make_app, oauth_fake):
    """HubSpot pointed at the fake vendor, but no OAuth app in the environment."""
    cfg = oauth_fake.app_config()
    cfg.pop("HUBSPOT_CLIENT_ID")
    cfg.pop("HUBSPOT_CLIENT_SECRET")
    return make_app(**cfg)


def _admin(app, make_user_in):
    make_user_in(app, "admin@example.com")
    b = Browser(app.test_client())
    assert b.login("admin@example.com").status_code == 302
    return b


@pytest.fixture
def make_user_in():
    from server.services.users import create_user
    from tests.admin.conftest import PASSWORD

    def make(app, email, role="admin"):
        return create_user(app.extensions["account360"].store, email, role, password=PASSWORD)

    return make


def _card(page: str, name: str) -> str:
    return page.split(f'id="card-{name}"', 1)[1].split("</article>", 1)[0]


def test_paste_the_app_in_the_card_then_connect(bare_app, make_user_in, oauth_fake):
    b = _admin(bare_app, make_user_in)
    card = _card(b.get("/admin/connectors").get_data(as_text=True), "hubspot")
    assert 'data-testid="connect-hubspot"' not in card
    url = re.search(r'data-testid="redirect-url-hubspot">([^<]+)<', card)[1]
    assert url == "http://localhost/admin/oauth/hubspot/callback"
    r = b.post("/admin/connectors/hubspot/oauth-app",
               {"client_id": oauth_fake.client_id, "client_secret": oauth_fake.client_secret})
    assert r.status_code == 302 and "saved" in r.headers["Location"]
    store = bare_app.extensions["account360"].store
    with store.engine.connect() as conn:
        sealed = conn.execute(text(
            "SELECT app_sealed FROM connector_configs WHERE connector = 'hubspot'")).scalar()
    assert sealed and oauth_fake.client_secret not in sealed
    card = _card(b.get("/admin/connectors").get_data(as_text=True), "hubspot")
    assert 'data-testid="connect-hubspot"' in card and oauth_fake.client_secret not in card
    assert "saved; leave blank to keep" in card
    loc = start(b, oauth_fake)
    assert f"client_id={oauth_fake.client_id}" in loc
    r = b.get(consent(loc))  # the fake checks the client secret at the token exchange
    assert r.status_code == 302 and "connected" in r.headers["Location"]
    assert oauth_fake.token_requests[-1]["client_secret"] == oauth_fake.client_secret
    # the app stays when the connection goes; a blank secret keeps the saved one
    assert b.post("/admin/connectors/hubspot/disconnect").status_code == 302
    assert b.post("/admin/connectors/hubspot/oauth-app",
                  {"client_id": oauth_fake.client_id, "client_secret": ""}).status_code == 302
    assert start(b, oauth_fake)


def test_bad_app_input_is_refused_and_changes_nothing(bare_app, make_user_in):
    b = _admin(bare_app, make_user_in)
    for data in ({"client_id": "", "client_secret": "s"}, {"client_id": "x", "client_secret": ""},
                 {"client_id": "a b", "client_secret": "s"},
                 {"client_id": "x" * 501, "client_secret": "s"}):
        r = b.post("/admin/connectors/hubspot/oauth-app", data)
        assert r.status_code == 400, data
    assert b.post("/admin/connectors/zendesk/oauth-app",
                  {"client_id": "x", "client_secret": "y"}).status_code == 404
    assert b.post("/admin/connectors/hubspot/connect").status_code == 400
    card = _card(b.get("/admin/connectors").get_data(as_text=True), "hubspot")
    assert 'data-testid="connect-hubspot"' not in card


def test_csm_cannot_set_the_app(bare_app, make_user_in):
    make_user_in(bare_app, "csm@example.com", "csm")
    b = Browser(bare_app.test_client())
    b.login("csm@example.com")
    r = b.post("/admin/connectors/hubspot/oauth-app", {"client_id": "x", "client_secret": "y"})
    assert r.status_code == 403


def test_environment_wins_over_a_saved_app(app, admin_browser, oauth_fake, admin_state_):
    from server.admin.connections import oauth_app, provider

    admin_state_.credentials.save_app("hubspot", "saved-id", "saved-secret")
    cid, secret, source = oauth_app(admin_state_.cfg, "hubspot", admin_state_.credentials)
    assert (cid, secret, source) == (oauth_fake.client_id, oauth_fake.client_secret,
                                     "environment")
    assert provider(admin_state_.cfg, "hubspot", creds=admin_state_.credentials
                    ).client_id == oauth_fake.client_id
    card = _card(admin_browser.get("/admin/connectors").get_data(as_text=True), "hubspot")
    assert "set in the environment" in card and 'name="client_secret"' not in card
    r = admin_browser.post("/admin/connectors/hubspot/oauth-app",
                           {"client_id": "other", "client_secret": "other"})
    assert r.status_code == 400
    assert f"client_id={oauth_fake.client_id}" in start(admin_browser, oauth_fake)


def test_redirect_url_follows_public_url(make_app, oauth_fake, make_user_in):
    cfg = {k: v for k, v in oauth_fake.app_config().items() if "CLIENT" not in k}
    app = make_app(PUBLIC_URL="https://cs.example.com", **cfg)
    b = _admin(app, make_user_in)
    page = b.get("/admin/connectors").get_data(as_text=True)
    assert 'data-testid="redirect-url-salesforce">https://cs.example.com/admin/oauth/' \
           'salesforce/callback<' in page
