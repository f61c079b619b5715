"""The active users and seats used per calendar month, summed over accounts, from the month
rollups (server/usage_month_models.py) instead of every user-day of the period.

An account's rollup is brought up to date from its own user-days when its usage stamp
(`accounts.usage_changed_at`, moved in its transaction by every write that adds usage, and
by nothing else) differs from the stamp it was built at, or its seats from the seats it was
built with: a CRM sync that re-delivers unchanged records leaves the rollups valid. The
stamp is copied before the user-days are read, so a write landing in between leaves the
rollup marked stale, never wrong. User-days are only ever added, so a month whose count of
user-days did not change keeps its figures; a changed account is rebuilt from its first
changed month on, CHUNK accounts per transaction (by the reading request for a few
accounts, else by the `north_star.rollups` job: server/services/north_star.py).

A month inside the period counts its stored users; a month cut by the period's start (or
end) counts the users whose last (first) active day of the month is on or after the start
(on or before the end), from the per-day edge counts: the shorter side of the cut is read
(all users minus those on the other side). A period inside one month that touches neither
end of it is counted from the user-days.
"""

from __future__ import annotations

import calendar
import json
from collections.abc import Sequence
from datetime import date, timedelta

from sqlalchemy import (
    ARRAY,
    Date,
    String,
    any_,
    bindparam,
    case,
    cast,
    delete,
    func,
    insert,
    literal,
    literal_column,
    select,
    true,
    union_all,
    update,
)
from sqlalchemy.orm import Session

from server import models as m
from server.usage_month_models import UsageMonth, UsageMonthEdge, UsageMonthStamp

CHUNK = 2000
UM, UE, US = UsageMonth, UsageMonthEdge, UsageMonthStamp


def stale(session: Session, ids: Sequence[str] | None) -> list[str]:
    """Accounts (of ids; None: all) whose rollup is missing, older than their usage stamp or
    built with other seats."""
    a = m.Account
    q = (select(a.id).outerjoin(US, US.account_id == a.id)
         .where(US.account_id.is_(None) | US.updated_at.is_distinct_from(a.usage_changed_at)
                | US.seats.is_distinct_from(a.seats)))
    return sorted(session.scalars(_scoped(q, a.id, ids, session)))


def dated(session: Session, ids: Sequence[str]) -> dict[str, date]:
    """Of these (stale) accounts, those whose rollup is built with their seats and whose
    earliest usage day added since is known: {account: that day}; their stored months
    before that day's month are current."""
    a = m.Account
    q = (select(a.id, a.usage_changed_from).join(US, US.account_id == a.id)
         .where(a.usage_changed_from.is_not(None), US.seats.is_not_distinct_from(a.seats)))
    return {i: _day(d) for i, d in session.execute(_scoped(q, a.id, ids, session))}


def _month(session: Session, day):
    """The first day of a day's calendar month, in SQL (dates are ISO text on SQLite)."""
    if session.get_bind().dialect.name == "sqlite":
        return func.substr(day, 1, 8).concat("01")
    return cast(func.date_trunc("month", day), Date)


def rebuild(session: Session, ids: Sequence[str]) -> int:
    """Bring these accounts' rollups up to their stamps (no commit); returns how many had
    months rebuilt. User-days are only ever added, so a month whose count of user-days is
    the one it was built from has the same users: each changed account is rebuilt from its
    first changed month on (an import of yesterday's events rebuilds this month only), and
    only the stamp and the seats used are renewed for the others. An account whose
    `usage_changed_from` is known (and has a built rollup) is compared from that day's
    month on only: the months before it cannot have changed."""
    ids = list(ids)
    a = m.Account
    known = dict(session.execute(select(a.id, a.usage_changed_from)
                                 .join(US, US.account_id == a.id)
                                 .where(a.id.in_(ids), a.usage_changed_from.is_not(None))).all())
    session.execute(delete(US).where(US.account_id.in_(ids)))
    session.execute(insert(US).from_select(  # stamped before the user-days are read
        ["account_id", "updated_at", "seats"],
        select(a.id, a.usage_changed_at, a.seats).where(a.id.in_(ids))))
    session.execute(update(a).where(a.id.in_(ids), a.usage_changed_from.is_not(None))
                    .values(usage_changed_from=None).execution_options(synchronize_session=False))
    dated = [i for i in ids if i in known]
    floor = min(known.values()).replace(day=1) if known else None
    done = _rebuild_months(session, [i for i in ids if i not in known], None)
    done += _rebuild_months(session, dated, floor) if dated else 0
    # the seats may have changed: only the months whose capped value moves are rewritten (on
    # PostgreSQL every rewritten row is a dead tuple in the covering month index)
    seats = select(US.seats).where(US.account_id == UM.account_id).scalar_subquery()
    session.execute(update(UM).where(UM.account_id.in_(ids),
                                     UM.seats_used != _capped(UM.users, seats))
                    .values(seats_used=_capped(UM.users, seats))
                    .execution_options(synchronize_session=False))  # no RETURNING of them
    return done


