"""The team's North Star total by calendar month (the portfolio's `north_star`).

Event counts are summed per day on the `(name, day, account_id, events)` index; active users
and seats used are read from the calendar-month rollups (server/services/usage_months.py),
rebuilt first for the accounts whose usage or seats changed (by the `north_star.rollups` job
when more than INLINE_REBUILD are stale), and counted from the user-days when the rollups cannot
answer (a period inside one month, a rollup write that failed; the stale accounts' while the
job is still to run).
"""

from __future__ import annotations

import calendar
import logging
from collections import defaultdict
from collections.abc import Sequence
from datetime import date, timedelta

from sqlalchemy import distinct, extract, func, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from server import models as m
from server.jobs.queue import defer
from server.metrics.config import NorthStarConfig
from server.metrics.north_star import seats_used
from server.services import usage_months

log = logging.getLogger(__name__)

#: A read rebuilds the rollups of at most this many stale accounts itself (their usage or
#: seats changed, or they have none yet); above it (the first read after the upgrade, an
#: import that added usage to most accounts) it queues the `north_star.rollups` job and
#: answers from the other accounts' rollups plus the stale accounts' user-days meanwhile
#: (the same figures). A write that adds no usage (a CRM sync) leaves the rollups valid.
INLINE_REBUILD = 500
#: Above this many stale accounts the read counts every user-day of the scope instead (the
#: rollups' share is small, and each stale account would be one bound parameter).
PARTIAL_MAX = 20000


def months(start: date, end: date) -> list[tuple[date, date]]:
    """The calendar months overlapping [start, end], each clipped to the period."""
    out = []
    first = date(start.year, start.month, 1)
    while first <= end:
        last = date(first.year, first.month, calendar.monthrange(first.year, first.month)[1])
        out.append((max(first, start), min(last, end)))
        first = date(first.year + (first.month == 12), first.month % 12 + 1, 1)
    return out


def _rolled(session: Session, cfg: NorthStarConfig, start: date, end: date,
            ids: Sequence[str] | None) -> dict[tuple[int, int], int] | None:
    """Active users or seats by month from the rollups, in a transaction of the session's
    store that first rebuilds a few stale accounts' rollups, or queues the job for many and
    counts their user-days (None: the rollups cannot answer)."""
    store = session.info.get("store")
    if store is None:
        return None
    try:
        with store.session() as w:
            todo = usage_months.stale(w, ids)
            if len(todo) > INLINE_REBUILD:
                defer(w, "north_star.rollups", store=store)   # e.g. after the upgrade
                w.commit()
                return _partly_rolled(w, cfg, start, end, ids, todo)
            _rebuild(w, todo)
            return usage_months.by_month(w, cfg.kind, months(start, end), ids)
    except DBAPIError as exc:  # e.g. another process rebuilt the same account first
        log.info("North Star month rollups unavailable (%s): counting the user-days", exc)
        return None


def _partly_rolled(session: Session, cfg: NorthStarConfig, start: date, end: date,
                   ids: Sequence[str] | None,
                   stale: list[str]) -> dict[tuple[int, int], int] | None:
    """The current accounts' rollups plus the stale accounts': those whose earliest new usage
    day is known (and seats unchanged) from their stored months entirely before the earliest
    such day and from their user-days after it (usually the current month only), the others
    from all their user-days (each account's months are its own: the sum is the scope's
    figure)."""
    if len(stale) > PARTIAL_MAX:
        return None
    dated = usage_months.dated(session, stale)
    unknown = [i for i in stale if i not in dated]
    spans = months(start, end)
    cut = min(dated.values()) if dated else end + timedelta(days=1)
    before = [(lo, hi) for lo, hi in spans if lo.replace(day=calendar.monthrange(
        lo.year, lo.month)[1]) < cut]
    after = spans[len(before):]
    old = usage_months.by_month(session, cfg.kind, before, ids, exclude=unknown)
    new = usage_months.by_month(session, cfg.kind, after, ids, exclude=stale)
    if old is None or new is None:
        return None
    out = defaultdict(int, {**old, **new})
    counted = [(i, start) for i in unknown]
    if after:
        counted += [(i, after[0][0]) for i in dated]
    for since in sorted({d for _, d in counted}):
        group = [i for i, d in counted if d == since]
        for i in range(0, len(group), usage_months.CHUNK):
            for key, n in _by_month(session, cfg, since, end,
                                    group[i:i + usage_months.CHUNK]).items():
                out[key] += n
    return out


def queue_rollups(session: Session, moved: int) -> None:
    """A write that moved the usage stamps of `moved` accounts: above INLINE_REBUILD, queue
    the `north_star.rollups` job in its transaction (a read would, later)."""
    store = session.info.get("store")
    if moved > INLINE_REBUILD and store is not None:
        defer(session, "north_star.rollups", store=store)


def _rebuild(session: Session, ids: Sequence[str]) -> None:
    for i in range(0, len(ids), usage_months.CHUNK):
        usage_months.rebuild(session, ids[i:i + usage_months.CHUNK])
        session.commit()


def rebuild_stale(store) -> int:
    """The `north_star.rollups` job: every account's rollups brought up to its stamp, chunk
    by chunk (each committed); returns how many accounts were stale."""
    with store.session() as w:
        todo = usage_months.stale(w, None)
        _rebuild(w, todo)
    return len(todo)


def _by_month(session: Session, cfg: NorthStarConfig, start: date, end: date,
              ids: Sequence[str] | None) -> dict[tuple[int, int], int]:
    """{(year, month): value} over [start, end] in one grouped query: event counts summed per
    day (the name, day index), or distinct users per account and month (seats: capped at the
    account's seats). The exact reference of the rollups."""
    if cfg.kind == "events":
        ed = m.UsageEventDay
        q = (select(ed.day, func.sum(ed.events))
             .where(ed.name.in_(list(cfg.events)), ed.day.between(start, end))
             .group_by(ed.day))
        if ids is not None:
            q = q.where(ed.account_id.in_(list(ids)))
        out: dict[tuple[int, int], int] = defaultdict(int)
        for day, n in session.execute(q):
            out[(day.year, day.month)] += int(n or 0)
        return out
    ud, a = m.UsageUserDay, m.Account
    year, month = extract("year", ud.day), extract("month", ud.day)
    q = (select(year, month, a.seats, func.count(distinct(ud.user_id)))
         .join(a, a.id == ud.account_id).where(ud.day.between(start, end))
         .group_by(ud.account_id, year, month, a.seats))
    if ids is not None:
        q = q.where(ud.account_id.in_(list(ids)))
    out = defaultdict(int)
    for y, mo, seats, n in session.execute(q):
        out[(int(y), int(mo))] += seats_used(n, seats) if cfg.kind == "seats" else n
    return out


def monthly_totals(session: Session, cfg: NorthStarConfig, start: date, end: date,
                   ids: Sequence[str] | None) -> dict | None:
    """{name, kind, by_month: [{month, start, end, value}]} for the accounts (None = all)."""
    if not cfg.name:
        return None
    values = None if cfg.kind == "events" else _rolled(session, cfg, start, end, ids)
    if values is None:
        values = _by_month(session, cfg, start, end, ids)
    return {"name": cfg.name, "kind": cfg.kind, "by_month": [
        {"month": lo.strftime("%Y-%m"), "start": lo, "end": hi,
         "value": values.get((lo.year, lo.month), 0)} for lo, hi in months(start, end)]}
