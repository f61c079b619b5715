"""Pairing codes: issued on My tokens, claimed once at POST /api/v1/pair for a fresh token of
the signed-in user; expired, reused and wrong codes refused; failures rate limited."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from server import models as m
from server.admin import pairing
from server.admin.models import PairingCode, User, UserToken
from server.admin.security import digest


def code_on_page(b) -> str:
    html = b.get("/admin/me").get_data(as_text=True)
    found = re.search(r'data-testid="pairing-code">([A-Z0-9-]+)<', html)
    assert found, "no pairing code on the page"
    return found.group(1)


def signed_in(make_user, browser, email, role="csm"):
    make_user(email, role)
    b = browser()
    assert b.login(email).status_code == 302
    return b


def claim(client, code, **kw):
    return client.post("/api/v1/pair", json={"code": code}, **kw)


def test_page_shows_a_code_and_the_server_url(app, make_user, browser):
    b = signed_in(make_user, browser, "csm@example.com")
    html = b.get("/admin/me").get_data(as_text=True)
    code = re.search(r'data-testid="pairing-code">([^<]+)<', html).group(1)
    assert re.fullmatch(r"[A-HJKMNP-Z2-9]{4}-[A-HJKMNP-Z2-9]{4}", code)
    assert 'data-testid="pair-server-url">http://localhost<' in html
    assert "10 minutes" in html


def test_claim_gives_a_working_token_of_that_user_and_burns_the_code(app, make_user, browser):
    b = signed_in(make_user, browser, "csm@example.com")
    code = code_on_page(b)
    api = app.test_client()
    r = claim(api, code)
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert body["user"] == "csm@example.com"
    assert body["server_url"] == "http://localhost"
    assert body["token"].startswith("a360_")
    me = api.get("/api/v1/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.status_code == 200
    assert me.get_json()["token_name"] == "csm@example.com: browser extension (pairing code)"
    again = claim(api, code)  # single use
    assert again.status_code == 400
    err = again.get_json()["error"]
    assert err["code"] == "invalid_pairing_code" and set(err) == {"code", "message", "details"}
    assert "browser extension (pairing code)" in b.get("/admin/me").get_data(as_text=True)


def test_code_is_case_and_dash_insensitive(app, make_user, browser):
    b = signed_in(make_user, browser, "csm@example.com")
    code = code_on_page(b)
    r = claim(app.test_client(), " " + code.replace("-", " ").lower() + " ")
    assert r.status_code == 200


def test_expired_code_is_refused(app, make_user, browser, monkeypatch):
    b = signed_in(make_user, browser, "csm@example.com")
    code = code_on_page(b)
    later = pairing.utcnow() + pairing.TTL + timedelta(seconds=1)
    monkeypatch.setattr(pairing, "utcnow", lambda: later)
    r = claim(app.test_client(), code)
    assert r.status_code == 400 and r.get_json()["error"]["code"] == "invalid_pairing_code"


def test_code_just_before_expiry_works(app, make_user, browser, monkeypatch):
    b = signed_in(make_user, browser, "csm@example.com")
    code = code_on_page(b)
    later = pairing.utcnow() + pairing.TTL - timedelta(seconds=30)
    monkeypatch.setattr(pairing, "utcnow", lambda: later)
    assert claim(app.test_client(), code).status_code == 200


def test_wrong_and_malformed_codes_are_refused(app, make_user, browser):
    b = signed_in(make_user, browser, "csm@example.com")
    code = code_on_page(b)
    api = app.test_client()
    wrong = "".join("A" if ch != "A" else "B" for ch in code.replace("-", ""))
    for bad in (wrong, "0000-0000", "short", "x" * 41):
        r = claim(api, bad)
        assert r.status_code == 400 and "error" in r.get_json(), bad
    assert api.post("/api/v1/pair", json={}).status_code == 400
    assert api.post("/api/v1/pair", json={"code": code, "user": "a@example.com"}
                    ).status_code == 400  # no other field, no way to choose the user
    assert api.post("/api/v1/pair", data="code", content_type="text/plain").status_code == 400
    assert claim(api, code).status_code == 200  # the real one was not burnt by the others


def test_a_newer_code_replaces_the_older_one(app, make_user, browser):
    b = signed_in(make_user, browser, "csm@example.com")
    first = code_on_page(b)
    second = code_on_page(b)
    api = app.test_client()
    assert claim(api, first).status_code == 400
    assert claim(api, second).status_code == 200


def test_wrong_codes_are_rate_limited_per_address(app, make_user, browser):
    b = signed_in(make_user, browser, "csm@example.com")
    code = code_on_page(b)
    api = app.test_client()
    for _ in range(pairing.LIMIT):
        assert claim(api, "ZZZZ-ZZZZ").status_code == 400
    r = claim(api, code)  # the right code, but this address is blocked now
    assert r.status_code == 429 and r.get_json()["error"]["code"] == "rate_limited"
    other = claim(api, code, environ_base={"REMOTE_ADDR": "198.51.100.7"})
    assert other.status_code == 200  # another address is not blocked


def test_a_csm_can_only_pair_as_themselves(app, make_user, browser):
    csm = signed_in(make_user, browser, "csm@example.com")
    adm = signed_in(make_user, browser, "admin@example.com", role="admin")
    csm_code, admin_code = code_on_page(csm), code_on_page(adm)
    api = app.test_client()
    body = claim(api, csm_code).get_json()
    assert body["user"] == "csm@example.com"
    store = app.extensions["account360"].store
    with store.sessions() as s:
        csm_id = s.scalar(select(User.id).where(User.email == "csm@example.com"))
        tok = s.scalar(select(m.ApiToken).where(m.ApiToken.prefix == body["token"][:12]))
        link = s.get(UserToken, tok.id)
    assert link.user_id == csm_id and link.purpose == "extension"
    assert claim(api, admin_code).get_json()["user"] == "admin@example.com"
    # the code is the only input: asking for someone else is not even accepted
    r = api.post("/api/v1/pair", json={"code": csm_code, "user": "admin@example.com"})
    assert r.status_code == 400 and "user" in r.get_json()["error"]["details"]


def test_disabled_user_code_is_refused(app, make_user, browser):
    adm = signed_in(make_user, browser, "admin@example.com", role="admin")
    csm = signed_in(make_user, browser, "csm@example.com")
    code = code_on_page(csm)
    store = app.extensions["account360"].store
    with store.sessions() as s:
        csm_id = s.scalar(select(User.id).where(User.email == "csm@example.com"))
    adm.get("/admin/users")
    assert adm.post(f"/admin/users/{csm_id}/disable").status_code == 302
    assert claim(app.test_client(), code).status_code == 400


def test_code_is_stored_hashed(app, make_user, browser):
    b = signed_in(make_user, browser, "csm@example.com")
    code = code_on_page(b)
    plain = code.replace("-", "")
    store = app.extensions["account360"].store
    with store.sessions() as s:
        rows = list(s.scalars(select(PairingCode)))
    assert len(rows) == 1
    row = rows[0]
    assert row.code_hash == digest(plain) and plain not in row.code_hash
    assert code not in row.code_hash
    lifetime = row.expires_at.replace(tzinfo=None) - row.created_at.replace(tzinfo=None)
    assert lifetime == pairing.TTL


def test_pair_route_is_documented_without_bearer(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    op = doc["paths"]["/api/v1/pair"]["post"]
    assert op["security"] == []
    assert "PairRequest" in doc["components"]["schemas"]


def test_pair_cors_follows_the_api_rules(make_app):
    ext = "chrome-extension://abcdefghijklmnopabcdefghijklmnop"
    c = make_app(EXTENSION_ORIGINS=ext).test_client()
    ok = c.options("/api/v1/pair", headers={"Origin": ext, "Access-Control-Request-Method": "POST"})
    assert ok.headers.get("Access-Control-Allow-Origin") == ext
    bad = c.options("/api/v1/pair", headers={"Origin": "https://evil.example",
                                             "Access-Control-Request-Method": "POST"})
    assert "Access-Control-Allow-Origin" not in bad.headers
