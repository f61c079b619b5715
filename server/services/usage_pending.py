"""The North Star rollups read while the `north_star.rollups` job is pending: which stale
accounts' months are still current, and the month of their earliest new usage day counted
from the rollup's edges before that day plus the user-days from it on.

A usage write records per account the earliest usage day it added since the rollup was
built (`accounts.usage_changed_from`); user-days are only ever added, so the account's
user-days before that day are the ones its rollup was built from. Its month containing the
day is then: the users whose first active day of the month is before the day (the rollup:
the month's users less those whose first day is on or after it, or the first days before
it, whichever side is shorter) plus the users active from the day on with no active day of
the month before it (the user-days from the day, each user looked up once on the
`(account_id, user_id, day)` index). Late in a month this reads a few days of user-days
instead of the whole month's.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from datetime import date

from sqlalchemy import (
    and_,
    any_,
    case,
    exists,
    func,
    literal_column,
    or_,
    select,
    text,
)
from sqlalchemy.orm import Session, aliased

from server import models as m
from server.services.usage_months import (
    UE,
    UM,
    US,
    _capped_seats,
    _day,
    _month,
    _scoped,
    among,
    id_set,
)


def pending(session: Session, ids: Sequence[str] | None, kind: str) -> dict[str, date | None]:
    """Every account (of ids; None: all) whose rollup is stale (missing, older than its usage
    stamp, or built with other seats), with the day from which its months may differ from
    its user-days for this kind: its earliest new usage day when recorded (`date.max` when
    only its seats changed and the kind is active users: nothing of it is stale); None when
    unknown, the rollup missing, or (seats) its seats changed. One statement."""
    a = m.Account
    built = US.account_id.is_not(None)
    usage = US.updated_at.is_distinct_from(a.usage_changed_at)
    seats = US.seats.is_distinct_from(a.seats)
    unusable = ~built if kind == "active_users" else ~built | seats
    day = case((unusable, None), else_=a.usage_changed_from)
    q = (select(a.id, built, usage, day).outerjoin(US, US.account_id == a.id)
         .where(~built | usage | seats))
    out = {}
    for i, is_built, moved, d in session.execute(_scoped(q, a.id, ids, session)):
        if kind == "active_users" and is_built and not moved:
            out[i] = date.max            # the seats alone changed: the users are current
        else:
            out[i] = None if d is None else _day(d)
    return out


def worth_it(month: date, hi: date, cut: date) -> bool:
    """Whether the month over [month, hi] is cheaper from its rollup before `cut` plus the
    users new from it (user-days cut..hi, each looked up before the cut) than from its
    user-days (month..hi)."""
    return month < cut <= hi and (hi - cut).days + 1 < (cut - month).days


def _where(session: Session, col, ids: Sequence[str] | None, exclude: Sequence[str],
           probe: bool = False) -> list:
    """The accounts of ids (None: all; `probe`: as the array of every account's id, so that
    PostgreSQL probes each account's user-days rather than scanning all) but exclude."""
    out = []
    if ids is not None:
        out.append(among(session, col, ids))
    elif probe:
        every = select(m.Account.id)
        out.append(col == any_(func.array(every.scalar_subquery()))
                   if session.get_bind().dialect.name == "postgresql" else col.in_(every))
    if exclude:
        out.append(col.not_in(id_set(session, exclude)))
    return out


def later_months(session: Session, kind: str, spans: list[tuple[date, date]], cut: date,
                 ids: Sequence[str] | None,
                 exclude: Sequence[str] = ()) -> dict[tuple[int, int], int]:
    """{(year, month): value} for the spans from the cut's month on (spans[0] holds the cut)
    of the accounts of ids (None: all) but exclude, each of whose user-days before `cut` are
    those its rollup (with its seats) was built from: see the module's docstring."""
    (lo, hi), end = spans[0], spans[-1][1]
    month = lo.replace(day=1)
    since = cut if lo == month and worth_it(month, hi, cut) else lo
    a, ud = m.Account, m.UsageUserDay
    early: dict[str, int] = {}
    if since > lo:   # the users whose first day of the month is before it, from the rollup
        mend = month_end(month)
        if (since - month).days <= (mend - since).days + 1:
            early = dict(session.execute(
                select(UE.account_id, func.sum(UE.firsts))
                .where(UE.day >= month, UE.day < since,
                       *_where(session, UE.account_id, ids, exclude))
                .group_by(UE.account_id)).all())
        else:
            late = dict(session.execute(
                select(UE.account_id, func.sum(UE.firsts))
                .where(UE.day.between(since, mend),
                       *_where(session, UE.account_id, ids, exclude))
                .group_by(UE.account_id)).all())
            early = {acc: int(n) - int(late.get(acc) or 0) for acc, n in session.execute(
                select(UM.account_id, UM.users).where(
                    UM.month == month, *_where(session, UM.account_id, ids, exclude)))}
    mo = _month(session, ud.day)
    new = (select(ud.account_id, ud.user_id, mo.label("mo"))
           .where(ud.day.between(since, end),
                  *_where(session, ud.account_id, ids, exclude, probe=True))
           .distinct().subquery("fresh"))
    counted = select(new.c.account_id, new.c.mo, func.count().label("n"))
    if since > lo:   # in the cut's month, only the users not active before it
        unseen = _unseen(session, "fresh.account_id", "fresh.user_id", month, since)
        counted = counted.where(or_(new.c.mo != _month_key(session, month), unseen))
    added = counted.group_by(new.c.account_id, new.c.mo).subquery()
    rows = session.execute(select(added.c.account_id, added.c.mo, added.c.n))
    values: dict[tuple[str, date], int] = {(acc, month): int(n) for acc, n in early.items()}
    for acc, key, n in rows:
        values[acc, _day(key)] = values.get((acc, _day(key)), 0) + int(n)
    seats = {}
    if kind == "seats" and values:
        accs = sorted({acc for acc, _ in values})
        seats = dict(session.execute(select(a.id, a.seats)
                                     .where(among(session, a.id, accs))).all())
    out: dict[tuple[int, int], int] = {}
    for (acc, first), n in values.items():
        key = (first.year, first.month)
        out[key] = out.get(key, 0) + (_capped_seats(n, seats.get(acc)) if kind == "seats"
                                      else n)
    return out


def _unseen(session: Session, account, user, lo: date, hi: date):
    """Whether the user was not active in [lo, hi) (one probe of the account-user-day index;
    SQLite, without statistics, would range over the account's days on the primary key
    instead, 3-5x slower: the index is named)."""
    if session.get_bind().dialect.name != "sqlite":
        prior = aliased(m.UsageUserDay)
        return ~exists().where(and_(prior.account_id == literal_column(account),
                                   prior.user_id == literal_column(user),
                                   prior.day >= lo, prior.day < hi))
    return text("NOT EXISTS (SELECT 1 FROM usage_user_days AS seen INDEXED BY "
                "ix_usage_user_days_account_user_day WHERE seen.account_id = "
                f"{account} AND seen.user_id = {user} AND seen.day >= :seen_lo "
                "AND seen.day < :seen_hi)").bindparams(seen_lo=lo.isoformat(),
                                                       seen_hi=hi.isoformat())


def _month_key(session: Session, month: date):
    """A month's key as _month computes it (ISO text on SQLite)."""
    return month.isoformat() if session.get_bind().dialect.name == "sqlite" else month


def month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])
