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


def _children(session, model, cols) -> dict[str, list]:
    out: dict[str, list] = {}
    for r in session.scalars(select(model)):
        out.setdefault(r.account_id, []).append(_plain([getattr(r, c) for c in cols]))
    return {k: sorted(v, key=str) for k, v in out.items()}


SIGNAL_COLS = ("code", "severity", "owner")
HOURS_COLS = ("kind", "seq", "hours", "owner")
TIMELINE_COLS = ("seq", "date", "kind", "deal_id", "before", "after", "expansion_type",
                 "status")


def stored_rows(session) -> dict[str, dict]:
    """Every account's stored current row with its signals, ticket hours and ARR timeline."""
    from server.rows.models import AccountSignal, ArrChangeRow, TicketHours

    sig = _children(session, AccountSignal, SIGNAL_COLS)
    hrs = _children(session, TicketHours, HOURS_COLS)
    tl = _children(session, ArrChangeRow, TIMELINE_COLS)
    out = {}
    for r in session.scalars(select(AccountMetrics)):
        out[r.account_id] = {**_plain({c.name: getattr(r, c.name)
                                       for c in AccountMetrics.__table__.columns
                                       if c.name not in VOLATILE}),
                             "_signals": sig.get(r.account_id, []),
                             "_hours": hrs.get(r.account_id, []),
                             "_timeline": tl.get(r.account_id, [])}
    return out


def stored_days(session, first: date | None = None) -> dict[tuple, dict]:
    q = select(AccountDay)
    if first is not None:
        q = q.where(AccountDay.day >= first)
    return {(r.account_id, r.day.isoformat()): _plain(
        {c.name: getattr(r, c.name) for c in AccountDay.__table__.columns})
        for r in session.scalars(q)}


def fresh_rows(session, settings, as_of: date, days: bool = False) -> dict:
    """Every account's current row computed now from the records, without writing it; with
    days, also its history row of as_of (key (account, "day"))."""
    from server import metrics as mx
    from server.rows import build
    from server.services.evaluate import evaluate_many, since_from_history
    from server.services.facts import load_facts

    accounts, evals = evaluate_many(session, None, as_of, settings)
    _, facts = load_facts(session, None, as_of, settings.metrics.first_value_event)
    version = build.settings_version(settings)
    out = {}
    for i, ev in evals.items():
        runs = since_from_history(session, i, as_of)
        runs = {s.code: runs.get(s.code, as_of) for s in ev.signals}
        row = build.current_row(accounts[i], facts[i], ev, as_of, version, runs, None)
        out[(i, "day")] = _plain(build.day_row(i, ev, as_of, version, runs))
        row.pop("computed_at")
        sig, hrs = build.child_rows(row, accounts[i].owner)
        tl = build.timeline_rows(i, mx.arr_changes(facts[i].deals))
        out[i] = {**_plain(row),
                  "_signals": sorted((_plain([x[c] for c in SIGNAL_COLS]) for x in sig), key=str),
                  "_hours": sorted((_plain([x[c] for c in HOURS_COLS]) for x in hrs), key=str),
                  "_timeline": sorted((_plain([x[c] for c in TIMELINE_COLS]) for x in tl),
                                      key=str)}
    return out if days else {k: v for k, v in out.items() if not isinstance(k, tuple)}


