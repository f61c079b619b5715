"""The team retention of a period read from the rows (the stored default period, or a period
ending on the rows' day) equals the grouped pass over the whole ARR timeline and the figures
computed from the records: several periods, owners, segments and phases; SQLite and
PostgreSQL (the store marker)."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal as D

import pytest

from server.rows.refresh import today

T = today()
X, Y = "x@team.example", "Y@Team.example"


def d(n: int) -> str:
    return (T - timedelta(days=n)).isoformat()


def deal(i, acc, kind, status, amount, days_ago, **kw):
    return {"type": "deal", "id": i, "account_id": acc, "kind": kind, "status": status,
            "amount": amount, "close_date": d(days_ago), **kw}


ACCOUNTS = (("A", X, "enterprise"), ("B", X, "smb"), ("C", X, "enterprise"),
            ("D", Y, "smb"), ("E", Y, "enterprise"), ("F", Y, "mid-market"),
            ("G", None, "smb"), ("H", None, None))
RECORDS = [
    *({"type": "account", "id": i, "name": i, "owner": o, "segment": s} for i, o, s in ACCOUNTS),
    deal("a1", "A", "new", "won", 1000.10, 700),
    deal("a2", "A", "expansion", "won", 100.45, 200, expansion_type="upsell"),
    deal("a3", "A", "expansion", "won", 200.20, 40, expansion_type="cross_sell"),
    deal("a4", "A", "contraction", "won", 50.05, 12),
    deal("a5", "A", "expansion", "won", 33.33, 3, expansion_type="upsell"),
    deal("b1", "B", "new", "won", 500, 500),
    deal("b2", "B", "expansion", "won", 100, 20, expansion_type="cross_sell"),
    deal("b3", "B", "expansion", "won", 40, -10, expansion_type="upsell"),   # future-dated
    deal("c1", "C", "new", "won", 800, 600),
    deal("c2", "C", "renewal", "won", 600, 80),            # a renewal that lowers ARR
    deal("c3", "C", "expansion", "won", 90, 5),            # untyped: upsell
    deal("d1", "D", "new", "won", 400, 450),
    deal("d2", "D", "renewal", "lost", 400, 60),           # lost renewal: churn
    deal("e1", "E", "new", "won", 300, 25),                # a new logo of the month
    deal("f1", "F", "new", "won", 700, 380),
    deal("f2", "F", "expansion", "won", 70, 100, expansion_type="cross_sell"),
    deal("f3", "F", "expansion", "won", 30, 15, expansion_type="upsell"),
    deal("g1", "G", "new", "won", 250, 370),               # flat
    deal("h1", "H", "new", "won", 120, 800),
    deal("h2", "H", "renewal", "lost", 120, 400),          # churned before the year
]


@pytest.fixture
def ws(app, load):
    load(RECORDS)
    return app.extensions["account360"]


def _periods():
    from server.metrics import trailing_year
    from server.services import periods

    yield trailing_year(T)
    for preset in periods.PRESETS:
        yield periods.bounds(preset, T)
    yield T - timedelta(days=91), T          # the last quarter of the API
    yield T - timedelta(days=30), T
    yield T, T
    yield T - timedelta(days=400), T - timedelta(days=30)   # ends before the rows' day


def _scopes(session):
    from sqlalchemy import select

    from server.rows.models import AccountMetrics

    phases = sorted(set(session.scalars(select(AccountMetrics.phase))))
    assert phases
    yield None, None, None
    yield X, None, None
    yield "y@team.example", None, None
    yield None, "Enterprise", None
    yield None, "smb", None
    yield X, "enterprise", None
    for phase in phases:
        yield None, None, phase
        yield Y, None, phase


def _key(owner):
    return owner or "(unassigned)"


def test_stored_ending_and_timeline_sources_agree(app, ws):
    from server.rows import periods
    from server.rows.retention import retention_by_owner, retention_from
    from server.services.portfolio import portfolio

    seen = set()
    with ws.store.sessions() as s:
        for start, end in _periods():
            chosen = periods.source(s, start, end)
            seen.add(chosen)
            sources = {"stored": ("stored", "ending", "timeline"),
                       "ending": ("ending", "timeline"), "timeline": ("timeline",)}[chosen]
            for owner, segment, phase in _scopes(s):
                sums = [retention_by_owner(s, start, end, owner, segment, phase, _key, src)
                        for src in sources]
                assert all(x == sums[0] for x in sums[1:]), (start, end, owner, segment, phase)
                fast = portfolio(s, ws.settings, start, end, T, owner, segment, phase, rows=True)
                slow = portfolio(s, ws.settings, start, end, T, owner, segment, phase,
                                 rows=False)
                assert json.loads(app.json.dumps(fast)) == json.loads(app.json.dumps(slow))
                ret = retention_from(list(sums[0].values()))
                assert fast["team"]["nrr"]["inputs"]["cohort_size"] == ret.cohort_size
    assert seen == {"stored", "ending", "timeline"}


def test_the_stored_period_by_hand(ws):
    from server.metrics import trailing_year
    from server.rows import periods
    from server.rows.retention import retention_by_owner

    start, end = trailing_year(T)
    with ws.store.sessions() as s:
        assert periods.source(s, start, end) == "stored"
        by = retention_by_owner(s, start, end, None, None, None, _key, "stored")
    # X: A 1000.10 -> 1284.03 (increases 100.45 + 200.20 + 33.33 = 333.98, of which
    # cross-sell 200.20: its expansion 283.93 split in proportion), B 500 -> 600 (all
    # cross-sell; the future deal is not in the period), C 800 -> 690 (contraction 110)
    x = by[X]
    assert (x["cohort_size"], x["start_arr"], x["end_arr"]) == (3, D("2300.10"), D("2574.03"))
    assert (x["expansion"], x["contraction"], x["churn"]) == (D("383.93"), 110, 0)
    assert (x["upsell"], x["cross_sell"]) == (0, 100) and len(x["split"]) == 1
    up, cross = x["split"][0]
    assert up + cross == D("283.93")
    assert cross == D("283.93") * D("200.20") / D("333.98")
    # Y: D churns 400; F 700 -> 800 (split 70 cross-sell / 30 upsell); E is a new logo
    y = by[next(k for k in by if k.lower() == Y.lower())]
    assert (y["cohort_size"], y["start_arr"], y["end_arr"], y["churn"]) == (2, 1100, 800, 400)
    assert y["churned_logos"] == 1 and len(y["split"]) == 1
    # unassigned: G flat; H had churned before the year (S = 0, not in the cohort)
    assert (by["(unassigned)"]["cohort_size"], by["(unassigned)"]["end_arr"]) == (1, 250)


def test_rows_without_the_increases_take_the_period_changes(app, ws):
    """Rows written before the increases were stored (NULL) are not read for them."""
    from sqlalchemy import update

    from server.metrics import trailing_year
    from server.rows import periods
    from server.rows.models import AccountMetrics
    from server.rows.retention import retention_by_owner

    start, end = trailing_year(T)
    with ws.store.sessions() as s:
        stored = retention_by_owner(s, start, end, None, None, None, _key)
    with ws.store.session() as s:
        s.execute(update(AccountMetrics).where(AccountMetrics.account_id == "A")
                  .values(period_increase=None))
    with ws.store.sessions() as s:
        assert periods.source(s, start, end) == "ending"
        assert retention_by_owner(s, start, end, None, None, None, _key) == stored
        assert periods.source(s, T - timedelta(days=10), T + timedelta(days=1)) == "timeline"


def _ts(days_ago: int, hours: int = 0) -> str:
    return f"{(T - timedelta(days=days_ago)).isoformat()}T{hours:02d}:00:00Z"


TICKETS = [
    {"type": "ticket", "id": f"k{i}", "account_id": acc, "status": "solved",
     "priority": "normal", "created_at": _ts(days), "first_response_at": _ts(days, h),
     "solved_at": _ts(days - 1, h)}
    for i, (acc, days, h) in enumerate((("A", 10, 3), ("A", 20, 5), ("B", 12, 1), ("D", 8, 7),
                                        ("D", 30, 2), ("F", 15, 9), ("G", 5, 4)))
]


def test_medians_and_the_migrated_counts(app, ws, load):
    """The medians of every account and of a scope equal the records' (odd and even counts),
    and migration 0032 fills a row's owner and hours counts as the refresh writes them."""
    from alembic import command
    from sqlalchemy import select

    from server.db import alembic_config
    from server.metrics import trailing_year
    from server.rows.models import AccountMetrics as AM
    from server.services.portfolio import portfolio

    load(TICKETS)
    start, end = trailing_year(T)
    with ws.store.sessions() as s:
        for owner, segment in ((None, None), (X, None), (None, "smb"), (Y, "smb")):
            fast = portfolio(s, ws.settings, start, end, T, owner, segment, rows=True)
            slow = portfolio(s, ws.settings, start, end, T, owner, segment, rows=False)
            assert json.loads(app.json.dumps(fast)) == json.loads(app.json.dumps(slow))
        team = portfolio(s, ws.settings, start, end, T, None, rows=True)["team"]
        cols = (AM.account_id, AM.owner, AM.response_count, AM.resolution_count, AM.reply_count)
        written = sorted(s.execute(select(*cols)).all())
    # first responses after 3, 5, 1, 7, 2, 9, 4 hours: 7 tickets, median 4
    assert team["first_response_hours_median"]["inputs"]["tickets"] == 7
    assert team["first_response_hours_median"]["value"] == 4
    assert dict((r[0], r[2]) for r in written)["A"] == 2
    cfg = alembic_config(ws.store.engine.url.render_as_string(hide_password=False))
    command.downgrade(cfg, "0031")
    command.upgrade(cfg, "head")
    with ws.store.sessions() as s:
        assert sorted(s.execute(select(*cols)).all()) == written


