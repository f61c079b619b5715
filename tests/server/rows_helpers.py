"""Helpers for the account-metrics row tests: fresh computations to compare the rows with."""

from __future__ import annotations

import json
from datetime import date

from sqlalchemy import select

from server.api import JSONProvider
from server.rows.models import AccountDay, AccountMetrics

VOLATILE = ("computed_at",)


def _plain(value):
    return json.loads(json.dumps(value, default=JSONProvider.default))


def stored_rows(session) -> dict[str, dict]:
    out = {}
    for r in session.scalars(select(AccountMetrics)):
        out[r.account_id] = _plain({c.name: getattr(r, c.name)
                                    for c in AccountMetrics.__table__.columns
                                    if c.name not in VOLATILE})
    return out


def stored_days(session, first: date | None = None) -> dict[tuple, dict]:
    q = select(AccountDay)
    if first is not None:
        q = q.where(AccountDay.day >= first)
    return {(r.account_id, r.day.isoformat()): _plain(
        {c.name: getattr(r, c.name) for c in AccountDay.__table__.columns})
        for r in session.scalars(q)}


def fresh_rows(session, settings, as_of: date) -> dict[str, dict]:
    """Every account's current row computed now from the records, without writing it."""
    from server.rows import build
    from server.services.account360 import evaluate_many, since_from_history
    from server.services.facts import load_facts

    accounts, evals = evaluate_many(session, None, as_of, settings)
    _, facts = load_facts(session, None, as_of, settings.metrics.first_value_event)
    version = build.settings_version(settings)
    out = {}
    for i, ev in evals.items():
        runs = since_from_history(session, i, as_of)
        runs = {s.code: runs.get(s.code, as_of) for s in ev.signals}
        row = build.current_row(accounts[i], facts[i], ev, as_of, version, runs, None)
        row.pop("computed_at")
        out[i] = _plain(row)
    return out


