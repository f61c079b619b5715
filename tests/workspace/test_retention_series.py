"""The NRR/GRR series kept between changes of the ARR timeline (services.retention_series):
after writes of every kind (a task, a usage import, a deal that changes ARR, a deal moved or
removed, a new owner, a deleted account) it equals the series computed from the records, for
the team and a CSM's book; writes that leave the timeline alone do not re-read it, and a deal
re-reads only its account's timeline."""

from __future__ import annotations

import json
import re
import sys
from datetime import date, timedelta
from fractions import Fraction

import pytest

from server import metrics as mx
from server import models as m
from server.ingest import Loader
from server.rows import stamps
from server.services import retention_points, retention_series, trends
from server.services.facts import load_facts
from tests.workspace.records import TODAY, deal

pytestmark = pytest.mark.store


RECORDS = [
    {"type": "account", "id": "A", "name": "Alpha", "owner": "csm@example.com"},
    {"type": "account", "id": "B", "name": "Beta", "owner": "csm@example.com"},
    {"type": "account", "id": "C", "name": "Gamma", "owner": "other@example.com"},
    {"type": "account", "id": "D", "name": "Delta", "owner": "other@example.com"},
    deal("a1", "A", "new", "won", 100.10, 500),
    deal("a2", "A", "expansion", "won", 50.25, 200),
    deal("b1", "B", "new", "won", 200, 420),
    deal("b2", "B", "contraction", "won", 30.5, 40),
    deal("c1", "C", "new", "won", 300, 600),
    deal("c2", "C", "renewal", "lost", 300, 150),
    deal("d1", "D", "new", "won", 0.1, 700),
    deal("d2", "D", "expansion", "won", 0.2, 90),
]


def from_records(session, owner: str | None = None) -> list[tuple]:
    """(month, NRR, GRR, cohort) per month end, from the deals themselves (exact fractions)."""
    accounts, facts = load_facts(session, None, TODAY, None, activity=False)
    out = []
    for start, end in trends.windows(TODAY):
        s_sum = e_sum = kept = 0
        cohort = 0
        for acc_id, f in facts.items():
            if owner and accounts[acc_id].owner != owner:
                continue
            s = mx.arr_at(f.deals, start - timedelta(days=1))
            e = mx.arr_at(f.deals, end)
            if s > 0:
                s_sum, e_sum, kept, cohort = s_sum + s, e_sum + e, kept + min(s, e), cohort + 1
        ratio = (lambda x: float(Fraction(x) / Fraction(s_sum))) if s_sum else (lambda x: None)
        out.append((end.strftime("%Y-%m"), ratio(e_sum), ratio(kept), cohort))
    return out


def kept_series(session, owner: str | None = None) -> list[tuple]:
    got = retention_series.retention_by_month(session, TODAY, owner)
    direct = trends.retention_by_month(session, TODAY, owner)
    assert got == direct
    return [(p["month"], p["nrr"], p["grr"], p["cohort_size"]) for p in got]


@pytest.fixture
def workspace(app, load):
    load(RECORDS)
    retention_series.forget()
    return app.extensions["account360"].store


def check(store) -> None:
    with store.sessions() as s:
        for owner in (None, "csm@example.com", "other@example.com"):
            want = from_records(s, owner)
            assert kept_series(s, owner) == want, owner
            assert any(nrr is not None for _, nrr, _, _ in want)


def reads(monkeypatch) -> list:
    """The `ids` of every timeline read of the kept series (None: the whole timeline)."""
    seen = []
    real, real_build = trends.timelines, retention_points.build

    def spy(session, *scope, ids=None):
        if sys._getframe(1).f_globals["__name__"] == retention_series.__name__:
            seen.append(None if ids is None else sorted(ids))
        return real(session, *scope, ids=ids)

    def spy_build(session, keys_of):  # the kept points' own read of the whole timeline
        seen.append(None)
        return real_build(session, keys_of)
    monkeypatch.setattr(trends, "timelines", spy)
    monkeypatch.setattr(retention_points, "build", spy_build)
    return seen


def test_a_task_and_a_usage_import_do_not_reread_the_timeline(workspace, load, client, auth,
                                                              monkeypatch):
    check(workspace)
    with workspace.sessions() as s:
        before = stamps.counters(s)
    seen = reads(monkeypatch)
    r = client.post("/api/v1/accounts/A/tasks", headers=auth, json={"subject": "Call"})
    assert r.status_code == 201
    load([{"type": "event", "account_id": "B", "user_id": "u1", "name": "report",
           "time": f"{TODAY}T09:00:00Z"}])
    with workspace.sessions() as s:
        assert stamps.counters(s) == before
        kept = retention_series.kept_points(s, TODAY)
        assert retention_series.kept_points(s, TODAY) is kept
    check(workspace)
    assert seen == []


