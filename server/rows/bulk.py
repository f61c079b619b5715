"""Bulk evaluation: each account's records loaded once, its figures evaluated for many days.

The usage window figures of every day come from sliding windows over the per-day rows,
equal to what `server.services.facts.usage_stats` computes one day at a time.
"""

from __future__ import annotations

import operator
from bisect import bisect_left, bisect_right
from collections import Counter, defaultdict
from collections.abc import Container, Iterator
from datetime import date, timedelta
from decimal import Decimal
from itertools import accumulate

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server import models as m
from server.metrics import types as t
from server.metrics.common import ZERO, end_of_day
from server.metrics.north_star import PERIOD_DAYS
from server.metrics.relationship import NPS_DAYS, SURVEY_DAYS
from server.metrics.revenue import arr_changes
from server.rows.day_records import DayRecords
from server.services.facts import MESSAGE_DAYS


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


class UsageSeries:
    """Per-day usage rows of a set of accounts over [first - 60, last]."""

    def __init__(self, session: Session, ids: list[str], first: date, last: date,
                 first_value_event: str | None, north_star=None) -> None:
        lo = first - timedelta(days=59)
        ud, ed, us = m.UsageUserDay, m.UsageEventDay, m.UsageSession
        self.users: dict[str, dict[date, list[str]]] = defaultdict(lambda: defaultdict(list))
        for acc, day, user in session.execute(
                select(ud.account_id, ud.day, ud.user_id)
                .where(ud.account_id.in_(ids), ud.day.between(lo, last))):
            self.users[acc][day].append(user)
        self.names: dict[str, dict[date, list[str]]] = defaultdict(lambda: defaultdict(list))
        for acc, day, name in session.execute(
                select(ed.account_id, ed.day, ed.name)
                .where(ed.account_id.in_(ids), ed.day.between(first - timedelta(days=30), last))):
            self.names[acc][day].append(name)
        self.sessions: dict[str, dict[date, list[int]]] = defaultdict(dict)
        for acc, day, n, secs in session.execute(
                select(us.account_id, us.day, func.count(), func.sum(us.end_ts - us.start_ts))
                .where(us.account_id.in_(ids), us.day.between(first - timedelta(days=30), last))
                .group_by(us.account_id, us.day)):
            self.sessions[acc][day] = [n, int(secs or 0)]
        self.before = dict(session.execute(
            select(ud.account_id, func.max(ud.day))
            .where(ud.account_id.in_(ids), ud.day < lo).group_by(ud.account_id)).all())
        self.first_value: dict[str, date] = {}
        if first_value_event:
            self.first_value = dict(session.execute(
                select(ed.account_id, func.min(ed.day))
                .where(ed.account_id.in_(ids), ed.name == first_value_event)
                .group_by(ed.account_id)).all())
        self.first, self.last = first, last
        self.star = north_star if north_star is not None and north_star.name else None
        self.star_events: dict[str, dict[date, int]] = defaultdict(dict)
        if self.star is not None and self.star.kind == "events":
            for acc, day, n in session.execute(
                    select(ed.account_id, ed.day, func.sum(ed.events))
                    .where(ed.account_id.in_(ids), ed.name.in_(list(self.star.events)),
                           ed.day.between(lo, last)).group_by(ed.account_id, ed.day)):
                self.star_events[acc][day] = int(n or 0)

    def star_counts(self, acc: str) -> dict[date, tuple[int, int]]:
        """The North Star's (current, prior) period counts of every day of [first, last]
        (server.services.facts.north_star_counts, one day at a time)."""
        if self.star is None:
            return {}
        p = PERIOD_DAYS[self.star.period]
        if self.star.kind == "events":
            per = self.star_events.get(acc, {})
            sums = {}
            for d in _days(self.first, self.last):
                cur = sum(per.get(d - timedelta(days=i), 0) for i in range(p))
                prior = sum(per.get(d - timedelta(days=i), 0) for i in range(p, 2 * p))
                sums[d] = (cur, prior)
            return sums
        users = self.users.get(acc, {})
        cur_w, prior_w = Counter(), Counter()
        for i in range(1, 2 * p):      # the windows as of the day before first
            d = self.first - timedelta(days=i)
            (cur_w if i < p else prior_w).update(users.get(d, ()))
        out = {}
        for d in _days(self.first, self.last):
            cur_w.update(users.get(d, ()))
            moved = users.get(d - timedelta(days=p), ())
            _drop(cur_w, moved)
            prior_w.update(moved)
            _drop(prior_w, users.get(d - timedelta(days=2 * p), ()))
            out[d] = (len(cur_w), len(prior_w))
        return out

    def stats(self, acc: str, wanted: Container[date] | None = None,
              daily: Container[date] | None = None
              ) -> Iterator[tuple[date, t.UsageStats | None]]:
        """(day, UsageStats or None) for every day of [first, last] (or only the `wanted`
        ones: the windows still slide over every day), in order. `daily`: the days whose
        stats carry the 30 days of daily active users (default every day); only the usage
        block of a 360 shows them, no figure of a row reads them."""
        users, names, sess = self.users.get(acc, {}), self.names.get(acc, {}), \
            self.sessions.get(acc, {})
        first = self.first
        win, prior = Counter(), Counter()
        feats: Counter = Counter()
        dau = n_sess = secs = 0
        last_day = self.before.get(acc)
        for d in sorted(users):
            if d < first and (last_day is None or d > last_day):
                last_day = d
        # the windows as of the day before `first`: [first-30, first-1] and [first-60, first-31]
        for d in _days(first - timedelta(days=59), first - timedelta(days=1)):
            (win if d >= first - timedelta(days=30) else prior).update(users.get(d, ()))
        for d in _days(first - timedelta(days=30), first - timedelta(days=1)):
            dau += len(users.get(d, ()))
            feats.update(names.get(d, ()))
            n, s = sess.get(d, (0, 0))
            n_sess, secs = n_sess + n, secs + s
        fv = self.first_value.get(acc)
        for d in _days(first, self.last):
            today_users = users.get(d, ())
            win.update(today_users)
            if today_users:
                last_day = d
            out_30 = d - timedelta(days=30)
            moved = users.get(out_30, ())
            _drop(win, moved)
            prior.update(moved)
            _drop(prior, users.get(d - timedelta(days=60), ()))
            dau += len(today_users) - len(moved)
            feats.update(names.get(d, ()))
            _drop(feats, names.get(out_30, ()))
            n, s = sess.get(d, (0, 0))
            n0, s0 = sess.get(out_30, (0, 0))
            n_sess, secs = n_sess + n - n0, secs + s - s0
            if wanted is not None and d not in wanted:
                continue
            if last_day is None:
                yield d, None
                continue
            yield d, t.UsageStats(
                active_30d=len(win), active_prior_30d=len(prior), dau_sum_30d=dau,
                features_used_30d=frozenset(feats), sessions_30d=n_sess,
                session_seconds_30d=secs, last_event_day=last_day,
                first_value_day=fv if fv is not None and fv <= d else None,
                daily_active=tuple((x, len(users.get(x, ())))
                                   for x in _days(d - timedelta(days=29), d))
                if daily is None or d in daily else ())


