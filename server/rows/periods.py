"""The period pass of the team retention without reading the whole ARR timeline.

`server.rows.retention` sums the movements of a cohort whose accounts each have S (ARR the
day before the period), E (ARR on its last day) and the period's ARR increases (all, and
cross-sell), in cents. Those four come from one of three sources, all equal:

- ``stored``: the period is the rows' own default period (trailing 12 months as of their
  day): S and E are the rows' `start_arr` and `end_arr`, the increases their
  `period_increase` and `period_cross_increase` (written with the row, `period_columns`).
  No timeline row is read.
- ``ending``: the period ends on the rows' day (any start: the dashboard presets, a last
  quarter): E is the rows' `end_arr` (ARR on their day) and S = E minus the changes dated
  inside the period, because each change's `before` is the previous change's `after`
  (the timeline is contiguous, in date order). Only the period's changes are read, on the
  `date` index (`changes_in`); an account without any has S = E.
- ``timeline``: any other period: one grouped pass over every change of the scope
  (`server.rows.retention`).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import and_, case, exists, func, select
from sqlalchemy.orm import Session

from server import metrics as mx
from server.rows.models import AccountMetrics, ArrChangeRow, scoped

am, ch = AccountMetrics, ArrChangeRow
ZERO = Decimal("0.00")


def _money(value):
    from server.rows.money import money

    return money(value)


def team_columns(acc, ev, row: dict) -> dict:
    """`row` (one account's current row) with the columns the team figures read: the
    account's owner, its count of ticket and reply hours per kind, and the default period's
    ARR increases (all, and those of cross-sell expansions), summed as the stored timeline
    holds them (each side rounded to cents)."""
    row.update(owner=acc.owner, response_count=len(row["first_response_hours"]),
               resolution_count=len(row["resolution_hours"]),
               reply_count=len(row["reply_hours"]), **_increases(ev))
    return row


def _increases(ev) -> dict:
    mv = ev.revenue.movements
    up = [c for c in ev.revenue.changes
          if mv.start <= c.date <= mv.end and c.after > c.before]
    grow = [_money(c.after) - _money(c.before) for c in up]
    cross = [g for c, g in zip(up, grow, strict=True) if c.expansion_type == "cross_sell"]
    return {"period_increase": sum(grow, ZERO), "period_cross_increase": sum(cross, ZERO)}


def source(session: Session, start: date, end: date) -> str:
    """Which source answers the period: every current row must be of the day `end`
    (their default period ends on their day), and, for ``stored``, carry the increases."""
    first, last, missing = session.execute(select(     # index seeks, each
        select(func.min(am.as_of)).scalar_subquery(),
        select(func.max(am.as_of)).scalar_subquery(),
        exists().where(am.period_increase.is_(None)))).one()
    if first is None or first != last or last != end:
        return "timeline"
    if not missing and (start, end) == mx.trailing_year(end):
        return "stored"
    return "ending"


def changes_in(start: date, end: date, owner, segment, phase, cents):
    """Per account of the scope with ARR changes dated in [start, end]: the sum of their
    changes (`delta`: E - S for a period ending on the rows' day) and of their increases,
    all and cross-sell (cents), on the `date` index."""
    up = ch.after > ch.before
    grow = ch.after - ch.before
    per = (select(ch.account_id.label("acc"),
                  func.sum(cents(ch.after) - cents(ch.before)).label("delta"),
                  cents(func.sum(case((up, grow), else_=0))).label("inc"),
                  cents(func.sum(case((and_(up, ch.expansion_type == "cross_sell"), grow),
                                      else_=0))).label("cross"))
           .where(ch.date >= start, ch.date <= end).group_by(ch.account_id))
    if owner or segment or phase:
        per = per.where(ch.account_id.in_(scoped(select(am.account_id), owner, segment, phase)))
    return per.subquery()
