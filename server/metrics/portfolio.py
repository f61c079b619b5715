"""Portfolio and team figures (sections 1 and 8): retention, quarterly expansion, roll-ups."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from .common import ZERO, Output, mean, ratio
from .relationship import Nps
from .revenue import ArrChange, Movement, arr_changes
from .types import Deal

BANDS = ("good", "watch", "at_risk", "unknown")


@dataclass(frozen=True)
class Retention(Output):
    """Retention of the cohort of accounts with start ARR > 0 over one period.

    growth: retained + upsell + cross_sell = end_arr; total = end_arr - start_arr.
    """

    cohort_size: int
    start_arr: Decimal
    end_arr: Decimal
    expansion: Decimal
    contraction: Decimal
    churn: Decimal
    nrr: float | None
    grr: float | None
    logo_churn_rate: float | None
    revenue_churn_rate: float | None
    churned_logos: int
    growth: dict[str, Decimal]


def retention(movements: Iterable[Movement]) -> Retention:
    """NRR, GRR, logo and revenue churn, and growth split over accounts with S > 0."""
    cohort = [m for m in movements if m.start_arr > 0]
    return retention_of(
        cohort_size=len(cohort), start_arr=sum((m.start_arr for m in cohort), ZERO),
        end_arr=sum((m.end_arr for m in cohort), ZERO),
        expansion=sum((m.expansion for m in cohort), ZERO),
        contraction=sum((m.contraction for m in cohort), ZERO),
        churn=sum((m.churn for m in cohort), ZERO),
        churned_logos=sum(1 for m in cohort if m.end_arr == 0),
        upsell=sum((m.upsell for m in cohort), ZERO),
        cross_sell=sum((m.cross_sell for m in cohort), ZERO))


def retention_of(cohort_size: int, start_arr: Decimal, end_arr: Decimal, expansion: Decimal,
                 contraction: Decimal, churn: Decimal, churned_logos: int, upsell: Decimal,
                 cross_sell: Decimal) -> Retention:
    """Retention from the cohort's sums of its accounts' movements (accounts with S > 0)."""
    s, e = start_arr, end_arr
    retained = s - contraction - churn
    return Retention(
        cohort_size=cohort_size, start_arr=s, end_arr=e,
        expansion=expansion, contraction=contraction, churn=churn,
        nrr=ratio(e, s), grr=ratio(retained, s),
        logo_churn_rate=ratio(churned_logos, cohort_size),
        revenue_churn_rate=ratio(churn, s),
        churned_logos=churned_logos,
        growth={"retained": retained, "upsell": upsell, "cross_sell": cross_sell,
                "total": e - s},
    )


def quarter_of(day: date) -> tuple[int, int]:
    """(year, quarter 1-4) of a day."""
    return day.year, (day.month - 1) // 3 + 1


def quarter_bounds(year: int, quarter: int) -> tuple[date, date]:
    """First and last day of a calendar quarter."""
    first = date(year, 3 * quarter - 2, 1)
    nxt = date(year + 1, 1, 1) if quarter == 4 else date(year, 3 * quarter + 1, 1)
    return first, date.fromordinal(nxt.toordinal() - 1)


def expansion_by_quarter(deals_by_account: Mapping[str, Iterable[Deal]], start: date,
                         end: date) -> list[dict]:
    """Per calendar quarter in [start, end]: ARR increases on accounts that already had ARR."""
    return quarterly_expansion(
        (c for deals in deals_by_account.values() for c in arr_changes(deals, as_of=end)),
        start, end)


def quarters(start: date, end: date) -> list[tuple[str, date, date]]:
    """(label "YYYY-Qn", first day, last day) of each calendar quarter meeting [start, end],
    clipped to the period."""
    out: list[tuple[str, date, date]] = []
    if start > end:
        return out
    year, q = quarter_of(start)
    while quarter_bounds(year, q)[0] <= end:
        q_start, q_end = quarter_bounds(year, q)
        out.append((f"{year}-Q{q}", max(q_start, start), min(q_end, end)))
        year, q = (year + 1, 1) if q == 4 else (year, q + 1)
    return out


def quarter_rows(start: date, end: date, sums: Mapping[str, tuple[Decimal, Decimal]]
                 ) -> list[dict]:
    """The expansion_by_quarter rows from each quarter's (upsell, cross_sell) increases."""
    rows = []
    for label, q_start, q_end in quarters(start, end):
        up, cross = sums.get(label, (ZERO, ZERO))
        rows.append({"quarter": label, "start": q_start.isoformat(), "end": q_end.isoformat(),
                     "expansion": up + cross, "upsell": up, "cross_sell": cross})
    return rows


def quarterly_expansion(changes: Iterable[ArrChange], start: date, end: date) -> list[dict]:
    """expansion_by_quarter over ARR timeline changes (of any accounts, in any order)."""
    sums: dict[str, list[Decimal]] = {}
    for change in changes:
        if change.date < start or change.date > end or change.before <= 0 \
                or change.after <= change.before:
            continue
        y, qq = quarter_of(change.date)
        part = sums.setdefault(f"{y}-Q{qq}", [ZERO, ZERO])
        part[1 if change.expansion_type == "cross_sell" else 0] += change.delta
    return quarter_rows(start, end, {k: (v[0], v[1]) for k, v in sums.items()})


def loaded_arr(arrs: Iterable[Decimal]) -> Decimal:
    """Loaded ARR: the sum of the current ARR of the accounts (e.g. those a CSM owns)."""
    return sum(arrs, ZERO)


def band_counts(bands: Iterable[str]) -> dict[str, int]:
    """Number of accounts per health band (all four bands present)."""
    counts = {b: 0 for b in BANDS}
    for b in bands:
        counts[b] = counts.get(b, 0) + 1
    return counts


def team_nps(summaries: Iterable[Nps]) -> Nps:
    """Pooled NPS over the accounts' respondents (each account's latest response per contact)."""
    items = list(summaries)
    p = sum(n.promoters for n in items)
    pa = sum(n.passives for n in items)
    d = sum(n.detractors for n in items)
    total = p + pa + d
    return Nps(score=100 * (p - d) / total if total else None, promoters=p, passives=pa,
               detractors=d, responses=total)


def team_time_to_first_value(days: Iterable[int | None]) -> dict:
    """Mean time to first value over accounts that reached it, and how many have not yet."""
    values = list(days)
    reached = [v for v in values if v is not None]
    return {"mean_days": mean(reached), "reached": len(reached),
            "not_reached": len(values) - len(reached)}
