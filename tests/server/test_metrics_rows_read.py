"""Reads from the account-metrics rows equal the figures computed from the records."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from server.rows.refresh import today
from server.services.search import SORTS
from tests.server.rows_helpers import fresh_rows, stored_days, stored_rows

T = today()


@pytest.fixture
def demo(app):
    """A small seeded demo workspace (deals of every kind, tickets, surveys, NPS, usage)."""
    import tomllib
    from pathlib import Path

    from server.demo import DEMO_SETTINGS, build_demo
    from server.settings import parse

    st = app.extensions["account360"]
    st.settings = st.store.settings = parse(tomllib.loads(DEMO_SETTINGS), "demo")
    build_demo(st.store, accounts=36, events=6000, seed=7, data_dir=Path(st.config["DATA_DIR"]))
    return st


def _json(app, value):
    return json.loads(app.json.dumps(value))


@pytest.mark.parametrize("period", [None, (400, 0), (90, 0), (200, 100), (30, -20)])
def test_portfolio_from_rows_equals_portfolio_from_records(app, demo, period):
    from server.metrics import trailing_year
    from server.services.portfolio import portfolio

    start, end = trailing_year(T) if period is None else (
        T - timedelta(days=period[0]), T - timedelta(days=period[1]))
    owners = [None, "maria@ourteam.example", "DEVON@ourteam.example", "nobody@x.example"]
    with demo.store.sessions() as s:
        for owner in owners:
            fast = portfolio(s, demo.settings, start, end, T, owner, rows=True)
            slow = portfolio(s, demo.settings, start, end, T, owner, rows=False)
            assert _json(app, fast) == _json(app, slow)
        team = _json(app, portfolio(s, demo.settings, start, end, T, None, rows=True))["team"]
    assert team["accounts"] == 36 and team["nrr"]["inputs"]["cohort_size"] > 5
    assert team["first_response_hours_median"]["inputs"]["tickets"] > 0


def test_portfolio_filters_by_segment_and_phase(app, demo, client, auth):
    from server.services.portfolio import portfolio

    with demo.store.sessions() as s:
        for seg, ph in (("enterprise", None), (None, "renewal"), ("smb", "adoption")):
            fast = portfolio(s, demo.settings, T - timedelta(days=180), T, T, None, seg, ph,
                             rows=True)
            slow = portfolio(s, demo.settings, T - timedelta(days=180), T, T, None, seg, ph,
                             rows=False)
            assert _json(app, fast) == _json(app, slow)
    r = client.get("/api/v1/portfolio?phase=nope", headers=auth)
    assert r.status_code == 400 and r.get_json()["error"]["details"] == {"phase": "nope"}


def test_accounts_list_from_rows_equals_the_records_path(app, demo, client, auth, monkeypatch):
    import server.services.search as search

    def pages(query):
        out, cursor = [], None
        while True:
            url = f"/api/v1/accounts?limit=7&{query}" + (f"&cursor={cursor}" if cursor else "")
            body = client.get(url, headers=auth).get_json()
            out += body["items"]
            cursor = body["next_cursor"]
            if not cursor:
                return out

    queries = [f"sort={s}" for s in SORTS] + [
        "band=at_risk&sort=-arr", "band=good", "phase=renewal&sort=renewal",
        "owner=MARIA@ourteam.example&sort=health", "q=acme", "segment=enterprise&sort=-health",
        "band=watch&owner=devon@ourteam.example"]
    fast = {q: pages(q) for q in queries}
    monkeypatch.setattr(search, "rows_answer", lambda st, as_of: False)
    for q in queries:
        assert fast[q] == pages(q), q
    assert len(fast["sort=arr"]) == 36
    assert [x["arr"] for x in fast["sort=-arr"]] == sorted(
        (x["arr"] for x in fast["sort=-arr"]), reverse=True)


def test_backfill_equals_single_day_evaluations_and_resumes(app, demo, monkeypatch):
    from server.rows import history
    from server.rows.models import AccountDay, MetricsJob

    first = T - timedelta(days=44)
    with demo.store.session() as s:       # single-day evaluations, oldest first
        for n in range(44, -1, -1):
            history.daily(s, demo.settings, T - timedelta(days=n))
    with demo.store.sessions() as s:
        single = stored_days(s, first)
    with demo.store.session() as s:
        s.execute(AccountDay.__table__.delete())
    monkeypatch.setattr(history, "CHUNK", 10)
    calls = []

    def stop_after_two_chunks(done, total):
        calls.append(done)
        if done >= 20 and len(calls) < 4:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        history.backfill(demo.store, demo.settings, 45, progress=stop_after_two_chunks)
    with demo.store.sessions() as s:
        assert s.get(MetricsJob, "backfill").state["after"] == "acc-0020"
    state = history.backfill(demo.store, demo.settings, 45, progress=lambda d, t: calls.append(d))
    assert calls[3] == 20 and calls[-1] == 36           # resumed after the second chunk
    assert state["finished"] and state["rows"] == 36 * 45
    with demo.store.sessions() as s:
        bulk = stored_days(s, first)
    assert bulk.keys() == single.keys() and len(bulk) == 36 * 45
    for key in single:
        assert bulk[key] == single[key], key
    assert any(v["signals"] for v in bulk.values())
    with demo.store.sessions() as s:            # the backfill wrote today's current rows too
        assert stored_rows(s) == fresh_rows(s, demo.settings, T)


def test_history_series_endpoint(app, client, auth, load):
    from server.rows.history import daily

    load([{"type": "account", "id": "A", "name": "A", "seats": 4},
          {"type": "deal", "id": "n", "account_id": "A", "kind": "new", "status": "won",
           "amount": 1000, "close_date": str(T - timedelta(days=5))},
          {"type": "event", "account_id": "A", "user_id": "u", "name": "login",
           "time": f"{T - timedelta(days=3)}T10:00:00Z"}])
    st = app.extensions["account360"]
    with st.store.session() as s:
        for n in (6, 5, 4, 3):
            daily(s, st.settings, T - timedelta(days=n))
    r = client.get(f"/api/v1/accounts/A/history?metrics=health,arr,active_users_30d"
                   f"&start={T - timedelta(days=5)}", headers=auth)
    assert r.status_code == 200
    body = r.get_json()
    assert body["metrics"] == ["health", "arr", "active_users_30d"]
    assert [p["date"] for p in body["points"]] == [
        str(T - timedelta(days=n)) for n in (5, 4, 3, 0)]
    assert [p["arr"] for p in body["points"]] == [1000, 1000, 1000, 1000]
    assert [p["active_users_30d"] for p in body["points"]] == [None, None, 1, 1]
    phases = client.get("/api/v1/accounts/A/history?metrics=phase,band", headers=auth)
    assert set(phases.get_json()["points"][0]) == {"date", "phase", "band"}
    for query, field in (("metrics=health,bogus", "metrics"), ("start=2026-13-01", "start"),
                         (f"start={T}&end={T - timedelta(days=1)}", "start")):
        r = client.get(f"/api/v1/accounts/A/history?{query}", headers=auth)
        assert r.status_code == 400, query
        assert field in r.get_json()["error"]["details"]
    assert client.get("/api/v1/accounts/nope/history", headers=auth).status_code == 404


def test_metrics_commands(tmp_path, db_url):
    import os
    import subprocess
    import sys

    env = {**os.environ, "ACCOUNT360_DATABASE_URL": db_url,
           "ACCOUNT360_DATA_DIR": str(tmp_path / "data")}
    src = tmp_path / "w.jsonl"
    src.write_text("\n".join(json.dumps(r) for r in [
        {"type": "account", "id": "a", "name": "A"}, {"type": "account", "id": "b", "name": "B"},
        {"type": "deal", "id": "x", "account_id": "a", "kind": "new", "status": "won",
         "amount": 10, "close_date": str(T - timedelta(days=40))}]) + "\n")

    def run(*args):
        proc = subprocess.run([sys.executable, "-m", "server", *args], capture_output=True,
                              text=True, env=env, timeout=300, stdin=subprocess.DEVNULL)
        assert proc.returncode == 0, proc.stderr
        return proc.stdout.strip()

    run("import", str(src))
    assert run("metrics", "daily") == "history rows of 2 accounts for today"
    assert run("metrics", "backfill", "--days", "3") == \
        f"backfill {T - timedelta(days=2)}..{T}: 6 history rows"
    assert run("metrics", "backfill", "--days", "3") == \
        f"backfill {T - timedelta(days=2)}..{T}: 6 history rows"
    from server.db import Store
    from server.rows.models import AccountDay

    store = Store(db_url)
    with store.sessions() as s:
        days = s.scalars(select(AccountDay.day).where(AccountDay.account_id == "a")).all()
    store.dispose()
    assert sorted(days) == [T - timedelta(days=n) for n in (2, 1, 0)]
    assert isinstance(days[0], date)
