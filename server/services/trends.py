"""The dashboard's series over time: trailing-12-month NRR and GRR at each month end, and the
accounts per health band at each month end, for the accounts in scope (owner, segment, phase
of the current rows, as the team figures narrow them).

Retention reads the stored ARR timeline once (one query), takes each account's ARR at the
start and end of each trailing window and sums them in cents, so the last point equals the
dashboard's trailing-12-month NRR and GRR; services.retention_series keeps those per-account
points per process and re-reads only the timelines written since. Bands read the daily
history rows of the month ends (index-only on `(day, band, account_id)`).
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import compress

from sqlalchemy import Float, String, func, select, type_coerce
from sqlalchemy.orm import Session

from server import metrics as mx
from server.rows.models import AccountDay, AccountMetrics, ArrChangeRow, scoped
from server.services import periods

MONTHS = 12


def month_ends(as_of: date, months: int = MONTHS) -> list[date]:
    """The last day of each of the `months` months ending with as_of's month (that one: as_of)."""
    out = []
    first = as_of.replace(day=1)
    for _ in range(months):
        out.append(min(as_of, _next_month(first) - timedelta(days=1)))
        first = (first - timedelta(days=1)).replace(day=1)
    return out[::-1]


def _next_month(first: date) -> date:
    return date(first.year + first.month // 12, first.month % 12 + 1, 1)


def in_scope(owner, segment, phase):
    return scoped(select(AccountMetrics.account_id), owner, segment, phase)


def _cents(amount: float) -> int:
    """An amount of the stored timeline (two decimals, read as a float) in whole cents, so
    sums are exact and do not depend on the order of the accounts."""
    return round(amount * 100)


def timelines(session: Session, owner=None, segment=None, phase=None,
              ids: list[str] | None = None) -> tuple[dict, type]:
    """{account: (change days, ARR in cents after each change)} in timeline order, for the
    accounts in scope (or of `ids`), read without the ORM's per-value conversions (days as
    the driver returns them: ISO text on SQLite, dates on PostgreSQL), and the type of the
    days."""
    ch = ArrChangeRow
    q = select(ch.account_id, type_coerce(ch.date, String), type_coerce(ch.after, Float)) \
        .order_by(ch.account_id, ch.seq)
    if owner or segment or phase:
        q = q.where(ch.account_id.in_(in_scope(owner, segment, phase)))
    if ids is not None:
        q = q.where(ch.account_id.in_(ids))
    out: dict[str, tuple[list, list]] = {}
    kind: type = str
    for acc, day, after in session.execute(q):
        kind = type(day)
        days, arrs = out.setdefault(acc, ([], []))
        days.append(day)
        arrs.append(_cents(after))
    return out, kind


def _key(day: date, kind: type):
    return day.isoformat() if kind is str else day


def windows(as_of: date) -> list[tuple[date, date]]:
    """(start, end) of the trailing 12 months ending at each month end of month_ends(as_of)."""
    return [(periods.bounds("12m", end)[0], end) for end in month_ends(as_of)]


@dataclass(frozen=True)
class Keys:
    """The days whose ARR the windows read, sorted, in the type the timeline's days are read
    in: window w's S is the ARR on days[s[w]] (the day before its start), its E on days[e[w]]
    (its end)."""

    days: tuple
    s: tuple
    e: tuple


def bounds_keys(as_of: date, kind: type) -> Keys:
    pairs = [(_key(start - timedelta(days=1), kind), _key(end, kind))
             for start, end in windows(as_of)]
    days = sorted({d for pair in pairs for d in pair})
    pos = {d: i for i, d in enumerate(days)}
    return Keys(tuple(days), tuple(pos[b] for b, _ in pairs), tuple(pos[e] for _, e in pairs))


def account_points(days: list, arrs: list[int], keys: Keys) -> tuple[int, ...]:
    """One account's ARR in cents on each of keys.days: that of its last change on or before
    the day (0 before its first)."""
    ks, n = keys.days, len(keys.days)
    out = [0] * n
    for day, arr in zip(days, arrs):  # in timeline order: a later change overwrites
        i = bisect_left(ks, day)
        if i < n:
            out[i:] = [arr] * (n - i)
    return tuple(out)


def add_points(totals: list[list[int]], points: tuple[int, ...], keys: Keys,
               sign: int = 1) -> None:
    """Add (sign 1) or take away (-1) one account's points from per-window sums
    [ΣS, ΣE, Σmin(S, E), cohort] over the accounts with S > 0."""
    for row, si, ei in zip(totals, keys.s, keys.e):
        s = points[si]
        if s > 0:
            e = points[ei]
            row[0] += sign * s
            row[1] += sign * e
            row[2] += sign * min(s, e)
            row[3] += sign


def sum_points(points: list[tuple[int, ...]], keys: Keys) -> list[list[int]]:
    """The per-window sums of many accounts' points, column by column (ARR is never
    negative, so an account with S = 0 adds 0 to ΣS and to Σmin(S, E))."""
    if not points:
        return empty_totals()
    cols = list(zip(*points))
    out = []
    for si, ei in zip(keys.s, keys.e):
        s, e = cols[si], cols[ei]
        out.append([sum(s), sum(compress(e, s)), sum(map(min, s, e)), len(s) - s.count(0)])
    return out


def empty_totals() -> list[list[int]]:
    return [[0, 0, 0, 0] for _ in range(MONTHS)]


def series_of(totals: list[list[int]], as_of: date) -> list[dict]:
    """The chart's points from the per-window sums (cents): NRR = ΣE / ΣS, GRR = Σmin(S, E) /
    ΣS (None where the cohort is empty: no denominator), the cohort's start ARR."""
    out = []
    for (start, end), (s_sum, e_sum, kept, cohort) in zip(windows(as_of), totals):
        out.append({"month": end.strftime("%Y-%m"), "end": end, "start": start,
                    "nrr": e_sum / s_sum if s_sum else None,
                    "grr": kept / s_sum if s_sum else None,
                    "start_arr": s_sum / 100, "cohort_size": cohort})
    return out


def retention_by_month(session: Session, as_of: date, owner: str | None = None,
                       segment: str | None = None, phase: str | None = None) -> list[dict]:
    """One point per month end: the trailing-12-month NRR and GRR ending that day, with the
    cohort's start ARR (None where the cohort is empty: no denominator), computed from the
    stored ARR timeline (services.retention_series remembers it between its changes).

    Over the cohort (S > 0): NRR = ΣE / ΣS and GRR = (ΣS - Σcontraction - Σchurn) / ΣS, where
    S - contraction - churn = min(S, E) for each account (metrics.md section 1). Amounts are
    summed in whole cents (exact); each ratio is the float nearest to the exact quotient."""
    lines, kind = timelines(session, owner, segment, phase)
    keys = bounds_keys(as_of, kind)
    return series_of(sum_points([account_points(days, arrs, keys)
                                 for days, arrs in lines.values()], keys), as_of)


def bands_by_month(session: Session, as_of: date, owner: str | None = None,
                   segment: str | None = None, phase: str | None = None) -> list[dict]:
    """Accounts per health band on each month end that has history rows (a day without
    rows, before any daily job or backfill, has no point)."""
    ends = month_ends(as_of)
    q = (select(AccountDay.day, AccountDay.band, func.count())
         .where(AccountDay.day.in_(ends)).group_by(AccountDay.day, AccountDay.band))
    if owner or segment or phase:
        q = q.where(AccountDay.account_id.in_(in_scope(owner, segment, phase)))
    counts: dict[date, dict] = defaultdict(lambda: mx.band_counts(()))
    for day, band, n in session.execute(q):
        counts[day][band] = n
    return [{"month": d.strftime("%Y-%m"), "day": d, **counts[d]} for d in ends if d in counts]
