"""Team and CSM figures over a period, hand-computed; snapshots and signal history."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

T = date(2026, 11, 23)


def d(n: int) -> str:
    return (T - timedelta(days=n)).isoformat()


def deal(i, acc, kind, status, amount, days_ago, **kw):
    return {"type": "deal", "id": i, "account_id": acc, "kind": kind, "status": status,
            "amount": amount, "close_date": d(days_ago), **kw}


RECORDS = [
    {"type": "account", "id": "A", "name": "A", "owner": "x@team.example"},
    {"type": "account", "id": "B", "name": "B", "owner": "x@team.example"},
    {"type": "account", "id": "C", "name": "C", "owner": "y@team.example"},
    {"type": "account", "id": "D", "name": "D", "owner": "y@team.example"},
    deal("a1", "A", "new", "won", 100, 400),
    deal("a2", "A", "expansion", "won", 50, 100, expansion_type="upsell"),   # 2026-08-15
    deal("b1", "B", "new", "won", 200, 500),
    deal("b2", "B", "renewal", "won", 150, 135),          # a renewal that lowers ARR
    deal("c1", "C", "new", "won", 300, 600),
    deal("c2", "C", "renewal", "lost", 300, 235),         # lost renewal -> churn
    deal("d1", "D", "new", "won", 80, 30),                # new logo: not in the cohort
]


@pytest.fixture
def portfolio(client, auth, load):
    load(RECORDS)
    r = client.get(f"/api/v1/portfolio?as_of={T}", headers=auth)
    assert r.status_code == 200
    return r.get_json()


def test_team_retention(portfolio):
    team = portfolio["team"]
    assert portfolio["period"] == {"start": d(364), "end": T.isoformat()}
    # cohort A, B, C: S = 100 + 200 + 300 = 600; E = 150 + 150 + 0 = 300
    nrr = team["nrr"]
    assert nrr["type"] == "lagging"
    assert nrr["inputs"] == {"start_arr": 600, "end_arr": 300, "expansion": 50,
                             "contraction": 50, "churn": 300, "cohort_size": 3}
    assert nrr["value"] == pytest.approx(0.5)
    assert team["grr"]["value"] == pytest.approx(250 / 600)
    assert team["logo_churn_rate"]["value"] == pytest.approx(1 / 3)
    assert team["revenue_churn_rate"]["value"] == pytest.approx(0.5)
    assert team["loaded_arr"]["value"] == 380
    quarters = {q["quarter"]: q["expansion"] for q in team["expansion_by_quarter"]["value"]}
    assert quarters["2026-Q3"] == 50 and sum(quarters.values()) == 50
    assert team["accounts_by_band"]["type"] == "leading"


def test_per_csm(portfolio):
    by = {row["owner"]: row for row in portfolio["by_csm"]}
    assert set(by) == {"x@team.example", "y@team.example"}
    assert by["x@team.example"]["nrr"]["value"] == pytest.approx(1.0)
    assert by["x@team.example"]["grr"]["value"] == pytest.approx(250 / 300)
    assert by["y@team.example"]["nrr"]["value"] == pytest.approx(0.0)
    assert by["y@team.example"]["logo_churn_rate"]["value"] == pytest.approx(1.0)
    assert by["y@team.example"]["loaded_arr"]["value"] == 80


def test_owner_filter_and_empty_cohort(client, auth, load):
    load(RECORDS)
    r = client.get(f"/api/v1/portfolio?as_of={T}&owner=x@team.example", headers=auth)
    assert r.get_json()["team"]["accounts"] == 2
    r = client.get(f"/api/v1/portfolio?as_of={T}&owner=nobody@team.example", headers=auth)
    team = r.get_json()["team"]
    assert team["accounts"] == 0 and team["nrr"]["value"] is None
    r = client.get("/api/v1/portfolio?start=2026-05-01&end=2026-01-01", headers=auth)
    assert r.status_code == 400


def test_signal_since_comes_from_daily_snapshots(app, client, auth, load):
    from server.services.account360 import snapshot

    load([{"type": "account", "id": "A", "name": "A", "seats": 10},
          {"type": "touchpoint", "account_id": "A", "kind": "call", "date": d(200)},
          {"type": "event", "account_id": "A", "user_id": "u1", "name": "login",
           "time": f"{d(5)}T09:00:00Z"}])
    st = app.extensions["account360"]
    with st.store.session() as s:
        for n in (4, 2, 1):   # a gap on T-3: the unbroken run starts on T-2
            snapshot(s, T - timedelta(days=n), st.settings)
    body = client.get(f"/api/v1/accounts/A/360?as_of={T}", headers=auth).get_json()
    signals = {x["code"]: x for x in body["signals"]}
    assert signals["no_touch"]["since"] == d(170)   # derivable: last touch + 30 days
    assert signals["low_seat_utilization"]["since"] == d(2)   # from the snapshots
    body = client.get(f"/api/v1/accounts/A/360?as_of={d(10)}", headers=auth).get_json()
    assert "low_seat_utilization" not in {x["code"] for x in body["signals"]}


def test_import_invalidates_cached_360(client, auth, load):
    load([{"type": "account", "id": "A", "name": "Old name"}])
    assert client.get("/api/v1/accounts/A/360", headers=auth).get_json()["account"]["name"] \
        == "Old name"
    load([{"type": "account", "id": "A", "name": "New name"}])
    assert client.get("/api/v1/accounts/A/360", headers=auth).get_json()["account"]["name"] \
        == "New name"


def test_change_30d_uses_the_daily_snapshot_of_that_day(app, client, auth, load):
    from server import models as m
    from server.rows.models import AccountDay

    load([{"type": "account", "id": "A", "name": "A"},
          {"type": "ticket", "id": "k", "account_id": "A", "status": "open",
           "priority": "low", "created_at": f"{d(1)}T00:00:00Z"},
          {"type": "touchpoint", "account_id": "A", "kind": "call", "date": d(2)}])
    body = client.get(f"/api/v1/accounts/A/360?as_of={T}", headers=auth).get_json()
    score = body["health"]["score"]          # support 95, engagement 100 -> 97.5
    assert score == pytest.approx((95 * 15 + 100 * 15) / 30)
    assert body["health"]["score_30d_ago"] is None  # nothing 30 days ago: unknown
    with app.extensions["account360"].store.session() as s:
        s.add(AccountDay(account_id="A", day=T - timedelta(days=30), score=90.0,
                         band="good", signals=[]))
        s.get(m.Account, "A").name = "A2"     # a write: the cached 360 is stale
    body = client.get(f"/api/v1/accounts/A/360?as_of={T}", headers=auth).get_json()
    assert body["health"]["score_30d_ago"] == 90.0
    assert body["health"]["change_30d"] == pytest.approx(score - 90.0)
