"""An account id may hold any characters the import accepts, a slash included: the API and
the workspace page reach such an account through its percent-encoded id."""

from __future__ import annotations

from urllib.parse import quote

import pytest

ID = "acme/eu"
URL = quote(ID, safe="")  # acme%2Feu, as the extension's encodeURIComponent sends it


@pytest.fixture
def slashed(load):
    load([{"type": "account", "id": ID, "name": "Acme Europe", "owner": "csm@example.com"},
          {"type": "account", "id": "acme", "name": "Acme"},
          {"type": "deal", "id": "d1", "account_id": ID, "kind": "new", "status": "won",
           "amount": 2400, "close_date": "2025-01-15"},
          {"type": "task", "id": "t1", "account_id": ID, "subject": "Call Europe",
           "status": "open", "owner": "csm@example.com"}])


def test_api_reaches_an_account_whose_id_has_a_slash(client, auth, slashed):
    r = client.get(f"/api/v1/accounts/{URL}/360", headers=auth)
    assert r.status_code == 200
    body = r.get_json()
    assert body["account"]["id"] == ID and body["revenue"]["arr"] == 2400
    tasks = client.get(f"/api/v1/accounts/{URL}/tasks", headers=auth).get_json()["items"]
    assert [t["subject"] for t in tasks] == ["Call Europe"]
    r = client.post(f"/api/v1/accounts/{URL}/notes", headers=auth, json={"body": "Met the team"})
    assert r.status_code == 201
    notes = client.get(f"/api/v1/accounts/{URL}/notes", headers=auth).get_json()["items"]
    assert [n["body"] for n in notes] == ["Met the team"]
    r = client.get(f"/api/v1/accounts/{URL}/history?metrics=arr", headers=auth)
    assert r.status_code == 200
    # the plain id next to it is another account, and an unknown one is a 404, not a 500
    assert client.get("/api/v1/accounts/acme/360", headers=auth).get_json()["account"][
        "name"] == "Acme"
    r = client.get(f"/api/v1/accounts/{quote('acme/us', safe='')}/360", headers=auth)
    assert r.status_code == 404 and r.get_json()["error"]["code"] == "not_found"


def test_workspace_page_of_an_account_whose_id_has_a_slash(slashed, make_user, browser):
    make_user("csm@example.com", "csm")
    b = browser()
    b.login("csm@example.com")
    r = b.get(f"/app/accounts/{URL}")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert "Acme Europe" in html and "Call Europe" in html
