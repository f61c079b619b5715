"""The backtest over the store: ARR outcomes from the deals, health from the daily history.

Each account is observed on one day (`observe.py`): its history row of the same settings
version when stored, else that day evaluated (and kept); churned accounts' signal runs are
traced back for their lead times. A proposed settings file is evaluated the same way in
memory, without writing anything.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server import metrics as mx
from server import models as m
from server.rows import build

from .figures import Case, summarize
from .observe import Observer, Seen, keeper
from .outcomes import Outcome, observed_on, outcome

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


def backtest(session: Session, settings, start: date, end: date, horizon: int,
             write: bool = True, progress=None, keep=None) -> dict[str, Any]:
    """Every figure of the backtest of `settings` over [start, end] (docs/backtest.md).

    write=False evaluates in memory only (a proposed settings file); `keep(rows)`, when
    given, receives the evaluated history rows instead of the session; `progress(done,
    total)` is called as the cohort's accounts are observed.
    """
    check(start, end, horizon, m.utcnow().date())
    names, outcomes = cohort(session, start, end)
    days = {acc: observed_on(result, end, horizon) for acc, result in outcomes.items()}
    churned = {acc for acc, result in outcomes.items() if result.kind == "churned"}
    seen = Observer(session, settings, keep or (keeper(session) if write else None),
                    progress).observe(days, churned)
    cases = []
    for acc, result in outcomes.items():
        obs = seen.get(acc) or Seen(None, "unknown", [])
        cases.append(Case(id=acc, name=names.get(acc) or acc, outcome=result,
                          observed_on=days[acc], score=obs.score, band=obs.band,
                          signals={c: obs.runs.get(c) for c in obs.codes}))
    out = summarize(cases, start, end, horizon)
    out["settings_version"] = build.settings_version(settings)
    return out
