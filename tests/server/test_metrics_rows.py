"""The account-metrics rows are kept true on every write and equal a fresh computation."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from server.rows.models import AccountDay, AccountMetrics, MetricsDirty, MetricsStale
from tests.server.rows_helpers import fresh_rows, stored_days, stored_rows

T = datetime.now(timezone.utc).date()
OWNERS = ["ana@team.example", "ben@team.example", None]
SETTINGS_B = """
first_value_event = "report_shared"
[key_features]
reports = ["report_created", "report_shared"]
[health.weights]
usage_trend = 40
nps = 5
sentiment = 10
relationship = 10
[north_star]
name = "Reports"
events = ["report_created"]
period = "week"
"""


def d(n: int) -> str:
    return (T - timedelta(days=n)).isoformat()


def accounts(n: int) -> list[dict]:
    return [{"type": "account", "id": f"acc{i}", "name": f"Account {i}",
             "owner": OWNERS[i % 3], "segment": ["smb", "enterprise"][i % 2],
             "seats": 10 + i, "domains": [f"a{i}.example"]} for i in range(n)]


def random_write(rng: random.Random, n: int, i: int) -> list[dict]:
    acc = f"acc{rng.randrange(n)}"
    kind = rng.choice(["deal", "ticket", "touchpoint", "nps", "survey", "advocacy", "event",
                       "contact", "account", "message"])
    if kind == "message":
        return [{"type": "message", "id": f"m{rng.randrange(i + 1)}", "account_id": acc,
                 "at": f"{d(rng.randint(0, 200))}T{rng.randint(0, 23):02d}:00:00Z",
                 "channel": rng.choice(["email", "email", "chat", "call"]),
                 "direction": rng.choice(["in", "out"]), "thread_id": f"t{rng.randrange(3)}",
                 "contact_email": f"p{rng.randrange(4)}@x.example",
                 "text": rng.choice(["Thanks, this is great", "This is broken and awful",
                                     "See you on Monday", "We are unhappy with the delays"])}]
    if kind == "deal":
        k = rng.choice(["new", "expansion", "renewal", "contraction", "churn"])
        return [{"type": "deal", "id": f"d{i}", "account_id": acc, "kind": k,
                 "status": rng.choice(["won", "won", "lost", "open"]),
                 "amount": rng.choice([1000, 2500.5, 12000]), "close_date": d(rng.randint(0, 700)),
                 "expansion_type": rng.choice(["upsell", "cross_sell"]) if k == "expansion"
                 else None}]
    if kind == "ticket":
        created = T - timedelta(days=rng.randint(0, 120))
        status = rng.choice(["open", "pending", "solved"])
        rec = {"type": "ticket", "id": f"k{rng.randrange(i + 1)}", "account_id": acc,
               "status": status, "priority": rng.choice(["low", "normal", "high", "urgent"]),
               "created_at": f"{created}T08:00:00Z",
               "first_response_at": f"{created}T{rng.randint(9, 20):02d}:00:00Z"}
        if status == "solved":
            rec["solved_at"] = f"{created + timedelta(days=rng.randint(0, 5))}T21:00:00Z"
        return [rec]
    if kind == "touchpoint":
        return [{"type": "touchpoint", "account_id": acc, "date": d(rng.randint(0, 100)),
                 "kind": rng.choice(["email", "call", "meeting", "qbr"])}]
    if kind == "nps":
        return [{"type": "nps", "account_id": acc, "date": d(rng.randint(0, 200)),
                 "score": rng.randint(0, 10), "contact_email": f"c{rng.randrange(3)}@x.example"}]
    if kind == "survey":
        return [{"type": "survey", "account_id": acc, "date": d(rng.randint(0, 200)),
                 "kind": rng.choice(["ces", "onboarding"]), "score": rng.randint(1, 5),
                 "scale": 5}]
    if kind == "advocacy":
        return [{"type": "advocacy", "account_id": acc, "date": d(rng.randint(0, 300)),
                 "kind": rng.choice(["referral", "review"])}]
    if kind == "contact":
        return [{"type": "contact", "id": f"p{rng.randrange(4)}", "account_id": acc,
                 "email": f"p{rng.randrange(4)}@x.example", "champion": rng.random() < 0.7,
                 "active": rng.random() < 0.5,
                 "role": rng.choice([None, "executive_sponsor", "decision_maker"])}]
    if kind == "account":
        return [{"type": "account", "id": acc, "name": f"Renamed {i}",
                 "owner": rng.choice(OWNERS), "seats": rng.randint(1, 40),
                 "renewal_date": d(-rng.randint(10, 300)) if rng.random() < 0.5 else None}]
    day = rng.randint(0, 70)
    return [{"type": "event", "account_id": acc, "user_id": f"u{rng.randrange(8)}",
             "name": rng.choice(["login", "report_created", "report_shared"]),
             "time": f"{d(day)}T{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:00Z"}
            for _ in range(rng.randint(1, 12))]


def assert_rows_true(app):
    """Every current row and today's history row equal a fresh computation, field for field."""
    st = app.extensions["account360"]
    with st.store.sessions() as s:
        got, want = stored_rows(s), fresh_rows(s, st.settings, T, days=True)
        got.update({(a, "day"): r for (a, day), r in stored_days(s, T).items()})
    assert set(got) == set(want)
    for acc in want:
        assert got[acc] == want[acc], acc


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_writes_keep_every_row_equal_to_a_fresh_computation(
        make_app, settings_file, seed):
    from server.importer import import_lines

    rng = random.Random(seed)
    app = make_app()
    client = app.test_client()
    from server.auth import create_token

    headers = {"Authorization": "Bearer " + create_token(app.extensions["account360"].store, "t")}
    n = 6

    def load(records):
        import json

        report = import_lines(app.extensions["account360"].store,
                              [json.dumps(r).encode() for r in records])
        assert report.rejected == 0, report.errors

    load(accounts(n))
    assert_rows_true(app)
    for i in range(40):
        step = rng.random()
        if step < 0.08:
            r = client.post(f"/api/v1/accounts/acc{rng.randrange(n)}/tasks", headers=headers,
                            json={"subject": f"call {i}", "due_date": d(-3)})
            assert r.status_code == 201
        elif step < 0.12:
            r = client.post(f"/api/v1/accounts/acc{rng.randrange(n)}/notes", headers=headers,
                            json={"body": f"note {i}"})
            assert r.status_code == 201
        elif step < 0.16:
            # a settings change: the next read refreshes every row before answering
            app = make_app(SETTINGS=settings_file(SETTINGS_B if i % 2 else ""))
            client = app.test_client()
            assert client.get("/api/v1/accounts?limit=1", headers=headers).status_code == 200
        else:
            load(random_write(rng, n, i))
        # no read in between: the commit of the write itself refreshed the rows
        assert_rows_true(app)