def test_a_deal_rereads_only_its_account(workspace, load, monkeypatch):
    check(workspace)
    with workspace.sessions() as s:
        version, _ = stamps.counters(s)
    seen = reads(monkeypatch)
    load([deal("a3", "A", "expansion", "won", 70.05, 10)])   # A's ARR moves today
    with workspace.sessions() as s:
        assert stamps.counters(s)[0] == version + 1
    check(workspace)
    assert seen == [["A"]]
    load([deal("b2", "B", "contraction", "won", 30.5, 300)])  # moved 260 days back
    check(workspace)
    load([deal("c3", "C", "new", "won", 120, 5)])
    load([deal("d3", "D", "renewal", "lost", 0, 3)])  # two writes, then one read
    check(workspace)
    assert seen == [["A"], ["B"], ["C", "D"]]


def test_a_csm_first_view_folds_its_book_without_building_the_team(workspace, load,
                                                                     monkeypatch):
    """A scope's read with nothing kept folds its own accounts and keeps nothing; the next
    whole-team read builds the kept points, and the scope then sums them (same series)."""
    seen = reads(monkeypatch)
    with workspace.sessions() as s:
        assert kept_series(s, "csm@example.com") == from_records(s, "csm@example.com")
        assert retention_series.kept_points(s, TODAY, build=False) is None
    assert seen == []
    check(workspace)     # the team's read first: builds once
    load([deal("a3", "A", "expansion", "won", 70.05, 10)])
    retention_series.forget()
    with workspace.sessions() as s:
        assert kept_series(s, "other@example.com") == from_records(s, "other@example.com")
    assert seen == [None]


def test_a_removed_deal_a_new_owner_and_a_deleted_account(workspace, load):
    check(workspace)
    with workspace.session() as s:
        loader = Loader(s)
        assert loader.delete("deal", "a2")
        loader.flush()
    check(workspace)
    load([{**RECORDS[1], "owner": "other@example.com"}])  # B to the other CSM's book
    check(workspace)
    with workspace.session() as s:
        loader = Loader(s)
        assert loader.delete("account", "C")
        loader.flush()
    with workspace.sessions() as s:
        assert stamps.counters(s)[1] == 1
        assert s.get(m.Account, "C") is None
    check(workspace)


def test_the_dashboard_shows_the_series_of_the_records_after_each_write(
        workspace, load, make_user, browser, client, auth):
    make_user("lead@example.com", "lead")
    b = browser()
    b.login("lead@example.com")

    def shown() -> dict:
        html = b.get("/app/").get_data(as_text=True)
        data = json.loads(re.search(r'id="chart-data">(.*?)</script>', html, re.S)[1])
        return data["retention"]

    def want() -> dict:
        with workspace.sessions() as s:
            rows = from_records(s)
        pct = lambda v: None if v is None else round(v * 100, 2)  # noqa: E731
        return {"labels": [r[0] for r in rows], "nrr": [pct(r[1]) for r in rows],
                "grr": [pct(r[2]) for r in rows]}

    assert shown() == want()
    client.post("/api/v1/accounts/A/tasks", headers=auth, json={"subject": "Call"})
    assert shown() == want()
    load([deal("a3", "A", "expansion", "won", 500, 1)])
    after = shown()
    assert after == want()
    nrr = client.get("/api/v1/portfolio", headers=auth).get_json()["team"]["nrr"]["value"]
    assert after["nrr"][-1] == round(nrr * 100, 2)


def test_account_points_are_the_arr_on_each_window_day():
    keys = trends.bounds_keys(date(2026, 6, 15), date)
    assert list(keys.days) == sorted(keys.days) and len(keys.s) == len(keys.e) == 12
    first, last = keys.days[0], keys.days[-1]
    days = [first - timedelta(days=3), first, first, keys.days[5], last + timedelta(days=1)]
    arrs = [100, 250, 0, 700, 900]  # two changes on the first key day: the later one counts
    points = trends.account_points(days, arrs, keys)
    for day, got in zip(keys.days, points):
        seen = [a for d, a in zip(days, arrs) if d <= day]
        assert got == seen[-1], day
    assert trends.account_points([last + timedelta(days=1)], [5], keys) == (0,) * len(keys.days)
