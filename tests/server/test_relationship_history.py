"""The relationship score, sentiment (and its 90-day change), the email reply median and the
North Star in the daily history rows and the accounts list: equal to the 360 of each day,
sortable and filterable like the other figures, and rebuilt exactly by the backfill."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from server.auth import create_token
from server.importer import import_lines
from tests.server.rows_helpers import stored_days

T = datetime.now(timezone.utc).date()
SETTINGS = """
[messages]
scorer = "tests.server.test_messages:last_number"
[health.weights]
sentiment = 10
relationship = 10
[north_star]
name = "Reports created"
kind = "{kind}"
events = ["report_created"]
period = "{period}"
"""
FIGURES = ("relationship", "sentiment", "sentiment_change_90d", "reply_hours", "north_star")


def at(days: int, hour: int) -> str:
    return f"{T - timedelta(days=days)}T{hour:02d}:00:00Z"


def msg(mid, acc, days, hour, direction, thread, score, channel="email", who="ann"):
    return {"type": "message", "id": mid, "account_id": acc, "at": at(days, hour),
            "channel": channel, "direction": direction, "thread_id": thread,
            "contact_email": f"{who}@{acc}.example", "text": f"text {score}"}


def event(acc, days, user="u1", name="report_created"):
    return {"type": "event", "account_id": acc, "user_id": user, "name": name,
            "time": at(days, 12)}


RECORDS = [
    {"type": "account", "id": "acc0", "name": "Acme", "owner": "ana@team.example", "seats": 3},
    {"type": "account", "id": "acc1", "name": "Beta", "owner": "ben@team.example"},
    {"type": "account", "id": "acc2", "name": "Gamma", "owner": "ana@team.example"},
    {"type": "contact", "id": "c0", "account_id": "acc0", "email": "ann@acc0.example",
     "role": "champion", "active": True},
    {"type": "contact", "id": "c1", "account_id": "acc1", "email": "bob@acc1.example",
     "role": "executive_sponsor", "active": True},
    # acc0: positive, answered within 2 and 6 hours
    msg("a1", "acc0", 2, 8, "in", "t1", 0.6), msg("a2", "acc0", 2, 10, "out", "t1", 0.1),
    msg("a3", "acc0", 20, 8, "in", "t2", 0.4), msg("a4", "acc0", 20, 14, "out", "t2", 0.2),
    msg("a5", "acc0", 120, 9, "in", "t3", -0.2),
    # acc1: negative now, positive before; one 30-hour reply; the executive writes
    msg("b1", "acc1", 1, 9, "in", "t9", -0.8, who="bob"),
    msg("b2", "acc1", 3, 9, "in", "t8", -0.5, who="bob"),
    msg("b3", "acc1", 2, 15, "out", "t8", 0.0, who="bob"),
    msg("b4", "acc1", 100, 9, "in", "t7", 0.9, who="bob"),
    msg("b5", "acc1", 200, 9, "in", "t6", 0.7, channel="call", who="bob"),
    # acc2: one call 370 days ago: inside the 365 days the days up to 6 days ago read, not after
    msg("c1", "acc2", 370, 9, "in", "t5", 0.3, channel="call", who="cy"),
    event("acc0", 1), event("acc0", 2), event("acc0", 9, "u2"), event("acc0", 40),
    event("acc1", 5, "u9"), event("acc1", 33, "u8"), event("acc1", 3, "u9", "login"),
]


@pytest.fixture
def api(make_app, settings_file):
    def build(kind="events", period="week", records=RECORDS):
        app = make_app(SETTINGS=settings_file(SETTINGS.format(kind=kind, period=period)))
        store = app.extensions["account360"].store
        report = import_lines(store, [json.dumps(r).encode() for r in records])
        assert report.rejected == 0, report.errors
        headers = {"Authorization": "Bearer " + create_token(store, "t")}
        client = app.test_client()

        def get(url, status=200):
            r = client.get(url, headers=headers)
            assert r.status_code == status, r.get_data()[:400]
            return r.get_json()
        return app, get
    return build


def figures_of_360(body) -> dict:
    rel = body["relationship"]
    star = body["usage"]["north_star"]
    return {"relationship": rel["score"], "sentiment": rel["sentiment"]["score"],
            "sentiment_change_90d": rel["sentiment"]["change_90d"],
            "reply_hours": rel["response_time"]["median_hours"],
            "north_star": star["value"] if star else None}


def test_history_series_of_the_relationship_figures_equals_each_days_360(api):
    from server.rows.history import daily

    app, get = api()
    st = app.extensions["account360"]
    with st.store.session() as s:
        for n in (3, 2, 1):
            daily(s, st.settings, T - timedelta(days=n))
    for acc in ("acc0", "acc1", "acc2"):
        body = get(f"/api/v1/accounts/{acc}/history?metrics={','.join(FIGURES)}"
                   f"&start={T - timedelta(days=3)}")
        assert body["metrics"] == list(FIGURES)
        points = body["points"]
        assert [p["date"] for p in points] == [str(T - timedelta(days=n)) for n in (3, 2, 1, 0)]
        for p in points:
            want = figures_of_360(get(f"/api/v1/accounts/{acc}/360?as_of={p['date']}"))
            assert {k: p[k] for k in FIGURES} == want, (acc, p["date"])
    today = get("/api/v1/accounts/acc0/history?metrics=reply_hours,north_star"
                f"&start={T}")["points"]
    assert today == [{"date": str(T), "reply_hours": 4.0, "north_star": 2}]   # (2 + 6) / 2
    acc1 = get(f"/api/v1/accounts/acc1/history?metrics=sentiment&start={T}")["points"][0]
    assert acc1["sentiment"] < 0
    none = get(f"/api/v1/accounts/acc2/history?metrics={','.join(FIGURES)}&start={T}")
    assert none["points"] == [{"date": str(T), "relationship": None, "sentiment": None,
                               "sentiment_change_90d": None, "reply_hours": None,
                               "north_star": 0}]


def test_accounts_list_sorts_and_filters_on_the_relationship_figures(api, monkeypatch):
    import server.services.search as search

    app, get = api()
    items = {x["id"]: x for x in get("/api/v1/accounts?limit=10")["items"]}
    for acc, item in items.items():
        want = figures_of_360(get(f"/api/v1/accounts/{acc}/360"))
        assert (item["relationship_score"], item["sentiment"], item["sentiment_change_90d"],
                item["email_reply_hours_median"], item["north_star"]) == tuple(
            want[k] for k in FIGURES), acc
    assert items["acc0"]["email_reply_hours_median"] == 4.0
    assert items["acc1"]["email_reply_hours_median"] == 30.0

    def ids(query):
        return [x["id"] for x in get(f"/api/v1/accounts?limit=10&{query}")["items"]]

    # an unknown figure sorts last ascending, first descending
    assert ids("sort=sentiment") == ["acc1", "acc0", "acc2"]
    assert ids("sort=-sentiment") == ["acc2", "acc0", "acc1"]
    assert ids("sort=-reply_hours") == ["acc2", "acc1", "acc0"]
    assert ids("sort=north_star") == ["acc2", "acc1", "acc0"]   # 0, 1, 2
    assert ids("sentiment_max=0") == ["acc1"]
    assert ids("reply_hours_min=5&reply_hours_max=40") == ["acc1"]
    assert ids("north_star_min=1&sort=-north_star") == ["acc0", "acc1"]
    assert ids("relationship_min=0") == ["acc0", "acc1"]
    assert ids("sentiment_change_max=-1") == ["acc1"]
    queries = [f"sort={p}{f}" for f in ("relationship", "sentiment", "sentiment_change",
                                         "reply_hours", "north_star") for p in ("", "-")] + [
        "sentiment_min=-100&sort=-relationship", "north_star_max=1", "owner=ana@team.example"
        "&sort=-sentiment", "relationship_max=50&reply_hours_min=0"]
    fast = {q: get(f"/api/v1/accounts?limit=2&{q}") for q in queries}
    monkeypatch.setattr(search, "rows_answer", lambda st, as_of: False)
    for q in queries:   # the records path answers the same
        assert get(f"/api/v1/accounts?limit=2&{q}") == fast[q], q
    for query, name in (("sentiment_min=abc", "sentiment_min"),
                        ("north_star_min=5&north_star_max=1", "north_star_min"),
                        ("reply_hours_max=NaN", "reply_hours_max"), ("sort=-bogus", "sort")):
        r = get(f"/api/v1/accounts?{query}", status=400)
        assert name in r["error"]["details"], query


@pytest.mark.parametrize("kind,period", [("events", "week"), ("active_users", "month"),
                                         ("seats", "week")])
def test_backfill_of_the_relationship_figures_equals_single_day_evaluations(
        api, kind, period):
    from server.rows import history
    from server.rows.models import AccountDay

    app, _ = api(kind, period)
    st = app.extensions["account360"]
    first = T - timedelta(days=9)
    with st.store.session() as s:       # single-day evaluations, oldest first
        for n in range(9, -1, -1):
            history.daily(s, st.settings, T - timedelta(days=n))
    with st.store.sessions() as s:
        single = stored_days(s, first)
    with st.store.session() as s:
        s.execute(AccountDay.__table__.delete())
    state = history.backfill(st.store, st.settings, 10)
    assert state["finished"] and state["rows"] == 3 * 10
    with st.store.sessions() as s:
        bulk = stored_days(s, first)
    assert bulk.keys() == single.keys()
    for key in single:
        assert bulk[key] == single[key], key
    rel = [bulk[("acc2", str(T - timedelta(days=n)))]["relationship"] for n in (9, 6, 5, 0)]
    assert rel[0] is not None and rel[1] is not None and rel[2] is None and rel[3] is None
    assert len({v["north_star"] for v in bulk.values()}) > 1
