"""The team's North Star total by calendar month (the portfolio's `north_star`)."""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from datetime import date

from sqlalchemy import distinct, func, select
from sqlalchemy.orm import Session

from server import models as m
from server.metrics.config import NorthStarConfig
from server.metrics.north_star import seats_used


def months(start: date, end: date) -> list[tuple[date, date]]:
    """The calendar months overlapping [start, end], each clipped to the period."""
    out = []
    first = date(start.year, start.month, 1)
    while first <= end:
        last = date(first.year, first.month, calendar.monthrange(first.year, first.month)[1])
        out.append((max(first, start), min(last, end)))
        first = date(first.year + (first.month == 12), first.month % 12 + 1, 1)
    return out


def _month_value(session: Session, cfg: NorthStarConfig, lo: date, hi: date,
                 ids: Sequence[str] | None) -> int:
    if cfg.kind == "events":
        ed = m.UsageEventDay
        q = select(func.sum(ed.events)).where(ed.name.in_(list(cfg.events)),
                                             ed.day.between(lo, hi))
        if ids is not None:
            q = q.where(ed.account_id.in_(list(ids)))
        return int(session.scalar(q) or 0)
    ud, a = m.UsageUserDay, m.Account
    q = (select(ud.account_id, a.seats, func.count(distinct(ud.user_id)))
         .join(a, a.id == ud.account_id).where(ud.day.between(lo, hi))
         .group_by(ud.account_id, a.seats))
    if ids is not None:
        q = q.where(ud.account_id.in_(list(ids)))
    rows = session.execute(q).all()
    if cfg.kind == "seats":
        return sum(seats_used(n, seats) for _, seats, n in rows)
    return sum(n for _, _, n in rows)


def monthly_totals(session: Session, cfg: NorthStarConfig, start: date, end: date,
                   ids: Sequence[str] | None) -> dict | None:
    """{name, kind, by_month: [{month, start, end, value}]} for the accounts (None = all)."""
    if not cfg.name:
        return None
    return {"name": cfg.name, "kind": cfg.kind, "by_month": [
        {"month": lo.strftime("%Y-%m"), "start": lo, "end": hi,
         "value": _month_value(session, cfg, lo, hi, ids)} for lo, hi in months(start, end)]}