def test_one_csm_medians_at_their_offsets(app, ws, load):
    """One CSM's medians (offset reads on the owner's index, even and odd counts; one account
    imported with the address in capitals) equal the records'."""
    from server.metrics import trailing_year
    from server.services.portfolio import portfolio

    load([{"type": "account", "id": "I", "name": "I", "owner": X.upper(), "segment": "smb"},
          deal("i1", "I", "new", "won", 90, 300), *TICKETS,
          *({**t, "id": f"i{n}", "account_id": "I"} for n, t in enumerate(TICKETS[:4]))])
    start, end = trailing_year(T)
    with ws.store.sessions() as s:
        fast = portfolio(s, ws.settings, start, end, T, X, rows=True)
        slow = portfolio(s, ws.settings, start, end, T, X, rows=False)
    assert json.loads(app.json.dumps(fast)) == json.loads(app.json.dumps(slow))
    assert fast["team"]["first_response_hours_median"]["inputs"]["tickets"] == 3 + 4
    assert fast["team"]["first_response_hours_median"]["value"] == 3
    with ws.store.sessions() as s:
        one = portfolio(s, ws.settings, start, end, T, X, "enterprise", rows=True)
        assert json.loads(app.json.dumps(one)) == json.loads(app.json.dumps(
            portfolio(s, ws.settings, start, end, T, X, "enterprise", rows=False)))
