"""Users and sign-in: KDF, CSRF, cookie flags, rate limit, roles, invites, personal tokens."""

from __future__ import annotations

import re

from click.testing import CliRunner
from sqlalchemy import select

from server.admin.models import User
from tests.admin.conftest import PASSWORD, Browser


def test_admin_create_hashes_with_argon2(app, db_url, tmp_path, monkeypatch):
    from server.cli import main

    monkeypatch.setenv("ACCOUNT360_DATABASE_URL", db_url)
    monkeypatch.setenv("ACCOUNT360_DATA_DIR", str(tmp_path / "cli"))
    monkeypatch.setenv("ACCOUNT360_SECRET_KEY", "cli-secret")
    r = CliRunner().invoke(main, ["admin", "create", "Boss@Example.com"], input=PASSWORD + "\n")
    assert r.exit_code == 0, r.output
    with app.extensions["account360"].store.sessions() as s:
        user = s.scalar(select(User).where(User.email == "boss@example.com"))
    assert user.role == "admin"
    assert user.password_hash.startswith("$argon2id$") and PASSWORD not in user.password_hash
    again = CliRunner().invoke(main, ["admin", "create", "boss@example.com"], input="x" * 12)
    assert again.exit_code != 0 and "already" in again.output
    short = CliRunner().invoke(main, ["admin", "create", "b@example.com"], input="short\n")
    assert short.exit_code != 0 and "10 characters" in short.output


def test_sign_in_and_out(app, make_user, browser):
    make_user("a@example.com")
    b = browser()
    assert b.get("/").headers["Location"].endswith("/admin/")
    r = b.get("/admin/connectors")
    assert r.status_code == 302 and "/admin/login" in r.headers["Location"]
    r = b.login("a@example.com", "wrong password!")
    assert r.status_code == 401 and b"Wrong email or password" in r.data
    r = b.login("a@example.com")
    assert r.status_code == 302
    page = b.get("/admin/connectors")
    assert page.status_code == 200 and b"HubSpot" in page.data
    b.post("/admin/logout")
    assert b.get("/admin/connectors").status_code == 302


def test_every_form_needs_the_csrf_token(app, admin_browser):
    c = admin_browser.client
    for url, data in [("/admin/login", {"email": "a@example.com", "password": PASSWORD}),
                      ("/admin/users", {"email": "x@example.com", "role": "csm"}),
                      ("/admin/me/tokens", {"name": "x"}),
                      ("/admin/connectors/zendesk/schedule", {"minutes": "5"}),
                      ("/admin/connectors/hubspot/connect", {}),
                      ("/admin/logout", {})]:
        r = c.post(url, data=data)
        assert r.status_code == 400, url
        r = c.post(url, data={**data, "csrf_token": "forged"})
        assert r.status_code == 400, url
    assert c.post("/admin/extension/token", json={}).status_code == 400
    # nothing happened: no user invited, no token
    with app.extensions["account360"].store.sessions() as s:
        assert s.scalar(select(User).where(User.email == "x@example.com")) is None
    assert admin_browser.get("/admin/connectors").status_code == 200  # still signed in


def _cookie_header(resp) -> str:
    return next(v for k, v in resp.headers.items() if k == "Set-Cookie"
                and v.startswith("a360_session="))


def test_session_cookie_flags(app, make_user):
    make_user("a@example.com")
    for base, secure in (("http://localhost", False), ("https://cs.example.com", True)):
        c = app.test_client()
        page = c.get("/admin/login", base_url=base)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))[1]
        r = c.post("/admin/login", base_url=base, data={
            "csrf_token": token, "email": "a@example.com", "password": PASSWORD})
        assert r.status_code == 302
        cookie = _cookie_header(r)
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
        assert ("Secure" in cookie) is secure


def test_secure_cookie_behind_a_tls_proxy(make_app, make_user):
    app = make_app(TRUSTED_PROXIES=1)
    from server.services.users import create_user

    create_user(app.extensions["account360"].store, "p@example.com", "admin", password=PASSWORD)
    c = app.test_client()
    hdr = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}
    page = c.get("/admin/login", headers=hdr)
    assert "Secure" in _cookie_header(page)
    plain = make_app()  # without TRUSTED_PROXIES the header is not believed
    assert "Secure" not in _cookie_header(plain.test_client().get("/admin/login", headers=hdr))


def test_login_is_rate_limited_per_address_and_email(app, make_user, browser):
    make_user("a@example.com")
    make_user("b@example.com")
    b = browser()
    for _ in range(5):
        assert b.login("a@example.com", "not the password").status_code == 401
    r = b.login("a@example.com")  # the right password, but blocked now
    assert r.status_code == 429 and b"Too many failed attempts" in r.data
    assert b.get("/admin/connectors").status_code == 302
    assert b.login("b@example.com").status_code == 302  # another email is not blocked
    other = Browser(app.test_client())
    other.get("/admin/login")
    r = other.client.post("/admin/login", environ_base={"REMOTE_ADDR": "198.51.100.7"},
                          data={"csrf_token": other.csrf, "email": "a@example.com",
                                "password": PASSWORD})
    assert r.status_code == 302  # another address is not blocked


def test_csm_gets_403_on_admin_pages(app, make_user, browser):
    make_user("csm@example.com", "csm")
    b = browser()
    b.login("csm@example.com")
    for url in ("/admin/connectors", "/admin/users", "/admin/api/connectors",
                "/admin/connectors/zendesk/settings"):
        assert b.get(url).status_code == 403, url
    for url in ("/admin/users", "/admin/connectors/hubspot/connect",
                "/admin/connectors/zendesk/sync", "/admin/connectors/zendesk/disconnect"):
        assert b.post(url, {"email": "z@example.com"}).status_code == 403, url
    assert b.get("/admin/me").status_code == 200
    assert b.get("/admin/").headers["Location"].endswith("/admin/me")