class ArrDays:
    """An account's ARR of each day from its whole ARR timeline, computed once: the changes
    on or before a day are a prefix of it (arr_changes orders by close date first), so the
    day's ARR and whether it had ARR equal those of `revenue()` of that day."""

    def __init__(self, deals) -> None:
        self.changes = arr_changes(deals)
        self.dates = [c.date for c in self.changes]
        self.had = list(accumulate((c.after > 0 for c in self.changes), operator.or_))

    def on(self, day: date) -> tuple[Decimal, bool]:
        k = bisect_right(self.dates, day)
        return (self.changes[k - 1].after, self.had[k - 1]) if k else (ZERO, False)


def _drop(counter: Counter, items) -> None:
    for k in items:
        n = counter[k] - 1
        if n:
            counter[k] = n
        else:
            del counter[k]


class DayFacts:
    """One account's facts as of each day of a bulk run: its usage of the day, the messages
    the single-day load reads (MESSAGE_DAYS up to the day) and the day's North Star counts.

    With `trim`, also only the tickets and touchpoints a figure of the day reads
    (`DayRecords`): the figures are the same, the engine reads fewer records."""

    def __init__(self, base: t.AccountFacts, stars: dict[date, tuple[int, int]]) -> None:
        self.base, self.stars = base, stars
        self.times = [msg.at for msg in base.messages]
        self.span = (0, 0)    # the messages of the last day asked: base.messages[lo:hi]
        self.records: DayRecords | None = None

    def on(self, day: date, stats: t.UsageStats | None, trim: bool = False) -> t.AccountFacts:
        msgs = self.base.messages
        if msgs:
            lo = bisect_left(self.times, end_of_day(day - timedelta(days=MESSAGE_DAYS)))
            hi = bisect_left(self.times, end_of_day(day))
            msgs, self.span = msgs[lo:hi], (lo, hi)
        changed = {"usage": stats, "messages": msgs,
                   "north_star_counts": self.stars.get(day, self.base.north_star_counts)}
        if trim:
            if self.records is None:
                self.records = DayRecords(self.base)
            changed["tickets"], changed["touchpoints"] = self.records.on(day)
        return _replaced(self.base, changed)


