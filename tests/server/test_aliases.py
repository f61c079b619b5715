"""Aliases: an email or a domain pointed at an account for the whole team; lookups use them
first (match.kind "alias"), every change is audit-logged, bad input gets a 400 envelope."""

from __future__ import annotations

import pytest

from server.auth import create_token


@pytest.fixture
def accounts(load):
    load([
        {"type": "account", "id": "acme", "name": "Acme Corp", "domains": ["acme.com"]},
        {"type": "account", "id": "globex", "name": "Globex Corporation",
         "domains": ["globex.com"]},
        {"type": "contact", "id": "c-ann", "account_id": "acme", "email": "ann@acme.com",
         "name": "Ann"},
    ])


def call(client, auth, method, url, body=None):
    r = client.open(url, method=method, json=body, headers=auth)
    return r.status_code, r.get_json()


def lookup(client, auth, query):
    return call(client, auth, "GET", f"/api/v1/accounts/lookup?{query}")


def test_email_alias_wins_over_the_contact_for_every_user(app, client, auth, accounts):
    code, body = lookup(client, auth, "email=ann@acme.com")
    assert code == 200 and body["account"]["id"] == "acme"
    assert body["match"]["kind"] == "contact_email"
    code, alias = call(client, auth, "POST", "/api/v1/aliases",
                       {"email": "Ann@Acme.com", "account_id": "globex"})
    assert code == 201, alias
    assert alias["email"] == "ann@acme.com" and alias["account_id"] == "globex"
    assert alias["set_by"] == "tester" and alias["set_at"]
    # Another token (another user of the team) gets the aliased account too.
    other = {"Authorization": "Bearer " + create_token(app.extensions["account360"].store, "raj")}
    for who in (auth, other):
        code, body = lookup(client, who, "email=ann@acme.com")
        assert code == 200 and body["account"]["id"] == "globex"
        assert body["match"]["kind"] == "alias"
        assert body["match"]["alias"]["set_by"] == "tester"
        assert body["match"]["alias"]["email"] == "ann@acme.com"
    # Other addresses of the domain still match by domain.
    code, body = lookup(client, other, "email=zed@acme.com")
    assert body["account"]["id"] == "acme" and body["match"]["kind"] == "domain"


def test_domain_alias_links_a_free_mail_or_unknown_domain(client, auth, accounts):
    code, _ = lookup(client, auth, "email=carol@gmail.com")
    assert code == 404
    code, alias = call(client, auth, "POST", "/api/v1/aliases",
                       {"email": "carol@gmail.com", "account_id": "acme"})
    assert code == 201
    code, body = lookup(client, auth, "email=carol@gmail.com")
    assert code == 200 and body["account"]["id"] == "acme" and body["match"]["kind"] == "alias"
    code, alias = call(client, auth, "POST", "/api/v1/aliases",
                       {"domain": "https://www.initrode.io/x", "account_id": "globex"})
    assert code == 201 and alias["domain"] == "initrode.io"
    for query in ("domain=initrode.io", "email=bo@initrode.io"):
        code, body = lookup(client, auth, query)
        assert code == 200 and body["account"]["id"] == "globex", query
        assert body["match"]["kind"] == "alias"


def test_repoint_delete_and_audit_log(client, auth, accounts):
    _, a = call(client, auth, "POST", "/api/v1/aliases", {"domain": "acme.com", "account_id": "globex"})
    code, again = call(client, auth, "POST", "/api/v1/aliases",
                       {"domain": "acme.com", "account_id": "acme"})
    assert code == 200 and again["id"] == a["id"] and again["account_id"] == "acme"
    code, listed = call(client, auth, "GET", "/api/v1/aliases")
    assert [(i["domain"], i["account_id"], i["account_name"]) for i in listed["items"]] == [
        ("acme.com", "acme", "Acme Corp")]
    code, listed = call(client, auth, "GET", "/api/v1/aliases?account_id=globex")
    assert listed["items"] == []
    code, gone = call(client, auth, "DELETE", f"/api/v1/aliases/{a['id']}")
    assert code == 200 and gone["domain"] == "acme.com"
    code, _ = call(client, auth, "DELETE", f"/api/v1/aliases/{a['id']}")
    assert code == 404
    _, log = call(client, auth, "GET", "/api/v1/aliases/changes")
    assert [(c["action"], c["before_account_id"], c["after_account_id"], c["actor"])
            for c in log["items"]] == [
        ("delete", "acme", None, "tester"), ("set", "globex", "acme", "tester"),
        ("set", None, "globex", "tester")]
    assert all(c["at"] for c in log["items"])


@pytest.mark.parametrize("body,field", [
    ({"email": "not-an-email", "account_id": "acme"}, "email"),
    ({"domain": "nodot", "account_id": "acme"}, "domain"),
    ({"domain": "gmail.com", "account_id": "acme"}, "domain"),
    ({"email": "a@b.co", "domain": "b.co", "account_id": "acme"}, "email|domain"),
    ({"account_id": "acme"}, "email|domain"),
    ({"email": "a@b.co"}, "account_id"),
    ({"email": "a@b.co", "account_id": "acme", "extra": 1}, "extra"),
])
def test_bad_alias_bodies_are_400(client, auth, accounts, body, field):
    code, err = call(client, auth, "POST", "/api/v1/aliases", body)
    assert code == 400, err
    assert field in err["error"]["details"]
    assert set(err["error"]) == {"code", "message", "details"}
    _, listed = call(client, auth, "GET", "/api/v1/aliases")
    assert listed["items"] == []


def test_alias_to_unknown_account_is_404(client, auth, accounts):
    code, err = call(client, auth, "POST", "/api/v1/aliases",
                     {"email": "a@b.co", "account_id": "nope"})
    assert code == 404 and err["error"]["code"] == "not_found"


def test_aliases_need_a_token(client, accounts):
    assert client.get("/api/v1/aliases").status_code == 401
    assert client.post("/api/v1/aliases", json={"email": "a@b.co", "account_id": "acme"}
                       ).status_code == 401


def test_admin_app_lists_aliases_and_changes_and_removes_with_a_log(app, client, auth, accounts):
    from server.services.users import create_user

    from tests.admin.conftest import PASSWORD, Browser

    call(client, auth, "POST", "/api/v1/aliases", {"email": "ann@acme.com", "account_id": "globex"})
    create_user(app.extensions["account360"].store, "csm@ourco.com", "csm", password=PASSWORD)
    b = Browser(app.test_client())
    assert b.login("csm@ourco.com").status_code == 302
    html = b.get("/admin/aliases").get_data(as_text=True)
    assert "ann@acme.com" in html and "Globex Corporation" in html and "tester" in html
    alias_id = call(client, auth, "GET", "/api/v1/aliases")[1]["items"][0]["id"]
    r = b.post(f"/admin/aliases/{alias_id}/delete", {})
    assert r.status_code == 302
    assert call(client, auth, "GET", "/api/v1/aliases")[1]["items"] == []
    log = call(client, auth, "GET", "/api/v1/aliases/changes")[1]["items"]
    assert (log[0]["action"], log[0]["actor"], log[0]["before_account_id"]) == (
        "delete", "csm@ourco.com", "globex")
    assert b.post("/admin/aliases/999/delete", {}).status_code == 404
