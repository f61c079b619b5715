"""Priority accounts: at-risk first, then ARR at risk, then the nearest renewal; churned
accounts left out; a CSM's book by default, the team for a lead; CRM text escaped."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest

from server.demo import CSMS, write_demo

RANK = {"at_risk": 0, "watch": 1}


@pytest.fixture
def demo(app, load, tmp_path):
    path = tmp_path / "demo.jsonl"
    write_demo(path, 60, 2000, 11, date.today())
    from server.importer import import_lines

    with open(path, "rb") as fh:
        report = import_lines(app.extensions["account360"].store, fh)
    assert report.rejected == 0, report.errors[:3]


def accounts(client, auth, **params) -> dict:
    query = "&".join(f"{k}={v}" for k, v in {"limit": 500, **params}.items())
    r = client.get(f"/api/v1/accounts?{query}", headers=auth)
    assert r.status_code == 200
    return {a["id"]: a for a in r.get_json()["items"]}


def order(html: str) -> list[str]:
    return re.findall(r'<tr data-account="([^"]+)"', html)


def key(a: dict):
    rank = RANK.get(a["band"], 2)
    at_risk = Decimal(str(a["arr"])) if rank < 2 else Decimal(0)
    return (rank, -at_risk, a["renewal_date"] or "9999-12-31")


def test_lead_sees_the_team_in_risk_order_without_churned(demo, make_user, browser, client,
                                                          auth):
    make_user("lead@example.com", "lead")
    b = browser()
    b.login("lead@example.com")
    html = b.get("/app/priority").get_data(as_text=True)
    ids = order(html)
    every = accounts(client, auth)
    churned = {i for i, a in every.items() if a["phase"] == "churned"}
    assert churned, "the demo has churned accounts"
    assert not churned & set(ids)
    assert {i for i, a in every.items() if i not in churned and a["arr"]} <= set(ids)
    keys = [key(every[i]) for i in ids]
    assert keys == sorted(keys)
    assert every[ids[0]]["band"] == "at_risk"
    bands = [every[i]["band"] for i in ids]
    assert "watch" in bands and "good" in bands
    summary = re.search(r'data-testid="at-risk-summary">(.*?)</p>', html, re.S)[1]
    n_risk = sum(1 for b_ in bands if b_ == "at_risk")
    assert f"{n_risk} at risk" in summary


def test_csm_sees_their_own_book(demo, make_user, browser, client, auth):
    me = CSMS[0]
    make_user(me, "csm")
    b = browser()
    b.login(me)
    ids = order(b.get("/app/priority").get_data(as_text=True))
    mine = accounts(client, auth, owner=me)
    assert ids and set(ids) <= set(mine)
    team = order(b.get("/app/priority?owner=").get_data(as_text=True))
    assert len(team) > len(ids)


def test_account_names_are_text(app, load, make_user, browser):
    xss = "<img src=x onerror=alert(1)>"
    load([{"type": "account", "id": "X", "name": xss, "owner": "lead@example.com"},
          {"type": "deal", "id": "d", "account_id": "X", "kind": "new", "status": "won",
           "amount": 100, "close_date": date.today().isoformat()}])
    make_user("lead@example.com", "lead")
    b = browser()
    b.login("lead@example.com")
    html = b.get("/app/priority").get_data(as_text=True)
    assert xss not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