def _rebuild_months(session: Session, ids: list[str], floor: date | None) -> int:
    """The months (from floor on; None: all) whose count of user-days changed, rebuilt."""
    if not ids:
        return 0
    ud = m.UsageUserDay
    day_ok = ud.day >= floor if floor else true()
    month_ok = UM.month >= floor if floor else true()
    # an account's total of user-days first (a key-order count): equal, nothing was added
    total = dict(session.execute(select(ud.account_id, func.count())
                                 .where(ud.account_id.in_(ids), day_ok)
                                 .group_by(ud.account_id)).all())
    counted = dict(session.execute(select(UM.account_id, func.sum(UM.user_days))
                                   .where(UM.account_id.in_(ids), month_ok)
                                   .group_by(UM.account_id)).all())
    grown = [i for i in ids if total.get(i, 0) != (counted.get(i) or 0)]
    mo = _month(session, ud.day)
    now = {(acc, _day(d)): k for acc, d, k in session.execute(
        select(ud.account_id, mo, func.count()).where(ud.account_id.in_(grown), day_ok)
        .group_by(ud.account_id, mo))} if grown else {}
    built = {(acc, d): k for acc, d, k in session.execute(
        select(UM.account_id, UM.month, UM.user_days)
        .where(UM.account_id.in_(grown), month_ok))} if grown else {}
    changed = {key for key in now.keys() | built.keys() if now.get(key) != built.get(key)}
    todo = sorted({acc for acc, _ in changed})
    if todo:
        since = min(d for _, d in changed)
        for model, col in ((UM, UM.month), (UE, UE.day)):
            session.execute(delete(model).where(model.account_id.in_(todo), col >= since))
        per = (select(ud.account_id, mo.label("mo"), func.min(ud.day).label("f"),
                      func.max(ud.day).label("l"))
               .where(ud.account_id.in_(todo), ud.day >= since)
               .group_by(ud.account_id, ud.user_id, mo).subquery())
        ends = union_all(select(per.c.account_id, per.c.f.label("d"), literal(1).label("x"),
                                literal(0).label("y")),
                         select(per.c.account_id, per.c.l, literal(0), literal(1))).subquery()
        session.execute(insert(UE).from_select(
            ["account_id", "day", "firsts", "lasts"],
            select(ends.c.account_id, ends.c.d, func.sum(ends.c.x), func.sum(ends.c.y))
            .group_by(ends.c.account_id, ends.c.d)))
        emo = _month(session, UE.day)
        users = session.execute(select(UE.account_id, emo, func.sum(UE.firsts))
                                .where(UE.account_id.in_(todo), UE.day >= since)
                                .group_by(UE.account_id, emo)).all()
        cap = dict(session.execute(select(US.account_id, US.seats)
                                   .where(US.account_id.in_(todo))).all())
        rows = [{"account_id": acc, "month": _day(d), "users": int(n),
                 "seats_used": _capped_seats(int(n), cap.get(acc)),
                 "user_days": now.get((acc, _day(d)), 0)} for acc, d, n in users]
        for i in range(0, len(rows), 5000):
            session.execute(insert(UM.__table__), rows[i:i + 5000])
    return len(todo)


def _capped_seats(n: int, seats: int | None) -> int:
    """n, at most the stamped seats (the same rule as _capped, in Python)."""
    return seats if seats is not None and seats < n else n


def _day(value) -> date:
    """A month key as read back (a date, or ISO text from SQLite's expression)."""
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _scoped(q, col, ids, session: Session):
    """q for the accounts of ids (None: all): on PostgreSQL one array parameter, which a
    book of thousands of accounts binds and plans much faster than as many IN parameters."""
    if ids is None:
        return q
    if session.get_bind().dialect.name == "postgresql":
        ids = bindparam("scope_ids", list(ids), type_=ARRAY(String), unique=True)
        return q.where(col == any_(ids))
    return q.where(col.in_(list(ids)))


