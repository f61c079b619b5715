"""The lifecycle view: accounts per phase with each phase's headline metrics (metrics.md
section 7), scoped like the other pages, from the rows."""

from __future__ import annotations

import json
import re

import pytest

from server.services import lifecycle
from tests.workspace.records import ago

CSM = "csm@example.com"


def acc(i, renewal_in=None, owner=CSM, **kw):
    out = {"type": "account", "id": i, "name": f"Account {i}", "owner": owner, **kw}
    if renewal_in is not None:
        out["renewal_date"] = ago(-renewal_in)
    return out


def deal(i, a, kind, amount, days_ago, status="won"):
    return {"type": "deal", "id": i, "account_id": a, "kind": kind, "status": status,
            "amount": amount, "close_date": ago(days_ago)}


def records() -> list[dict]:
    """One account per phase, dated from the day they are loaded."""
    return [
        acc("R", 30), deal("r1", "R", "new", 1000, 300),
        deal("r2", "R", "renewal", 1100, -30, "open"),
        acc("R2", 60, owner="other@example.com"), deal("r21", "R2", "new", 500, 400),
        acc("V", 200), deal("v1", "V", "new", 2000, 400), deal("v2", "V", "expansion", 300, 100),
        {"type": "nps", "account_id": "V", "score": 10, "date": ago(20)},
        acc("C"), deal("c1", "C", "new", 700, 400), deal("c2", "C", "churn", 700, 100),
        acc("D", 300), deal("d1", "D", "new", 900, 400),
        {"type": "nps", "account_id": "D", "score": 9, "date": ago(10)},
        {"type": "advocacy", "account_id": "D", "kind": "referral", "date": ago(20)},
        acc("O", 335, onboarding_start=ago(30)), deal("o1", "O", "new", 400, 30),
        {"type": "survey", "account_id": "O", "kind": "onboarding", "score": 4, "scale": 5,
         "date": ago(5)},
        acc("P", 245, onboarding_start=ago(120)), deal("p1", "P", "new", 600, 120),
        {"type": "event", "account_id": "P", "user_id": "u1", "name": "login",
         "time": ago(3) + "T10:00:00Z"},
        {"type": "event", "account_id": "P", "user_id": "u2", "name": "login",
         "time": ago(4) + "T10:00:00Z"},
    ]


@pytest.fixture
def loaded(app, load):
    load(records())
    return app.extensions["account360"].store


def test_phases_and_their_headline_metrics(loaded, client, auth):
    with loaded.sessions() as s:
        data = {p["phase"]: p for p in lifecycle.phases(s)}
    assert list(data) == ["onboarding", "adoption", "value_realization", "renewal",
                          "advocacy", "churned"]
    assert {k: (v["accounts"], float(v["arr"])) for k, v in data.items()} == {
        "onboarding": (1, 400.0), "adoption": (1, 600.0), "value_realization": (1, 2300.0),
        "renewal": (2, 1500.0), "advocacy": (1, 900.0), "churned": (1, 0.0)}
    assert data["onboarding"]["headline"] == {
        "time_to_first_value_days": None, "reached_first_value": 0, "onboarding_rating": 4.0,
        "onboarding_responses": 1}
    assert data["adoption"]["headline"]["active_users_30d"] == 2
    vr = data["value_realization"]["headline"]
    assert (vr["nps"], vr["nps_responses"], float(vr["expansion_12m"])) == (100.0, 1, 300.0)
    health = client.get("/api/v1/accounts?limit=50", headers=auth).get_json()["items"]
    assert vr["health"] == next(a["health_score"] for a in health if a["id"] == "V")
    ren = data["renewal"]["headline"]
    assert (ren["days_to_renewal"], float(ren["pipeline"]), ren["pipeline_deals"]) == (
        45.0, 1100.0, 1)
    assert data["advocacy"]["headline"] == {"advocacy_365d": 1}
    assert float(data["churned"]["headline"]["churned_arr_12m"]) == 700.0
    with loaded.sessions() as s:
        mine = {p["phase"]: p["accounts"] for p in lifecycle.phases(s, "other@example.com")}
    assert mine == {"onboarding": 0, "adoption": 0, "value_realization": 0, "renewal": 1,
                    "advocacy": 0, "churned": 0}


def test_page_scoped_like_the_others(loaded, make_user, browser):
    make_user(CSM, "csm")
    b = browser()
    b.login(CSM)
    html = b.get("/app/lifecycle").get_data(as_text=True)  # a CSM: own book by default
    counts = dict(re.findall(r'data-testid="count-(\w+)">(\d+)<', html))
    assert counts == {"onboarding": "1", "adoption": "1", "value_realization": "1",
                      "renewal": "1", "advocacy": "1", "churned": "1"}
    team = b.get("/app/lifecycle?owner=").get_data(as_text=True)
    assert dict(re.findall(r'data-testid="count-(\w+)">(\d+)<', team))["renewal"] == "2"
    pipe = re.search(r"data-metric=\"pipeline\" data-value='([^']*)'>([^<]*)<", team)
    assert json.loads(pipe[1]) == 1100.0 and pipe[2] == "USD 1,100"
    assert 'href="/app/accounts?owner=&amp;segment=&amp;phase=renewal"' in team
    assert "n/a" in html  # no account reached first value: no mean
