"""Connect Salesforce end to end: the admin clicks Connect (production or sandbox), the fake
login host redirects back with a code, Authlib exchanges it over real HTTP, the sealed
credentials carry the tokens and instance_url, the background first sync reads a fake org
(`responses`, as in tests/connectors/test_salesforce.py), a session that expires mid-sync is
refreshed once and the new token and instance_url are stored, and Disconnect revokes."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses
from sqlalchemy import func, select

from server import models as m
from server.admin.models import ConnectorConfig, SyncRequest
from tests.admin.fake_salesforce_login import FakeSalesforceLogin, serve_instance
from tests.admin.test_oauth import consent
from tests.connectors.fake_salesforce import INSTANCE, SESSION_EXPIRED, FakeSalesforce
from tests.connectors.salesforce_org import ACME, GLOBEX, seed

MOVED = "https://acme-corp2.my.salesforce.com"
ENVIRONMENTS = ("production", "sandbox")


@pytest.fixture
def sf_org():
    """The org's REST API behind `responses`; the local login hosts pass through."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.add_passthru("http://127.0.0.1")
        org = FakeSalesforce(rsps, token="never-issued")
        org.valid.clear()
        seed(org)
        serve_instance(rsps, org, MOVED)
        yield org


@pytest.fixture
def sf_logins(sf_org, monkeypatch):
    """A fake login host per environment; the Connect card's choice picks one."""
    from server.admin import connections

    fakes = {env: FakeSalesforceLogin(sf_org, env) for env in ENVIRONMENTS}
    for env, fake in fakes.items():
        monkeypatch.setitem(connections.SF_HOSTS, env, fake.start())
    yield fakes
    for fake in fakes.values():
        fake.stop()


@pytest.fixture
def app(make_app, sf_logins):
    fake = sf_logins["production"]
    return make_app(SALESFORCE_CLIENT_ID=fake.client_id,
                    SALESFORCE_CLIENT_SECRET=fake.client_secret)


def card(b) -> dict:
    cards = b.get("/admin/api/connectors").get_json()["connectors"]
    return next(c for c in cards if c["name"] == "salesforce")


def connect(b, fake, env: str) -> dict:
    """Click Connect Salesforce, approve at the fake, follow the callback."""
    page = b.get("/admin/connectors").get_data(as_text=True)
    assert 'data-testid="connect-salesforce"' in page and 'value="sandbox"' in page
    r = b.post("/admin/connectors/salesforce/connect", {"environment": env})
    assert r.status_code == 302, r.data
    loc = r.headers["Location"]
    assert loc.startswith(fake.url + "/services/oauth2/authorize?")
    q = {k: v[0] for k, v in parse_qs(urlsplit(loc).query).items()}
    r = b.get(consent(loc))
    assert r.status_code == 302 and "connected" in r.headers["Location"], r.headers
    return q


def run_queued(admin_state_) -> None:
    started = admin_state_.runner.tick()
    assert [t.name for t in started] == ["a360-sync-salesforce"]
    for th in started:
        th.join(60)
        assert not th.is_alive()