def test_row_equals_the_360_of_the_account(client, auth, load, app):
    load(accounts(2) + [
        {"type": "deal", "id": "n", "account_id": "acc0", "kind": "new", "status": "won",
         "amount": 1200, "close_date": d(200)},
        {"type": "ticket", "id": "k", "account_id": "acc0", "status": "open",
         "priority": "urgent", "created_at": f"{d(6)}T10:00:00Z"},
        {"type": "nps", "account_id": "acc0", "date": d(3), "score": 3},
        {"type": "event", "account_id": "acc0", "user_id": "u", "name": "login",
         "time": f"{d(40)}T10:00:00Z"}])
    body = client.get("/api/v1/accounts/acc0/360", headers=auth).get_json()
    with app.extensions["account360"].store.sessions() as s:
        row = stored_rows(s)["acc0"]
    assert row["arr"] == body["revenue"]["arr"] == 1200
    assert row["mrr"] == body["revenue"]["mrr"] == 100
    assert row["renewal_date"] == body["revenue"]["renewal_date"]
    assert row["days_to_renewal"] == body["revenue"]["days_to_renewal"]
    assert row["nrr_contribution"] == body["revenue"]["movements"]["nrr_contribution"]
    assert row["health_score"] == body["health"]["score"]
    assert row["band"] == body["health"]["band"]
    assert row["health_components"] == body["health"]["components"]
    assert row["signals"] == body["signals"] and len(row["signals"]) >= 3
    assert row["phase"] == body["phase"]
    assert row["active_users_30d"] == body["usage"]["active_users_30d"]
    assert row["usage_trend"] == body["usage"]["trend"]
    assert row["open_tickets"] == body["support"]["open_by_priority"]
    assert row["days_since_last_touchpoint"] == \
        body["relationship"]["days_since_last_touchpoint"]
    assert row["nps"] == body["relationship"]["nps"]["score"] == -100


def test_large_write_is_refreshed_by_the_job_right_after_and_by_readers(
        app, client, auth, load, monkeypatch):
    from server.importer import import_lines
    from server.rows import refresh

    load(accounts(4))
    monkeypatch.setattr(refresh, "INLINE_LIMIT", 0)
    monkeypatch.setattr("server.importer.refresh_dirty", lambda store: 0)  # no job after
    import_lines(app.extensions["account360"].store, [
        b'{"type":"deal","id":"x","account_id":"acc1","kind":"new","status":"won",'
        b'"amount":500,"close_date":"%s"}' % d(10).encode()])
    st = app.extensions["account360"]
    with st.store.sessions() as s:
        assert s.get(MetricsDirty, "acc1") is not None      # recorded with the write
        assert s.get(AccountMetrics, "acc1").arr == 0        # not yet refreshed
    items = client.get("/api/v1/accounts?sort=-arr", headers=auth).get_json()["items"]
    assert items[0]["id"] == "acc1" and items[0]["arr"] == 500   # the reader refreshed first
    with st.store.sessions() as s:
        assert s.scalar(select(MetricsDirty.account_id)) is None
    assert_rows_true(app)


