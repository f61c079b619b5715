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
from datetime import date

from sqlalchemy import distinct, extract, func, literal, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from server import models as m
from server.jobs.queue import defer
from server.metrics.config import NorthStarConfig
from server.metrics.north_star import seats_used
from server.services import usage_months, usage_pending

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
            todo = usage_pending.pending(w, ids, cfg.kind)
            if len(todo) > INLINE_REBUILD:
                defer(w, "north_star.rollups", store=store)   # e.g. after the upgrade
                w.commit()
                return _partly_rolled(w, cfg, start, end, ids, todo)
            _rebuild(w, sorted(todo))
            return usage_months.by_month(w, cfg.kind, months(start, end), ids)
    except DBAPIError as exc:  # e.g. another process rebuilt the same account first
        log.info("North Star month rollups unavailable (%s): counting the user-days", exc)
        return None


def _partly_rolled(session: Session, cfg: NorthStarConfig, start: date, end: date,
                   ids: Sequence[str] | None,
                   stale: dict[str, date | None]) -> dict[tuple[int, int], int] | None:
    """The rollups' months where they are current, the user-days where not (stale: {account:
    the day from which its months may differ, None if unknown}, usage_pending.pending): the
    months entirely before the earliest such day (the cut) from the rollups of every account
    but the unknown; from the cut's month on, the current accounts' rollups plus the stale
    accounts' months from their rollup before the cut and their users new from it
    (usage_pending.later_months), or, when most of the scope is stale, every account's that
    way (a current account's user-days are its rollup's: one read instead of thousands of
    excluded ids); the unknown accounts from all their user-days. Each account's months are
    its own: the sum is the scope's figure."""
    if len(stale) > PARTIAL_MAX:
        return None
    unknown = sorted(i for i, d in stale.items() if d is None)
    dated = sorted(i for i, d in stale.items() if d is not None and d <= end)
    spans = months(start, end)
    cut = min(stale[i] for i in dated) if dated else date.max
    before = [(lo, hi) for lo, hi in spans if usage_pending.month_end(lo) < cut]
    after = spans[len(before):]   # not empty only with a dated account
    old = usage_months.by_month(session, cfg.kind, before, ids, exclude=unknown)
    if old is None:
        return None
    out = defaultdict(int, old)
    if after and 2 * len(dated) > _scope_size(session, ids) - len(unknown):
        later = usage_pending.later_months(session, cfg.kind, after, cut, ids, unknown)
    elif after:
        later = usage_months.by_month(session, cfg.kind, after, ids, exclude=unknown + dated)
        if later is None:
            return None
        for key, n in usage_pending.later_months(session, cfg.kind, after, cut,
                                                 dated).items():
            later[key] = later.get(key, 0) + n
    else:
        later = {}
    for key, n in later.items():
        out[key] += n
    if unknown:
        for key, n in _by_month(session, cfg, start, end, unknown).items():
            out[key] += n
    return out


def _scope_size(session: Session, ids: Sequence[str] | None) -> int:
    if ids is not None:
        return len(set(ids))
    return int(session.scalar(select(func.count()).select_from(m.Account)) or 0)


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
            q = q.where(usage_months.among(session, ed.account_id, ids))
        out: dict[tuple[int, int], int] = defaultdict(int)
        for day, n in session.execute(q):
            out[(day.year, day.month)] += int(n or 0)
        return out
    ud, a = m.UsageUserDay, m.Account
    year, month = extract("year", ud.day), extract("month", ud.day)
    per = (select(ud.account_id, year.label("y"), month.label("m"),
                  func.count(distinct(ud.user_id)).label("n"))
           .where(ud.day.between(start, end)).group_by(ud.account_id, year, month))
    if ids is not None:
        per = per.where(usage_months.among(session, ud.account_id, ids))
    per = per.subquery()
    if cfg.kind == "seats":   # each account's months, then its seats (not per user-day)
        q = select(per.c.y, per.c.m, per.c.n, a.seats).join(a, a.id == per.c.account_id)
    else:
        q = select(per.c.y, per.c.m, per.c.n, literal(None))
    out = defaultdict(int)
    for y, mo, n, seats in session.execute(q):
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
