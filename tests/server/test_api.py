"""The API: auth, lookup, the 360 with hand-computed figures, search, tasks, notes, errors."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

T = date(2026, 11, 23)


def d(days_ago: int) -> str:
    return (T - timedelta(days=days_ago)).isoformat()


def ts(days_ago: int, hour: int = 10) -> str:
    return f"{d(days_ago)}T{hour:02d}:00:00Z"


ACME = [
    {"type": "account", "id": "acme", "name": "Acme Corp", "domains": ["acme.com"],
     "owner": "maria@ourteam.example", "seats": 10, "segment": "enterprise",
     "renewal_date": d(-60), "crm": {"system": "salesforce", "id": "001000000000001AAA"}},
    {"type": "contact", "id": "c1", "account_id": "acme", "email": "ann@acme.com",
     "crm": {"system": "hubspot", "id": "77"}},
    # ARR: 100000 new (400 days ago), +20000 expansion (100 days ago) -> 120000
    {"type": "deal", "id": "d1", "account_id": "acme", "kind": "new", "status": "won",
     "amount": 100000, "close_date": d(400)},
    {"type": "deal", "id": "d2", "account_id": "acme", "kind": "expansion", "status": "won",
     "amount": 20000, "close_date": d(100), "expansion_type": "upsell"},
    {"type": "deal", "id": "d3", "account_id": "acme", "kind": "renewal", "status": "open",
     "amount": 130000, "close_date": d(-60), "stage": "negotiation", "name": "Renewal 2027"},
    # one high ticket open 5 days, one normal ticket solved
    {"type": "ticket", "id": "k1", "account_id": "acme", "status": "open", "priority": "high",
     "created_at": ts(5)},
    {"type": "ticket", "id": "k2", "account_id": "acme", "status": "solved",
     "priority": "normal", "created_at": ts(10), "first_response_at": ts(10, 12),
     "solved_at": ts(9, 10)},
    {"type": "touchpoint", "account_id": "acme", "kind": "call", "date": d(20)},
    {"type": "nps", "account_id": "acme", "score": 9, "date": d(40), "contact_email": "ann@acme.com"},
    {"type": "nps", "account_id": "acme", "score": 5, "date": d(50), "contact_email": "bob@acme.com"},
    {"type": "task", "id": "t-done", "account_id": "acme", "subject": "Old", "status": "done"},
    {"type": "task", "id": "t-open", "account_id": "acme", "subject": "Plan QBR",
     "status": "open", "due_date": d(-3)},
]
# usage: 8 distinct users in the last 30 days, 4 in the prior 30 days
EVENTS = [{"type": "event", "account_id": "acme", "user_id": f"u{i}", "name": "login",
           "time": ts(1 + i)} for i in range(8)] + [
          {"type": "event", "account_id": "acme", "user_id": f"u{i}", "name": "login",
           "time": ts(35 + i)} for i in range(4)]
OTHERS = [
    {"type": "account", "id": "globex-us", "name": "Globex US", "domains": ["globex.com"]},
    {"type": "account", "id": "globex-eu", "name": "Globex EU", "domains": ["globex.com"]},
    {"type": "account", "id": "xss", "name": "<img src=x onerror=alert(1)>",
     "domains": ["xss.example"]},
]


@pytest.fixture
def acme(load):
    load(ACME + EVENTS + OTHERS)


def get(client, auth, url):
    r = client.get(url, headers=auth)
    return r.status_code, r.get_json()


def test_requests_without_a_valid_token_are_refused(client, acme, app, token):
    from server.auth import list_tokens, revoke_token

    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic x"}):
        r = client.get("/api/v1/accounts/acme/360", headers=headers)
        assert r.status_code == 401
        assert r.get_json()["error"]["code"] == "unauthorized"
    store = app.extensions["account360"].store
    tok_id = list_tokens(store)[0]["id"]
    assert revoke_token(store, tok_id)
    r = client.get("/api/v1/accounts/acme/360", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 401


def test_tokens_are_stored_hashed(app, token):
    from sqlalchemy import select

    from server import models as m

    with app.extensions["account360"].store.sessions() as s:
        stored = list(s.scalars(select(m.ApiToken.token_hash)))
    assert stored and token not in stored and all(len(h) == 64 for h in stored)


def test_360_figures_match_hand_computation(client, auth, acme):
    code, body = get(client, auth, f"/api/v1/accounts/acme/360?as_of={T}")
    assert code == 200
    assert list(body) == ["as_of", "account", "revenue", "usage", "support", "relationship",
                          "health", "signals", "phase", "tasks", "notes", "freshness",
                          "playbooks"]
    assert body["account"]["crm"] == [{"system": "salesforce", "id": "001000000000001AAA"}]
    rev = body["revenue"]
    assert rev["arr"] == 120000 and rev["mrr"] == 10000
    # trailing 12 months: S = ARR on T-365 = 100000, E = 120000
    mv = rev["movements"]
    assert (mv["start_arr"], mv["end_arr"], mv["expansion"], mv["nrr_contribution"]) == (
        100000, 120000, 20000, 20000)
    assert rev["renewal_date"] == d(-60) and rev["days_to_renewal"] == 60
    assert [p["id"] for p in rev["pipeline"]] == ["d3"]
    use = body["usage"]
    assert (use["active_users_30d"], use["active_users_prior_30d"]) == (8, 4)
    assert use["trend"] == pytest.approx(1.0)          # (8 - 4) / 4
    assert use["seat_utilization"] == pytest.approx(0.8)  # 8 / 10
    assert use["stickiness"] == pytest.approx((8 / 30) / 8)  # one user a day on 8 days
    assert use["days_since_last_activity"] == 1
    assert len(use["daily_active"]) == 30
    sup = body["support"]
    assert sup["open_by_priority"] == {"low": 0, "normal": 0, "high": 1, "urgent": 0}
    assert sup["first_response_hours_median"] == pytest.approx(2.0)
    assert sup["resolution_hours_median"] == pytest.approx(24.0)
    rel = body["relationship"]
    assert rel["days_since_last_touchpoint"] == 20
    assert rel["nps"]["score"] == 0  # one promoter, one detractor
    health = {c["name"]: c for c in body["health"]["components"]}
    # seat 100 (0.8/0.8), trend 150 -> 100, support 100-20 = 80,
    # engagement 100 - (20-14)*100/76, nps (0+100)/2 = 50; adoption missing (no key features)
    assert health["seat_utilization"]["score"] == pytest.approx(100)
    assert health["usage_trend"]["score"] == pytest.approx(100)
    assert health["support"]["score"] == pytest.approx(80)
    assert health["engagement"]["score"] == pytest.approx(100 - 600 / 76)
    assert health["nps"]["score"] == pytest.approx(50)
    expected = (100 * 20 + 100 * 20 + 80 * 15 + (100 - 600 / 76) * 15 + 50 * 15) / 85
    assert body["health"]["score"] == pytest.approx(expected)
    assert body["health"]["band"] == "good"
    assert sum(c["points"] for c in body["health"]["components"]) == pytest.approx(expected)
    codes = {s["code"] for s in body["signals"]}
    assert "urgent_ticket_aging" in codes and "usage_drop" not in codes
    assert body["phase"] == "renewal"
    assert [t["id"] for t in body["tasks"]] == ["t-open", "t-done"]
    assert "import" in body["freshness"]


def test_360_as_of_the_past_ignores_later_records(client, auth, acme):
    code, body = get(client, auth, f"/api/v1/accounts/acme/360?as_of={d(200)}")
    assert code == 200
    assert body["revenue"]["arr"] == 100000
    assert body["usage"]["active_users_30d"] is None or body["usage"]["active_users_30d"] == 0


@pytest.mark.parametrize("query,by,account", [
    ("email=Ann@Acme.com", "contact_email", "acme"),
    ("email=zed@acme.com", "domain", "acme"),
    ("domain=acme.com", "domain", "acme"),
    ("domain=eu.app.acme.com", "subdomain", "acme"),
    ("crm=salesforce&record_id=001000000000001AAA", "crm_id", "acme"),
    ("crm=salesforce&record_id=001000000000001", "crm_id", "acme"),
    ("crm=hubspot&record_id=77", "crm_id", "acme"),
])
def test_lookup_matches(client, auth, acme, query, by, account):
    code, body = get(client, auth, f"/api/v1/accounts/lookup?{query}")
    assert code == 200, body
    assert body["match"]["by"] == by
    assert body["account"]["id"] == account
    assert "health" in body


def test_lookup_several_accounts_answers_candidates(client, auth, acme):
    code, body = get(client, auth, "/api/v1/accounts/lookup?email=kim@globex.com")
    assert code == 200
    assert "account" not in body
    assert [c["id"] for c in body["candidates"]] == ["globex-eu", "globex-us"]
    assert all(c["why"] == "domain globex.com" for c in body["candidates"])


def test_lookup_freemail_and_unknown(client, auth, acme):
    code, body = get(client, auth, "/api/v1/accounts/lookup?email=someone@gmail.com")
    assert code == 404 and body["error"]["details"]["freemail"] is True
    code, body = get(client, auth, "/api/v1/accounts/lookup?domain=gmail.com")
    assert code == 404
    code, body = get(client, auth, "/api/v1/accounts/lookup?domain=example.org")
    assert code == 404 and body["error"]["message"] == "No account for example.org"
    code, body = get(client, auth, "/api/v1/accounts/lookup?crm=pipedrive&record_id=1")
    assert code == 400 and "crm" in body["error"]["details"]
    code, body = get(client, auth, "/api/v1/accounts/lookup")
    assert code == 400


def test_unknown_account_and_bad_as_of(client, auth, acme):
    code, body = get(client, auth, "/api/v1/accounts/nope/360")
    assert code == 404 and body["error"]["code"] == "not_found"
    code, body = get(client, auth, "/api/v1/accounts/acme/360?as_of=23-11-2026")
    assert code == 400 and "as_of" in body["error"]["details"]


def test_list_search_filter_sort_and_page(client, auth, acme):
    code, body = get(client, auth, "/api/v1/accounts?q=globex")
    assert [i["id"] for i in body["items"]] == ["globex-eu", "globex-us"]
    code, body = get(client, auth, "/api/v1/accounts?sort=-arr&limit=1")
    assert body["items"][0]["id"] == "acme" and body["next_cursor"]
    code, body2 = get(client, auth, f"/api/v1/accounts?sort=-arr&limit=1&cursor={body['next_cursor']}")
    assert body2["items"][0]["id"] != "acme"
    code, body = get(client, auth, "/api/v1/accounts?owner=MARIA@ourteam.example")
    assert [i["id"] for i in body["items"]] == ["acme"]
    code, body = get(client, auth, "/api/v1/accounts?band=unknown")
    assert {i["id"] for i in body["items"]} == {"globex-eu", "globex-us", "xss"}
    code, body = get(client, auth, "/api/v1/accounts?band=purple")
    assert code == 400


def test_tasks_and_notes(client, auth, acme):
    r = client.post("/api/v1/accounts/acme/tasks", headers=auth,
                    json={"subject": "  Send deck ", "due_date": "2026-12-01"})
    assert r.status_code == 201
    task = r.get_json()
    assert task["subject"] == "Send deck" and task["status"] == "open"
    # the cached 360 shows it at once
    _, body = get(client, auth, "/api/v1/accounts/acme/360")
    assert task["id"] in [t["id"] for t in body["tasks"]]
    r = client.patch(f"/api/v1/tasks/{task['id']}", headers=auth, json={"status": "done"})
    assert r.status_code == 200 and r.get_json()["status"] == "done"
    _, body = get(client, auth, "/api/v1/accounts/acme/tasks")
    assert [t["status"] for t in body["items"]][-1] == "done"
    r = client.post("/api/v1/accounts/acme/notes", headers=auth, json={"body": "Met <b>CFO</b>"})
    assert r.status_code == 201 and r.get_json()["author"] == "tester"
    _, body = get(client, auth, "/api/v1/accounts/acme/360")
    assert body["notes"][0]["body"] == "Met <b>CFO</b>"


@pytest.mark.parametrize("payload,field", [
    ({}, "subject"),
    ({"subject": ""}, "subject"),
    ({"subject": "x", "due_date": "tomorrow"}, "due_date"),
    ({"subject": "x", "colour": "red"}, "colour"),
    ({"subject": "x" * 501}, "subject"),
    ({"subject": "x", "status": "maybe"}, "status"),
])
def test_task_validation(client, auth, acme, payload, field):
    r = client.post("/api/v1/accounts/acme/tasks", headers=auth, json=payload)
    assert r.status_code == 400
    err = r.get_json()["error"]
    assert err["code"] == "validation_error" and field in err["details"]


def test_oversized_body_is_refused(make_app, load):
    app = make_app(MAX_BODY_BYTES=200)
    from server.auth import create_token
    from server.importer import import_lines

    import_lines(app.extensions["account360"].store, [b'{"type":"account","id":"a","name":"A"}'])
    tok = create_token(app.extensions["account360"].store, "t")
    r = app.test_client().post("/api/v1/accounts/a/notes", json={"body": "x" * 500},
                               headers={"Authorization": f"Bearer {tok}"})
    assert r.status_code == 400 and r.get_json()["error"]["code"] == "body_too_large"


def test_import_endpoint(client, auth):
    body = b'{"type":"account","id":"a","name":"A"}\nnot json\n'
    r = client.post("/api/v1/import", headers={**auth, "Content-Type": "application/x-ndjson"},
                    data=body)
    assert r.status_code == 422
    out = r.get_json()
    assert (out["loaded"], out["rejected"]) == (1, 1)
    assert out["errors"][0]["line"] == 2
    r = client.post("/api/v1/import", headers=auth, json={"type": "account"})
    assert r.status_code == 415


def test_openapi_documents_every_route(app, client):
    doc = client.get("/api/v1/openapi.json").get_json()
    documented = {(path, method) for path, ops in doc["paths"].items() for method in ops}
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (path, method.lower()) in documented, (path, method)


def test_cors_only_for_configured_origins(make_app, load):
    app = make_app(EXTENSION_ORIGINS="chrome-extension://abcdefghijklmnop")
    c = app.test_client()
    r = c.options("/api/v1/me", headers={"Origin": "chrome-extension://abcdefghijklmnop",
                                          "Access-Control-Request-Method": "GET"})
    assert r.headers.get("Access-Control-Allow-Origin") == "chrome-extension://abcdefghijklmnop"
    r = c.options("/api/v1/me", headers={"Origin": "https://evil.example",
                                          "Access-Control-Request-Method": "GET"})
    assert "Access-Control-Allow-Origin" not in r.headers
    plain = make_app()
    r = plain.test_client().get("/healthz", headers={"Origin": "https://mail.google.com"})
    assert r.status_code == 200 and "Access-Control-Allow-Origin" not in r.headers


def test_healthz_and_error_envelope(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}
    r = client.get("/api/v1/nothing-here")
    assert r.status_code == 404
    assert set(r.get_json()["error"]) == {"code", "message", "details"}
