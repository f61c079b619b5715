"""A NUL character in a request's path or parameters is a 400 naming where it is, before any
view reads it (PostgreSQL text refuses NUL: it was a 500 there)."""

from __future__ import annotations


def test_nul_in_a_query_parameter_is_a_clear_400(client, auth):
    r = client.get("/api/v1/playbooks/runs?account_id=acme%00x", headers=auth)
    assert r.status_code == 400
    err = r.get_json()["error"]
    assert err["code"] == "invalid_request"
    assert "query parameter 'account_id'" in err["message"] and "NUL" in err["message"]


def test_nul_in_a_parameter_name_or_the_path_is_refused_too(client, auth):
    r = client.get("/api/v1/accounts?q%00=x", headers=auth)
    assert r.status_code == 400 and "NUL" in r.get_json()["error"]["message"]
    r = client.get("/api/v1/accounts/acme%00/360", headers=auth)
    assert r.status_code == 400 and "path" in r.get_json()["error"]["message"]


def test_nul_in_a_form_is_refused(client):
    r = client.post("/admin/login", data={"email": "a\x00@example.com", "password": "x"})
    assert r.status_code == 400
    assert "form parameter 'email'" in r.get_json()["error"]["message"]


def test_ordinary_requests_pass(client, auth):
    assert client.get("/api/v1/playbooks/runs?account_id=acme", headers=auth).status_code == 200
    assert client.get("/api/v1/accounts?q=a", headers=auth).status_code == 200
