"""Migrations 0034 and 0035: the team pass's indexes (warnings by owner, code and severity;
the lowered segment a segment scope matches; the ARR increases of accounts that had ARR)
exist after the upgrade, go with a downgrade and come back, and the queries that need them
plan on them. SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import select, text

INDEXES = {"ix_account_signals_owner_code_severity", "ix_account_metrics_segment_key",
           "ix_arr_changes_increases"}


def _indexes(store) -> set[str]:
    with store.engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            names = conn.scalars(text("SELECT indexname FROM pg_indexes"))
        else:
            names = conn.scalars(text("SELECT name FROM sqlite_master WHERE type = 'index'"))
        return set(names) & INDEXES


def test_the_upgrade_creates_the_indexes_and_a_downgrade_drops_them(store):
    from alembic import command

    from server.db import alembic_config

    assert _indexes(store) == INDEXES
    cfg = alembic_config(store.engine.url.render_as_string(hide_password=False))
    command.downgrade(cfg, "0033")
    assert _indexes(store) == set()
    command.upgrade(cfg, "head")
    assert _indexes(store) == INDEXES


def test_a_segment_scope_seeks_the_lowered_segment(store):
    from server.rows.models import AccountMetrics, scoped

    stmt = scoped(select(AccountMetrics.account_id), None, "Enterprise", None)
    assert "ix_account_metrics_segment_key" in _plan(store, stmt)


def _plan(store, stmt) -> str:
    with store.engine.connect() as conn:
        sql = str(stmt.compile(conn, compile_kwargs={"literal_binds": True}))
        if conn.dialect.name == "postgresql":
            conn.execute(text("SET enable_seqscan = off"))  # empty tables: any index use
            return " ".join(conn.scalars(text("EXPLAIN " + sql)))
        return " ".join(r[-1] for r in conn.execute(text("EXPLAIN QUERY PLAN " + sql)))


def test_the_quarterly_expansion_reads_the_increases_index(store):
    from datetime import date

    from server.rows.models import AccountMetrics, ArrChangeRow
    from server.rows.retention import INCREASE, cents

    ch, am = ArrChangeRow, AccountMetrics
    stmt = (select(am.owner, ch.expansion_type, cents(ch.after) - cents(ch.before))
            .select_from(ch).join(am, am.account_id == ch.account_id)
            .where(ch.date >= date(2026, 1, 1), ch.date <= date(2026, 12, 31), INCREASE))
    assert "ix_arr_changes_increases" in _plan(store, stmt)