def test_invite_sign_in_token_shown_once_listed_and_revoked(app, admin_browser, browser):
    r = admin_browser.post("/admin/users", {"email": "Csm@Example.com", "role": "csm"})
    assert r.status_code == 200
    link = re.search(r'data-testid="invite-link">([^<]+)<', r.get_data(as_text=True))[1]
    path = link.split("localhost", 1)[1]
    assert b"invite-link" not in admin_browser.get("/admin/users").data  # shown once
    csm = browser()
    page = csm.get(path)
    assert page.status_code == 200 and b"csm@example.com" in page.data
    r = csm.post(path, {"password": "a long new password", "confirm": "a long new password"})
    assert r.status_code == 302
    assert csm.get(path).status_code == 404  # the invite is single use
    r = csm.post("/admin/me/tokens", {"name": "laptop"})
    token = re.search(r'data-testid="new-token">([^<]+)<', r.get_data(as_text=True))[1]
    assert token.startswith("a360_")
    listing = csm.get("/admin/me").get_data(as_text=True)
    assert token not in listing and token[:12] in listing and "never" in listing
    api = app.test_client()
    me = api.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200
    listing = csm.get("/admin/me").get_data(as_text=True)
    assert "never</td>" not in listing.split("laptop", 1)[1].split("</tr>", 1)[0]
    token_id = int(re.search(r'/admin/tokens/(\d+)/revoke', listing)[1])
    assert csm.post(f"/admin/tokens/{token_id}/revoke").status_code == 302
    assert api.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    # the invited CSM signs in with the chosen password afterwards
    again = browser()
    assert again.login("csm@example.com", "a long new password").status_code == 302


def test_csm_cannot_revoke_someone_elses_token(app, make_user, browser):
    make_user("one@example.com", "csm")
    make_user("two@example.com", "csm")
    one, two = browser(), browser()
    one.login("one@example.com")
    two.login("two@example.com")
    r = one.post("/admin/me/tokens", {"name": "mine"})
    token = re.search(r'data-testid="new-token">([^<]+)<', r.get_data(as_text=True))[1]
    token_id = int(re.search(r'/admin/tokens/(\d+)/revoke', r.get_data(as_text=True))[1])
    assert token[:12] not in two.get("/admin/me").get_data(as_text=True)
    assert two.post(f"/admin/tokens/{token_id}/revoke").status_code == 403
    api = app.test_client()
    assert api.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_disabled_user_loses_session_and_tokens(app, admin_browser, make_user, browser):
    user = make_user("gone@example.com", "csm")
    b = browser()
    b.login("gone@example.com")
    r = b.post("/admin/me/tokens", {"name": "x"})
    token = re.search(r'data-testid="new-token">([^<]+)<', r.get_data(as_text=True))[1]
    assert admin_browser.post(f"/admin/users/{user.id}/disable").status_code == 302
    assert b.get("/admin/me").status_code == 302
    api = app.test_client()
    assert api.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_login_redirect_stays_on_this_site(app, make_user, browser):
    make_user("a@example.com")
    b = browser()
    b.get("/admin/login")
    r = b.post("/admin/login", {"email": "a@example.com", "password": PASSWORD,
                                "next": "//evil.example/x"})
    assert r.headers["Location"].endswith("/admin/")


def _new_token(resp) -> str:
    return re.search(r'data-testid="new-token">([^<]+)<', resp.get_data(as_text=True))[1]


def test_my_tokens_page_chooses_scopes_and_expiry(app, make_user, browser):
    make_user("reader@example.com", "csm")
    b = browser()
    b.login("reader@example.com")
    page = b.get("/admin/me").get_data(as_text=True)
    # a CSM is offered only the scopes the role may hold
    assert 'value="read"' in page and 'value="write"' in page and 'value="admin"' not in page
    r = b.post("/admin/me/tokens", {"name": "dashboard", "scope": ["read"], "expires": "30d"})
    assert r.status_code == 200
    token = _new_token(r)
    api = app.test_client()
    auth = {"Authorization": f"Bearer {token}"}
    assert api.get("/api/v1/me", headers=auth).status_code == 200
    denied = api.post("/api/v1/accounts/nope/tasks", json={"subject": "x"}, headers=auth)
    assert denied.status_code == 403 and denied.json["error"]["code"] == "insufficient_scope"
    row = b.get("/admin/me").get_data(as_text=True).split("dashboard", 1)[1].split("</tr>", 1)[0]
    assert "<td>read</td>" in row and "active, expires " in row


def test_my_tokens_page_refuses_a_scope_beyond_the_role_and_a_bad_expiry(app, make_user, browser):
    from server.admin.models import UserToken

    make_user("csm2@example.com", "csm")
    b = browser()
    b.login("csm2@example.com")
    r = b.post("/admin/me/tokens", {"name": "sneaky", "scope": ["read", "admin"]})
    assert r.status_code == 400
    assert "may not hold the scope admin" in r.get_data(as_text=True)
    r = b.post("/admin/me/tokens", {"name": "late", "expires": "2001-01-01"})
    assert r.status_code == 400 and "in the past" in r.get_data(as_text=True)
    with app.extensions["account360"].store.sessions() as s:
        assert s.scalars(select(UserToken)).all() == []  # nothing was issued
