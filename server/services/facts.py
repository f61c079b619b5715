"""Loads the rows behind the metrics: one account or all of them, as of a day.

Bulk by design: every query is grouped by account, so a portfolio of 10k accounts costs
the same dozen queries as a single 360. Usage comes from the per-day aggregates only.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import ColumnElement, distinct, func, select
from sqlalchemy.orm import Session

from server import models as m
from server.metrics import types as t


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def _scope(column, ids: Sequence[str] | None) -> list[ColumnElement]:
    return [] if ids is None else [column.in_(list(ids))]


def usage_stats(session: Session, ids: Sequence[str] | None, as_of: date,
                first_value_event: str | None) -> dict[str, t.UsageStats]:
    """Exact usage window figures per account, from the per-day rows."""
    ud = m.UsageUserDay
    lo30, lo60 = as_of - timedelta(days=29), as_of - timedelta(days=59)
    prior_hi = as_of - timedelta(days=30)

    def grouped(query):
        return dict(session.execute(query).all())

    last_day = grouped(select(ud.account_id, func.max(ud.day))
                       .where(ud.day <= as_of, *_scope(ud.account_id, ids))
                       .group_by(ud.account_id))
    if not last_day:
        return {}
    active = grouped(select(ud.account_id, func.count(distinct(ud.user_id)))
                     .where(ud.day.between(lo30, as_of), *_scope(ud.account_id, ids))
                     .group_by(ud.account_id))
    prior = grouped(select(ud.account_id, func.count(distinct(ud.user_id)))
                    .where(ud.day.between(lo60, prior_hi), *_scope(ud.account_id, ids))
                    .group_by(ud.account_id))
    daily: dict[str, dict[date, int]] = defaultdict(dict)
    for acc, d, n in session.execute(
            select(ud.account_id, ud.day, func.count())
            .where(ud.day.between(lo30, as_of), *_scope(ud.account_id, ids))
            .group_by(ud.account_id, ud.day)):
        daily[acc][d] = n
    ed = m.UsageEventDay
    features: dict[str, set[str]] = defaultdict(set)
    for acc, name in session.execute(
            select(ed.account_id, ed.name).distinct()
            .where(ed.day.between(lo30, as_of), *_scope(ed.account_id, ids))):
        features[acc].add(name)
    first_value: dict[str, date] = {}
    if first_value_event:
        first_value = grouped(select(ed.account_id, func.min(ed.day))
                              .where(ed.name == first_value_event, ed.day <= as_of,
                                     *_scope(ed.account_id, ids))
                              .group_by(ed.account_id))
    us = m.UsageSession
    sessions = {acc: (n, secs or 0) for acc, n, secs in session.execute(
        select(us.account_id, func.count(), func.sum(us.end_ts - us.start_ts))
        .where(us.day.between(lo30, as_of), *_scope(us.account_id, ids))
        .group_by(us.account_id))}
    days = [lo30 + timedelta(days=i) for i in range(30)]
    out = {}
    for acc, last in last_day.items():
        per_day = daily.get(acc, {})
        n_sessions, secs = sessions.get(acc, (0, 0))
        out[acc] = t.UsageStats(
            active_30d=active.get(acc, 0), active_prior_30d=prior.get(acc, 0),
            dau_sum_30d=sum(per_day.values()), features_used_30d=frozenset(features.get(acc, ())),
            sessions_30d=n_sessions, session_seconds_30d=int(secs),
            last_event_day=last, first_value_day=first_value.get(acc),
            daily_active=tuple((d, per_day.get(d, 0)) for d in days))
    return out


def load_facts(session: Session, ids: Sequence[str] | None, as_of: date,
               first_value_event: str | None) -> tuple[dict[str, m.Account], dict[str, t.AccountFacts]]:
    """Account rows and metric inputs for the given accounts (None = all)."""
    accounts = {a.id: a for a in session.scalars(
        select(m.Account).where(*_scope(m.Account.id, ids)))}
    if not accounts:
        return {}, {}
    scope_ids = None if ids is None else list(accounts)
    bucket: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))

    def rows(model):
        return session.scalars(select(model).where(*_scope(model.account_id, scope_ids)))

    for d in rows(m.Deal):
        bucket[d.account_id]["deals"].append(t.Deal(
            id=d.id, kind=d.kind, status=d.status, amount=d.amount, close_date=d.close_date,
            expansion_type=d.expansion_type, name=d.name, stage=d.stage))
    for k in rows(m.Ticket):
        bucket[k.account_id]["tickets"].append(t.Ticket(
            id=k.id, status=k.status, priority=k.priority, created_at=_utc(k.created_at),
            first_response_at=_utc(k.first_response_at), solved_at=_utc(k.solved_at),
            subject=k.subject))
    for p in rows(m.Touchpoint):
        bucket[p.account_id]["touchpoints"].append(t.Touchpoint(kind=p.kind, date=p.date))
    for n in rows(m.NpsResponse):
        bucket[n.account_id]["nps"].append(t.NpsResponse(
            score=n.score, date=n.date, contact_email=n.contact_email, id=n.id))
    for s in rows(m.Survey):
        bucket[s.account_id]["surveys"].append(t.Survey(
            kind=s.kind, score=s.score, scale=s.scale, date=s.date))
    for a in rows(m.Advocacy):
        bucket[a.account_id]["advocacy"].append(t.Advocacy(kind=a.kind, date=a.date))
    for c in session.scalars(select(m.Contact).where(
            m.Contact.champion.is_(True), *_scope(m.Contact.account_id, scope_ids))):
        bucket[c.account_id]["contacts"].append(t.Contact(
            email=c.email, champion=True, active=c.active, inactive_since=c.inactive_since))
    usage = usage_stats(session, scope_ids, as_of, first_value_event)
    facts = {}
    for acc_id, acc in accounts.items():
        b = bucket.get(acc_id, {})
        facts[acc_id] = t.AccountFacts(
            seats=acc.seats, renewal_date=acc.renewal_date, onboarding_start=acc.onboarding_start,
            deals=tuple(b.get("deals", ())), tickets=tuple(b.get("tickets", ())),
            touchpoints=tuple(b.get("touchpoints", ())), nps=tuple(b.get("nps", ())),
            surveys=tuple(b.get("surveys", ())), advocacy=tuple(b.get("advocacy", ())),
            contacts=tuple(b.get("contacts", ())), usage=usage.get(acc_id))
    return accounts, facts
