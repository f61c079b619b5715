"""The backtest over the store: ARR outcomes from the deals, health from the daily history.

The observation day's history row is read when it was computed with the same settings
version; otherwise the bulk evaluation rebuilds that account's history over the
RUN_LOOKBACK days up to the observation day (so signal runs, and lead times, are known for
at least that long) and writes it. A proposed settings file is evaluated the same way in
memory, without writing anything.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server import metrics as mx
from server import models as m
from server.rows import build
from server.rows.models import AccountDay

from .figures import Case, summarize
from .outcomes import Outcome, observed_on, outcome

RUN_LOOKBACK = 90
CHUNK = 250
MAX_HORIZON = 730


class BacktestError(ValueError):
    """A bad period or horizon; the message says which."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def check(start: date, end: date, horizon: int, today: date) -> None:
    """Refuse a period that ends before it starts or in the future, or a bad horizon."""
    if end < start:
        raise BacktestError("end", f"end {end} is before start {start}")
    if end > today:
        raise BacktestError("end", f"end {end} is after today ({today}): outcomes are not known yet")
    if not 0 <= horizon <= MAX_HORIZON:
        raise BacktestError("horizon", f"horizon must be between 0 and {MAX_HORIZON} days")


def cohort(session: Session, start: date, end: date
           ) -> tuple[dict[str, str], dict[str, Outcome]]:
    """Account names and the outcome of every account with ARR > 0 at start."""
    names = dict(session.execute(select(m.Account.id, m.Account.name)).all())
    deals: dict[str, list[mx.Deal]] = defaultdict(list)
    D = m.Deal
    for acc, *v in session.execute(select(D.account_id, D.id, D.kind, D.status, D.amount,
                                          D.close_date, D.expansion_type)):
        deals[acc].append(mx.Deal(*v))
    out = {}
    for acc, items in deals.items():
        result = outcome(mx.arr_changes(items), start, end)
        if result is not None:
            out[acc] = result
    return names, out


def _by_day(outcomes: dict[str, Outcome], end: date, horizon: int) -> dict[date, list[str]]:
    groups: dict[date, list[str]] = defaultdict(list)
    for acc, result in sorted(outcomes.items()):
        groups[observed_on(result, end, horizon)].append(acc)
    return groups


def _chunks(ids: list[str]):
    for i in range(0, len(ids), CHUNK):
        yield ids[i:i + CHUNK]


def _stored(session: Session, ids: list[str], day: date, version: str) -> dict[str, tuple]:
    rows = session.execute(
        select(AccountDay.account_id, AccountDay.score, AccountDay.band, AccountDay.signals,
               AccountDay.signal_runs)
        .where(AccountDay.day == day, AccountDay.account_id.in_(ids),
               AccountDay.settings_version == version))
    return {a: (score, band, signals, runs) for a, score, band, signals, runs in rows}


def observations(session: Session, settings, groups: dict[date, list[str]],
                 write: bool = True) -> dict[str, tuple]:
    """(score, band, signal codes, signal runs) of each account on its observation day."""
    from server.rows.history import evaluate_days, evaluate_rows

    version = build.settings_version(settings)
    out: dict[str, tuple] = {}
    for day, ids in sorted(groups.items()):
        first = day - timedelta(days=RUN_LOOKBACK)
        for chunk in _chunks(ids):
            if not write:
                rows, *_ = evaluate_rows(session, settings, chunk, first, day, stored=False)
                out.update({r["account_id"]: (r["score"], r["band"], r["signals"],
                                              r["signal_runs"]) for r in rows if r["day"] == day})
                continue
            found = _stored(session, chunk, day, version)
            missing = [a for a in chunk if a not in found]
            if missing:
                evaluate_days(session, settings, missing, first, day)
                session.flush()
                found.update(_stored(session, missing, day, version))
            out.update(found)
    return out


def backtest(session: Session, settings, start: date, end: date, horizon: int,
             write: bool = True) -> dict[str, Any]:
    """Every figure of the backtest of `settings` over [start, end] (docs/backtest.md).

    write=False evaluates in memory only (a proposed settings file).
    """
    check(start, end, horizon, m.utcnow().date())
    names, outcomes = cohort(session, start, end)
    seen = observations(session, settings, _by_day(outcomes, end, horizon), write)
    cases = []
    for acc, result in outcomes.items():
        day = observed_on(result, end, horizon)
        score, band, codes, runs = seen.get(acc, (None, "unknown", [], {}))
        runs = runs or {}
        signals = {c: date.fromisoformat(runs[c]) if runs.get(c) else day for c in codes or ()}
        cases.append(Case(id=acc, name=names.get(acc) or acc, outcome=result, observed_on=day,
                          score=score, band=band, signals=signals))
    out = summarize(cases, start, end, horizon)
    out["settings_version"] = build.settings_version(settings)
    return out
