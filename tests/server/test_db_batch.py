"""Batched reads (server.db_batch) answer what each statement answers run on its own: on
PostgreSQL they go in one psycopg pipeline, so values, types and the engine's statement
listeners must come out the same."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from sqlalchemy import bindparam, event, func, literal, select

from server import models as m
from server.db_batch import Batch
from server.rows.models import AccountDay

T = date(2026, 3, 10)


def _seed(store) -> None:
    with store.session() as s:
        for i in range(3):
            s.add(m.Account(id=f"a{i}", name=f"Account {i}", domains=[], seats=5 + i,
                            renewal_date=T + timedelta(days=i)))
        s.flush()
        s.add(m.Deal(id="d0", account_id="a0", kind="new", status="won",
                     amount=Decimal("1234.50"), close_date=T))
        s.add(m.Ticket(id="k0", account_id="a1", status="open", priority="high",
                       created_at=datetime(2026, 3, 1, 9, 30, tzinfo=timezone.utc)))
        s.add(AccountDay(account_id="a2", day=T, score=71.5, band="good", components={"x": 1},
                         signals=["usage_drop"], signal_runs={"usage_drop": "2026-03-01"},
                         phase="adoption", settings_version="v"))


def _statements():
    ids = bindparam("ids", expanding=True)
    return [
        (select(m.Deal.account_id, m.Deal.amount, m.Deal.close_date)
         .where(m.Deal.account_id.in_(ids)), {"ids": ["a0", "a1", "zz"]}),
        (select(m.Ticket.account_id, m.Ticket.created_at)
         .where(m.Ticket.account_id.in_(ids),
                m.Ticket.created_at < bindparam("hi", type_=m.Ticket.created_at.type)),
         {"ids": ["a1"], "hi": datetime(2026, 3, 2, tzinfo=timezone.utc)}),
        (select(AccountDay.account_id, AccountDay.score, AccountDay.components,
                AccountDay.signals, AccountDay.signal_runs)
         .where(AccountDay.day.in_([bindparam("d")])), {"d": T}),
        (select(m.Account.id, select(func.count()).select_from(m.Deal)
                .where(m.Deal.account_id == m.Account.id,
                       m.Deal.kind.concat(literal("")) == bindparam("kind"))
                .correlate(m.Account).scalar_subquery())
         .where(m.Account.id.in_(ids)).order_by(m.Account.id), {"ids": ["a0", "a2"],
                                                                 "kind": "new"}),
        (select(m.Account.id).where(m.Account.id.in_(ids)), {"ids": []}),
    ]


def test_batched_reads_equal_the_statements_run_one_by_one(store):
    _seed(store)
    with store.sessions() as s:
        alone = [s.execute(stmt, params).all() for stmt, params in _statements()]
        batch = Batch(s)
        handles = [batch.add(stmt, params) for stmt, params in _statements()]
        batch.run()
    got = [[tuple(r) for r in h.rows] for h in handles]
    assert got == [[tuple(r) for r in rows] for rows in alone]
    deals, tickets, days, counts, empty = got
    assert deals == [("a0", Decimal("1234.50"), T)]
    assert tickets == [("a1", datetime(2026, 3, 1, 9, 30, tzinfo=timezone.utc))]
    assert tickets[0][1].tzinfo is not None and tickets[0][1].utcoffset() == timedelta(0)
    assert days == [("a2", 71.5, {"x": 1}, ["usage_drop"], {"usage_drop": "2026-03-01"})]
    assert counts == [("a0", 1), ("a2", 0)]
    assert empty == []


def test_the_engine_listeners_see_every_batched_statement(store):
    _seed(store)
    seen = []

    def count(conn, cursor, statement, *args):
        seen.append(statement.split("FROM")[1].split()[0])

    event.listen(store.engine, "before_cursor_execute", count)
    try:
        with store.sessions() as s:
            s.connection()
            del seen[:]
            batch = Batch(s)
            for stmt, params in _statements()[:3]:
                batch.add(stmt, params)
            batch.run()
    finally:
        event.remove(store.engine, "before_cursor_execute", count)
    assert seen == ["deals", "tickets", "account_days"]
