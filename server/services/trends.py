"""The dashboard's series over time: trailing-12-month NRR and GRR at each month end, and the
accounts per health band at each month end, for the accounts in scope (owner, segment, phase
of the current rows, as the team figures narrow them).

Retention reads the stored ARR timeline once (one query) and folds each month's cohort with
the same metrics functions as the portfolio, so the last point equals the dashboard's
trailing-12-month NRR and GRR. Bands read the daily history rows of the month ends.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from datetime import date, timedelta

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


def _in_scope(owner, segment, phase):
    return scoped(select(AccountMetrics.account_id), owner, segment, phase)


def _timelines(session: Session, owner, segment, phase) -> tuple[list, type]:
    """[(change days, ARR after each change)] per account in timeline order, read without
    the ORM's per-value conversions (days as the driver returns them: ISO text on SQLite,
    dates on PostgreSQL; amounts as floats), and the type of the days."""
    ch = ArrChangeRow
    q = select(ch.account_id, type_coerce(ch.date, String), type_coerce(ch.after, Float)) \
        .order_by(ch.account_id, ch.seq)
    if owner or segment or phase:
        q = q.where(ch.account_id.in_(_in_scope(owner, segment, phase)))
    out: dict[str, tuple[list, list]] = {}
    kind: type = str
    for acc, day, after in session.execute(q):
        kind = type(day)
        days, arrs = out.setdefault(acc, ([], []))
        days.append(day)
        arrs.append(after)
    return list(out.values()), kind


def _key(day: date, kind: type):
    return day.isoformat() if kind is str else day


def retention_by_month(session: Session, as_of: date, owner: str | None = None,
                       segment: str | None = None, phase: str | None = None) -> list[dict]:
    """One point per month end: the trailing-12-month NRR and GRR ending that day, with the
    cohort's start ARR (None where the cohort is empty: no denominator).

    Over the cohort (S > 0): NRR = ΣE / ΣS and GRR = (ΣS - Σcontraction - Σchurn) / ΣS, where
    S - contraction - churn = min(S, E) for each account (metrics.md section 1). Amounts are
    summed as floats: the chart shows percentages to two decimals."""
    lines, kind = _timelines(session, owner, segment, phase)
    out = []
    for end in month_ends(as_of):
        start, _ = periods.bounds("12m", end)
        before, last = _key(start - timedelta(days=1), kind), _key(end, kind)
        s_sum = e_sum = kept = 0.0
        cohort = 0
        for days, arrs in lines:
            i = bisect_right(days, before)
            s = arrs[i - 1] if i else 0.0
            if s > 0:
                j = bisect_right(days, last)
                e = arrs[j - 1] if j else 0.0
                cohort += 1
                s_sum += s
                e_sum += e
                kept += min(s, e)
        out.append({"month": end.strftime("%Y-%m"), "end": end, "start": start,
                    "nrr": e_sum / s_sum if s_sum else None,
                    "grr": kept / s_sum if s_sum else None,
                    "start_arr": s_sum, "cohort_size": cohort})
    return out


def bands_by_month(session: Session, as_of: date, owner: str | None = None,
                   segment: str | None = None, phase: str | None = None) -> list[dict]:
    """Accounts per health band on each month end that has history rows (a day without
    rows, before any daily job or backfill, has no point)."""
    ends = month_ends(as_of)
    q = (select(AccountDay.day, AccountDay.band, func.count())
         .where(AccountDay.day.in_(ends)).group_by(AccountDay.day, AccountDay.band))
    if owner or segment or phase:
        q = q.where(AccountDay.account_id.in_(_in_scope(owner, segment, phase)))
    counts: dict[date, dict] = defaultdict(lambda: mx.band_counts(()))
    for day, band, n in session.execute(q):
        counts[day][band] = n
    return [{"month": d.strftime("%Y-%m"), "day": d, **counts[d]} for d in ends if d in counts]