def count(app, model) -> int:
    with app.extensions["account360"].store.sessions() as s:
        return s.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_connect_first_sync_and_disconnect(env, app, admin_browser, sf_logins, sf_org,
                                           admin_state_):
    fake, other = sf_logins[env], sf_logins[next(e for e in ENVIRONMENTS if e != env)]
    q = connect(admin_browser, fake, env)
    assert q["response_type"] == "code" and q["client_id"] == fake.client_id
    assert q["redirect_uri"] == "http://localhost/admin/oauth/salesforce/callback"
    assert q["scope"] == "api refresh_token" and q["code_challenge_method"] == "S256"
    assert not other.authorize_requests and not other.token_requests
    tok = fake.token_requests[-1]
    assert tok["grant_type"] == "authorization_code" and tok["code_verifier"]
    assert tok["client_secret"] == fake.client_secret

    # sealed credentials: tokens, the instance and the login host of the chosen environment
    creds = admin_state_.credentials.get("salesforce")
    assert creds["access_token"] == fake.issued[-1]
    assert creds["refresh_token"] == fake.refresh_token
    assert creds["instance_url"] == INSTANCE and creds["login_url"] == fake.url
    assert "token_expires_at" not in creds  # Salesforce sends no lifetime
    with app.extensions["account360"].store.sessions() as s:
        row = s.get(ConnectorConfig, "salesforce")
        assert row.auth_kind == "oauth" and row.connected_by == "admin@example.com"
        for secret in (fake.issued[-1], fake.refresh_token, INSTANCE):
            assert secret not in row.sealed
        reqs = list(s.scalars(select(SyncRequest)))
    assert [(r.connector, r.reason) for r in reqs] == [("salesforce", "connect")]

    # the stored values map onto the connector's settings
    from connectors.salesforce import SalesforceSettings
    from server.admin.connections import settings_data

    settings = SalesforceSettings.from_dict(settings_data(admin_state_.cfg, "salesforce", creds))
    assert (settings.instance_url, settings.access_token, settings.refresh_token,
            settings.client_id, settings.client_secret, settings.login_url) == (
        INSTANCE, fake.issued[-1], fake.refresh_token, fake.client_id, fake.client_secret,
        fake.url)

    c = card(admin_browser)
    assert c["status"] == "syncing" and c["connected"] and c["pending"] == 1

    # the background first sync lands the org in the store
    run_queued(admin_state_)
    c = card(admin_browser)
    assert c["status"] == "connected", c
    assert c["run"]["status"] == "success" and c["pending"] == 0 and not c["last_error"]
    assert {s["name"] for s in c["run"]["streams"]} >= {"accounts", "contacts", "opportunities"}
    assert count(app, m.Account) == 2
    with app.extensions["account360"].store.sessions() as s:
        assert s.get(m.Account, f"salesforce-{ACME}").name == "Acme Analytics"
        assert s.get(m.Account, f"salesforce-{GLOBEX}").name == "Globex"
    assert count(app, m.Contact) >= 1 and count(app, m.Deal) >= 1
    assert all(e["auth"] == f"Bearer {fake.issued[-1]}" for e in sf_org.log if e.get("auth"))
    assert fake.refreshes == 0
    page = admin_browser.get("/admin/connectors").get_data(as_text=True)
    assert fake.issued[-1] not in page and fake.refresh_token not in page and "Disconnect" in page

    # Disconnect revokes the refresh token at the same login host and forgets it
    refresh = fake.refresh_token
    r = admin_browser.post("/admin/connectors/salesforce/disconnect")
    assert r.status_code == 302 and "disconnected" in r.headers["Location"]
    assert "(" not in requests.utils.unquote(r.headers["Location"])  # no revocation problem
    assert fake.revoked == [refresh] and not other.revoked
    assert admin_state_.credentials.get("salesforce") is None
    assert card(admin_browser)["status"] == "not connected"
    page = admin_browser.get("/admin/connectors").get_data(as_text=True)
    assert 'data-testid="connect-salesforce"' in page


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_session_expiring_mid_sync_refreshes_once_and_stores_the_new_instance(
        env, app, admin_browser, sf_logins, sf_org, admin_state_):
    fake = sf_logins[env]
    connect(admin_browser, fake, env)
    first = admin_state_.credentials.get("salesforce")["access_token"]
    fake.instance_url = MOVED  # the org moves; the refresh answer says so
    # the session ends while the sync is under way (accounts done, contacts not yet)
    sf_org.fail("GET", r"FROM Contact", 401, SESSION_EXPIRED)
    run_queued(admin_state_)

    assert fake.refreshes == 1
    refresh_req = fake.token_requests[-1]
    assert refresh_req["grant_type"] == "refresh_token"
    assert refresh_req["refresh_token"] == fake.refresh_token
    assert refresh_req["client_id"] == fake.client_id
    creds = admin_state_.credentials.get("salesforce")
    assert creds["access_token"] == fake.issued[-1] != first
    assert creds["instance_url"] == MOVED
    assert creds["refresh_token"] == fake.refresh_token and creds["login_url"] == fake.url
    c = card(admin_browser)
    assert c["status"] == "connected" and c["run"]["status"] == "success", c
    assert count(app, m.Account) == 2 and count(app, m.Contact) >= 1
    # after the refresh every call went to the new instance with the new token
    failed = next(i for i, e in enumerate(sf_org.log)
                  if "FROM+Contact" in e["url"] or "FROM%20Contact" in e["url"])
    after = [e for e in sf_org.log[failed + 1:] if e.get("auth")]
    assert after and all(e["url"].startswith(MOVED) for e in after)
    assert all(e["auth"] == f"Bearer {fake.issued[-1]}" for e in after)
    assert all(e["url"].startswith(INSTANCE) for e in sf_org.log[:failed + 1])

    # the next sync starts on the stored instance without refreshing again
    sf_org.log.clear()
    admin_browser.post("/admin/connectors/salesforce/sync")
    run_queued(admin_state_)
    assert fake.refreshes == 1
    assert sf_org.log and all(e["url"].startswith(MOVED) for e in sf_org.log)
    assert card(admin_browser)["run"]["status"] == "success"


def test_refused_refresh_mid_sync_shows_on_the_card(app, admin_browser, sf_logins, sf_org,
                                                    admin_state_):
    fake = sf_logins["production"]
    connect(admin_browser, fake, "production")
    sf_org.valid.clear()  # the session ended
    fake.revoked.append(fake.refresh_token)  # and the refresh token was revoked in Salesforce
    run_queued(admin_state_)
    c = card(admin_browser)
    assert c["status"] == "error" and "refresh token" in c["last_error"], c
    assert fake.client_secret not in str(c)
    assert count(app, m.Account) == 0


def test_forced_refresh_keeps_the_instance_and_refresh_token(app, admin_browser, sf_logins,
                                                             admin_state_):
    from server.admin.connections import refresh_if_due

    fake = sf_logins["sandbox"]
    connect(admin_browser, fake, "sandbox")
    creds, cfg = admin_state_.credentials, admin_state_.cfg
    assert refresh_if_due(cfg, creds, "salesforce") is False  # no lifetime: never due
    fake.instance_url = MOVED
    assert refresh_if_due(cfg, creds, "salesforce", force=True, clock=time.time) is True
    after = creds.get("salesforce")
    assert after["access_token"] == fake.issued[-1] and after["instance_url"] == MOVED
    assert after["refresh_token"] == fake.refresh_token and after["login_url"] == fake.url
