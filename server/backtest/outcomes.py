"""Outcome of each account over a period, and the day its health is read (pure).

An account is in the cohort when `S = ARR(start - 1 day) > 0` (the retention cohort of
metrics.md section 1); `E = ARR(end)`:

- `churned`: `E = 0`; dated on the last change inside the period that took ARR to 0;
- `contracted`: `0 < E < S`; dated on the first ARR decrease inside the period;
- `retained`: `E = S`; `expanded`: `E > S` (no outcome date).

The health is observed `horizon` days before the outcome date, or before `end` for an
account without one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from server.metrics.revenue import ArrChange

OUTCOMES = ("churned", "contracted", "retained", "expanded")
ZERO = Decimal(0)


@dataclass(frozen=True)
class Outcome:
    """What happened to one cohort account between start and end."""

    kind: str
    start_arr: Decimal
    end_arr: Decimal
    date: date | None


def arr_on(changes: Iterable[ArrChange], day: date) -> Decimal:
    """ARR after every change dated on or before `day` (changes in timeline order)."""
    arr = ZERO
    for c in changes:
        if c.date > day:
            break
        arr = c.after
    return arr


def outcome(changes: list[ArrChange], start: date, end: date) -> Outcome | None:
    """The account's outcome over [start, end], or None when it had no ARR at start."""
    s = arr_on(changes, start - timedelta(days=1))
    if s <= 0:
        return None
    e = arr_on(changes, end)
    inside = [c for c in changes if start <= c.date <= end]
    if e == 0:
        when = max(c.date for c in inside if c.after == 0 and c.before > 0)
        return Outcome("churned", s, e, when)
    if e < s:
        return Outcome("contracted", s, e, min(c.date for c in inside if c.after < c.before))
    return Outcome("retained" if e == s else "expanded", s, e, None)


def observed_on(result: Outcome, end: date, horizon: int) -> date:
    """The day the health is read: `horizon` days before the outcome date (else end)."""
    return (result.date or end) - timedelta(days=horizon)