def _replaced(facts: t.AccountFacts, changed: dict) -> t.AccountFacts:
    """dataclasses.replace for AccountFacts (a frozen dataclass without a __post_init__ or
    slots): its fields copied, then `changed`, without running __init__ again."""
    out = object.__new__(t.AccountFacts)
    out.__dict__.update(facts.__dict__)
    out.__dict__.update(changed)
    return out


class Parts:
    """The relationship's parts of one account's days, in day order
    (server.metrics.relationship.relationship_parts): a part is computed again only when
    its inputs changed since the day it was last computed. Its inputs are records in
    windows ending on the day, which only move forward, so the same index bounds in the
    records sorted by time mean the same records:

    - the stakeholders: the day's messages (DayFacts.span) and those of the stakeholder
      window; the contacts and the product activity are the account's for every day;
    - NPS and the surveys: the responses of the 365 days up to the day;
    - the relationship score, sentiment and reply times: only on a day without any message
      (then none of them depends on the day).
    """

    def __init__(self, base: t.AccountFacts, config, days: DayFacts) -> None:
        self.days, self.window = days, config.relationship.window_days
        self.nps = sorted(r.date for r in base.nps)
        self.surveys = sorted(s.date for s in base.surveys)
        self.keys: dict[str, tuple | None] = {}
        self.known: dict[str, tuple] = {}

    def on(self, day: date) -> Parts:
        """Ready for `day` (after DayFacts.on of that day)."""
        lo, hi = self.days.span
        times = self.days.times
        start = bisect_left(times, end_of_day(day - timedelta(days=self.window)), lo, hi) \
            if hi > lo else lo
        people = (lo, hi, start)
        quiet = people if hi == lo else None
        nps = (bisect_left(self.nps, day - timedelta(days=NPS_DAYS - 1)),
               bisect_right(self.nps, day))
        surveys = (bisect_left(self.surveys, day - timedelta(days=SURVEY_DAYS - 1)),
                   bisect_right(self.surveys, day))
        self.keys = {"people": people, "score": quiet, "nps": nps, "ces": surveys,
                     "onboarding": surveys, "sentiment": quiet, "replies": quiet}
        return self

    def __call__(self, name: str, compute):
        key = self.keys.get(name)
        if key is None:
            return compute()
        known = self.known.get(name)
        if known is not None and known[0] == key:
            return known[1]
        value = compute()
        self.known[name] = (key, value)
        return value