def _without(q, col, exclude: Sequence[str], session: Session):
    """q without the accounts of exclude (one bound parameter, a hashed NOT IN: `!= ALL` of
    an array compared every row with each of thousands of stale accounts)."""
    if not exclude:
        return q
    return q.where(col.not_in(id_set(session, exclude)))


def id_set(session: Session, ids: Sequence[str]):
    """The ids as a subquery of one bound parameter (PostgreSQL: an array; SQLite: a JSON
    list), for IN / NOT IN: no statement with thousands of parameters to expand and plan."""
    if session.get_bind().dialect.name == "postgresql":
        arr = bindparam("id_set", list(ids), type_=ARRAY(String), unique=True)
        return select(func.unnest(arr))
    value = literal_column("value")
    return select(value).select_from(func.json_each(bindparam("id_set", json.dumps(list(ids)),
                                                              unique=True)))


def among(session: Session, col, ids: Sequence[str]):
    """col is one of ids. PostgreSQL: `= ANY(ARRAY(SELECT unnest(:ids)))`, index probes of
    the array, planned without looking into it (a literal array of 10,000 ids took 70 ms to
    plan and a parallel scan of every user-day); SQLite: a JSON list."""
    if session.get_bind().dialect.name == "postgresql":
        return col == any_(func.array(id_set(session, ids).scalar_subquery()))
    return col.in_(id_set(session, ids))


def _capped(n, seats):
    """n (a SQL expression), at most the stamped seats."""
    return case((seats.is_not(None) & (seats < n), seats), else_=n)


def _cut(session: Session, kind: str, month: date, lo: date, hi: date,
         ids: Sequence[str] | None, exclude: Sequence[str] = ()) -> int:
    """The month's value over [lo, hi], a range that starts or ends with the month."""
    end = month.replace(day=calendar.monthrange(month.year, month.month)[1])
    col = UE.firsts if lo == month else UE.lasts  # a prefix ends at a first day, a suffix...
    inside = (hi - lo).days + 1
    if inside <= (end - month).days + 1 - inside:  # read the cut's own days
        per = _without(_scoped(select(UE.account_id, func.sum(col).label("n"))
                               .where(UE.day.between(lo, hi)), UE.account_id, ids, session),
                       UE.account_id, exclude, session).group_by(UE.account_id).subquery()
        n = per.c.n
        src = select(func.sum(_capped(n, US.seats) if kind == "seats" else n)).select_from(
            per.join(US, US.account_id == per.c.account_id))
        return int(session.scalar(src) or 0)
    # all of the month's users but those on the other side of the cut
    other = (hi + timedelta(days=1), end) if lo == month else (month, lo - timedelta(days=1))
    out = _scoped(select(UE.account_id, func.sum(col).label("n"))
                  .where(UE.day.between(*other)), UE.account_id, ids, session) \
        .group_by(UE.account_id).subquery()
    n = UM.users - func.coalesce(out.c.n, 0)
    src = _without(_scoped(select(func.sum(_capped(n, US.seats) if kind == "seats" else n))
                           .select_from(UM).join(US, US.account_id == UM.account_id)
                           .outerjoin(out, out.c.account_id == UM.account_id)
                           .where(UM.month == month), UM.account_id, ids, session),
                   UM.account_id, exclude, session)
    return int(session.scalar(src) or 0)


def by_month(session: Session, kind: str, spans: list[tuple[date, date]],
             ids: Sequence[str] | None,
             exclude: Sequence[str] = ()) -> dict[tuple[int, int], int] | None:
    """{(year, month): value} for the calendar months' spans (each clipped to the period),
    from a current rollup, over the accounts of ids (None: all) but those of exclude; None
    when a span lies inside a month, touching neither end."""
    full, cuts = [], []
    for lo, hi in spans:
        first = lo.replace(day=1)
        end = first.replace(day=calendar.monthrange(first.year, first.month)[1])
        if lo == first and hi == end:
            full.append(first)
        elif lo == first or hi == end:
            cuts.append((first, lo, hi))
        else:
            return None
    col = UM.users if kind == "active_users" else UM.seats_used
    out: dict[tuple[int, int], int] = {}
    if full:
        q = _without(_scoped(select(UM.month, func.sum(col)).where(UM.month.in_(full)),
                             UM.account_id, ids, session), UM.account_id, exclude,
                     session).group_by(UM.month)
        out = {(mo.year, mo.month): int(n or 0) for mo, n in session.execute(q)}
    for first, lo, hi in cuts:
        out[(first.year, first.month)] = _cut(session, kind, first, lo, hi, ids, exclude)
    return out