def test_backdated_records_mark_history_stale_and_the_daily_job_rebuilds_it(app, load):
    from server.rows.history import daily

    st = app.extensions["account360"]
    load(accounts(3) + [{"type": "event", "account_id": "acc0", "user_id": "u",
                         "name": "login", "time": f"{d(3)}T10:00:00Z"}])
    with st.store.session() as s:
        for n in (3, 2, 1):
            daily(s, st.settings, T - timedelta(days=n))
    with st.store.sessions() as s:
        assert s.get(AccountDay, ("acc1", T - timedelta(days=2))).arr == 0
        assert s.scalar(select(MetricsStale.account_id)) is None
    load([{"type": "deal", "id": "late", "account_id": "acc1", "kind": "new",
           "status": "won", "amount": 900, "close_date": d(2)},
          {"type": "ticket", "id": "old", "account_id": "acc2", "status": "open",
           "priority": "high", "created_at": f"{d(30)}T10:00:00Z"}])
    load([{"type": "deal", "id": "late", "account_id": "acc1", "kind": "new",
           "status": "won", "amount": 900, "close_date": d(2)}])   # unchanged: no new mark
    with st.store.sessions() as s:
        stale = dict(s.execute(select(MetricsStale.account_id, MetricsStale.from_day)).all())
    assert stale == {"acc1": T - timedelta(days=2), "acc2": T - timedelta(days=30)}
    with st.store.session() as s:
        daily(s, st.settings)
    with st.store.sessions() as s:
        assert s.scalar(select(MetricsStale.account_id)) is None
        assert s.get(AccountDay, ("acc1", T - timedelta(days=3))).arr == 0
        assert s.get(AccountDay, ("acc1", T - timedelta(days=2))).arr == 900
        assert s.get(AccountDay, ("acc1", T - timedelta(days=1))).arr == 900
        assert s.get(AccountDay, ("acc2", T - timedelta(days=1))).components["support"] == 80
        assert s.get(AccountDay, ("acc2", T)).components["support"] == 80
    assert_rows_true(app)


def test_daily_job_is_idempotent(app, load):
    from server.rows.history import daily

    st = app.extensions["account360"]
    load(accounts(3))
    day = T - timedelta(days=1)
    with st.store.session() as s:
        assert daily(s, st.settings, day) == 3
    with st.store.sessions() as s:
        first = stored_days(s)
    with st.store.session() as s:
        assert daily(s, st.settings, day) == 3
    with st.store.sessions() as s:
        assert stored_days(s) == first
        assert len([k for k in first if k[1] == day.isoformat()]) == 3




def test_rows_of_an_earlier_day_are_refreshed_before_a_read_of_today(app, client, auth, load,
                                                                      monkeypatch):
    from server.rows import refresh

    load(accounts(5))
    st = app.extensions["account360"]
    with st.store.session() as s:
        s.execute(AccountMetrics.__table__.update().values(as_of=T - timedelta(days=1),
                                                           days_to_renewal=999))
    monkeypatch.setattr(refresh, "CHUNK", 2)      # several transactions, each one kept
    body = client.get("/api/v1/accounts?sort=renewal", headers=auth).get_json()
    assert len(body["items"]) == 5
    with st.store.sessions() as s:
        assert set(s.scalars(select(AccountMetrics.as_of))) == {T}
    assert_rows_true(app)


def test_a_refresh_deletes_dirty_marks_only_when_it_read_one(app, load):
    """The refresh reads the accounts' dirty marks with its other reads: an account refreshed
    in its write's transaction (never marked) costs no delete of marks; a marked one is
    cleared by the refresh that reads its mark."""
    from sqlalchemy import event

    from server.rows.refresh import refresh

    load(accounts(2))
    st = app.extensions["account360"]
    seen = []

    def count(conn, cursor, statement, *args):
        if statement.startswith("DELETE FROM metrics_dirty"):
            seen.append(statement)

    event.listen(st.store.engine, "before_cursor_execute", count)
    try:
        load([{"type": "ticket", "id": "k1", "account_id": "acc0", "status": "open",
               "priority": "high", "created_at": f"{d(1)}T10:00:00Z"}])
        assert seen == []
        with st.store.session() as s:
            s.add(MetricsDirty(account_id="acc1", marked_at=datetime.now(timezone.utc)))
        with st.store.session() as s:
            refresh(s, ["acc1"], st.settings)
        assert len(seen) == 1
    finally:
        event.remove(st.store.engine, "before_cursor_execute", count)
    with st.store.sessions() as s:
        assert s.scalar(select(MetricsDirty.account_id)) is None
    assert_rows_true(app)
