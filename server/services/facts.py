"""Loads the rows behind the metrics: one account or all of them, as of a day.

Bulk by design: every query is grouped by account, so a portfolio of 10k accounts costs
the same dozen queries as a single 360. Usage comes from the per-day aggregates only
(server/services/usage_facts.py).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import fields
from datetime import date, timedelta
from typing import Any, NamedTuple

from sqlalchemy import Date, and_, bindparam, or_, select
from sqlalchemy.orm import Session, defer

from server import models as m
from server.db_batch import Batch
from server.metrics import types as t
from server.metrics.common import end_of_day
from server.metrics.config import NorthStarConfig
from server.services.usage_facts import (  # noqa: F401  (re-exported)
    AS_OF,
    _in,
    _params,
    _prebuilt,
    activity_batch,
    contact_activity,
    north_star_counts,
    usage_batch,
    usage_stats,
)

#: messages older than this many days before as_of are not read (sentiment and its prior
#: window, stakeholders' last touch, the last two-way exchange)
MESSAGE_DAYS = 365
#: with `recent`, a ticket created and solved more than this many days before as_of and
#: closed is not read: the widest ticket window of the engine (server.metrics.support:
#: response and resolution hours, CSAT, volume) is the 90 days up to as_of
TICKET_DAYS = 90
CLOSED = ("solved", "closed")   # exactly these spellings: any other status is read
#: with `recent`, the touchpoints of this many days up to as_of are read (the relationship's
#: window), and older ones only for an account without any in it: its latest day's
TOUCH_DAYS = 90


def _tickets(scoped: bool, recent: bool):
    """The tickets statement, in (account, id) order (the response and resolution hours
    keep it: the same list whichever rows the filter leaves). `recent`: without the tickets
    no figure as of `as_of` reads, those created and solved (or never solved) before the day
    `lo` and closed: such a ticket is not open at as_of (`is_open_at`: not solved after as_of,
    status not open or pending) and lies outside every window of the engine."""
    K = m.Ticket
    lo = bindparam("tickets_lo", type_=K.created_at.type)
    keep = [or_(K.created_at >= lo, K.solved_at >= lo,
                and_(*(K.status != s for s in CLOSED)))] if recent else []
    return select(K.account_id, K.id, K.status, K.priority, K.created_at, K.first_response_at,
                  K.solved_at, K.subject, K.satisfaction).where(
        *_in(K.account_id, scoped), *keep).order_by(K.account_id, K.id)


def _touches(scoped: bool, recent: bool):
    """The touchpoints statement; `recent`: those of the window (`touch_lo` to as_of)."""
    tp = m.Touchpoint
    window = [tp.date >= bindparam("touch_lo", type_=Date), tp.date <= AS_OF] if recent else []
    return select(tp.account_id, tp.kind, tp.date).where(*_in(tp.account_id, scoped), *window)


def _latest_touches(conn, ids: list[str], lo: date) -> dict[str, list[t.Touchpoint]]:
    """The touchpoints of the latest day before `lo` of each account of `ids`: what is left
    of an account's touchpoints outside the window when it has none inside (the relationship
    reads only a touch's day there, for the days since the last touchpoint)."""
    tp = m.Touchpoint
    stmt = _prebuilt("touchpoints_before", True, lambda sc: select(
        tp.account_id, tp.kind, tp.date).where(
        *_in(tp.account_id, sc), tp.date < bindparam("touch_lo", type_=Date)))
    latest: dict[str, list[t.Touchpoint]] = {}
    for acc, kind, day in conn.execute(stmt, {"ids": ids, "touch_lo": lo}).all():
        mine = latest.setdefault(acc, [])
        if mine and mine[0].date > day:
            continue
        if mine and mine[0].date < day:
            mine.clear()
        mine.append(t.Touchpoint(kind=kind, date=day))
    return latest


def _builder(cls):
    """A constructor of the frozen input dataclass `cls` from the values of all its fields,
    in their order: the instance `cls(*values)` makes (same fields, so the same equality,
    hash and immutability) without the frozen `__init__`, which sets each field through
    `object.__setattr__` (about 2 microseconds more per object; a refresh of 500 accounts
    builds some 12,000 of them)."""
    names = tuple(f.name for f in fields(cls))
    new = object.__new__

    def make(*values):
        assert len(values) == len(names)
        obj = new(cls)
        obj.__dict__.update(zip(names, values))
        return obj
    return make


_DEAL, _TICKET, _TOUCH, _NPS, _SURVEY, _ADVOCACY, _CONTACT, _MESSAGE = map(_builder, (
    t.Deal, t.Ticket, t.Touchpoint, t.NpsResponse, t.Survey, t.Advocacy, t.Contact, t.Message))


class AccountRow(NamedTuple):
    """The account columns the metrics and the 360 read (load_facts(plain=True))."""

    id: str
    name: str
    domains: list[str] | None
    owner: str | None
    segment: str | None
    seats: int | None
    renewal_date: date | None
    onboarding_start: date | None


def _account_rows(_scoped: bool):
    a = m.Account
    return select(a.id, a.name, a.domains, a.owner, a.segment, a.seats, a.renewal_date,
                  a.onboarding_start).where(a.id.in_(bindparam("ids", expanding=True)))


def load_facts(session: Session, ids: Sequence[str] | None, as_of: date,
               first_value_event: str | None, north_star: NorthStarConfig | None = None,
               message_days: int = MESSAGE_DAYS, activity: bool = True,
               messages: bool = True, batch: Batch | None = None, recent: bool = False,
               plain: bool = False) -> tuple[dict[str, Any], dict[str, t.AccountFacts]]:
    """Account rows and metric inputs for the given accounts (None = all); messages of the
    `message_days` days up to as_of (the bulk evaluation of many days reads more). Without
    `activity` the stakeholders carry no product activity (it is shown in the 360, no
    figure reads it: the account-metrics rows do without). Without `messages` no message
    is read: only sentiment, stakeholders and the relationship score use them (a health
    score whose sentiment and relationship weights are 0 does without). `batch`: statements
    of the caller's to run in the same round trip (run by the time this returns). With
    `recent` only the records a figure as of `as_of` reads are loaded (`_tickets`,
    `_touches`, `_latest_touches`; the usage without its sessions and daily active users,
    `usage_batch(detail=False)`): for the figures of that one day (the rows), not for the
    360's lists nor for earlier days. `plain` (with `ids`): the accounts as `AccountRow`s
    read in that round trip, not ORM objects read before it."""
    plain = plain and ids is not None
    if plain:   # the accounts' columns in the batch's round trip
        session.flush()
        batch = batch if batch is not None else Batch(session)
        head = batch.add(_prebuilt("account_rows", True, _account_rows), _params(ids))
        scope_ids = list(ids)
    else:
        accounts = {a.id: a for a in session.scalars(_prebuilt(
            "accounts", ids is not None, lambda sc: select(m.Account).options(
                defer(m.Account.attributes)).where(*_in(m.Account.id, sc))), _params(ids))}
        if not accounts:
            if batch is not None:
                batch.run()
            return {}, {}
        scope_ids = None if ids is None else list(accounts)
    # the account query above flushed the session; the record rows are read as plain tuples
    # on its connection (Core: no ORM result processing per row), all in one batch (one
    # round trip on PostgreSQL) with the statements the caller added to `batch`
    conn = session.connection()
    scoped = scope_ids is not None
    batch = batch if batch is not None else Batch(conn)
    lo, hi = end_of_day(as_of - timedelta(days=message_days)), end_of_day(as_of)
    params = _params(scope_ids, lo=lo, hi=hi)
    if recent:
        params["tickets_lo"] = end_of_day(as_of - timedelta(days=TICKET_DAYS))
        params["touch_lo"] = as_of - timedelta(days=TOUCH_DAYS - 1)
        params["as_of"] = as_of

    def rows(model, *cols):
        # plain column tuples: no ORM identity map, no JSON attributes to decode
        return batch.add(_prebuilt(model.__tablename__, scoped, lambda sc: select(
            model.account_id, *cols).where(*_in(model.account_id, sc))), params)

    D, N, S, C, M = m.Deal, m.NpsResponse, m.Survey, m.Contact, m.Message
    deals = rows(D, D.id, D.kind, D.status, D.amount, D.close_date, D.expansion_type, D.name,
                 D.stage)
    tickets = batch.add(_prebuilt("tickets_recent" if recent else "tickets", scoped,
                                  lambda sc: _tickets(sc, recent)), params)
    touches = batch.add(_prebuilt("touchpoints_recent" if recent else "touchpoints", scoped,
                                  lambda sc: _touches(sc, recent)), params)
    nps = rows(N, N.score, N.date, N.contact_email, N.id)
    surveys = rows(S, S.kind, S.score, S.scale, S.date)
    advocacy = rows(m.Advocacy, m.Advocacy.kind, m.Advocacy.date)
    contacts = rows(C, C.email, C.champion, C.active, C.inactive_since, C.name, C.title, C.role,
                    C.user_id)
    said = batch.add(_prebuilt("messages", scoped, lambda sc: select(
        M.account_id, M.id, M.at, M.channel, M.direction, M.sentiment, M.contact_email,
        M.author, M.thread_id, M.text)
        .where(M.at >= bindparam("lo", type_=M.at.type),
               M.at < bindparam("hi", type_=M.at.type), *_in(M.account_id, sc))
        .order_by(M.account_id, M.at, M.id)), params) if messages else None
    usage_of = usage_batch(batch, scope_ids, as_of, first_value_event, detail=not recent)
    activity_of = activity_batch(batch, scope_ids, as_of) if activity else None
    batch.run()
    if plain:
        accounts = {row[0]: AccountRow(*row) for row in head.rows}
    bucket: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    # each statement selects its dataclass's fields in their order (after the account)
    for acc, *v in deals.rows:
        bucket[acc]["deals"].append(_DEAL(*v))
    for acc, *v in tickets.rows:
        bucket[acc]["tickets"].append(_TICKET(*v))
    for acc, kind, day in touches.rows:
        bucket[acc]["touchpoints"].append(_TOUCH(kind, day))
    if recent:
        untouched = [a for a in accounts if not bucket.get(a, {}).get("touchpoints")]
        for acc, latest in (_latest_touches(conn, untouched, params["touch_lo"]).items()
                            if untouched else ()):
            bucket[acc]["touchpoints"] = latest
    for acc, *v in nps.rows:
        bucket[acc]["nps"].append(_NPS(*v))
    for acc, *v in surveys.rows:
        bucket[acc]["surveys"].append(_SURVEY(*v))
    for acc, kind, day in advocacy.rows:
        bucket[acc]["advocacy"].append(_ADVOCACY(kind, day))
    for acc, email, champion, *v in contacts.rows:
        bucket[acc]["contacts"].append(_CONTACT(email, bool(champion), *v))
    for acc, *v in said.rows if said is not None else ():
        bucket[acc]["messages"].append(_MESSAGE(*v))
    usage = usage_of()
    product = activity_of() if activity_of is not None else {}
    stars = north_star_counts(conn, scope_ids, as_of, north_star)
    facts = {}
    for acc_id, acc in accounts.items():
        b = bucket.get(acc_id, {})
        facts[acc_id] = t.AccountFacts(
            seats=acc.seats, renewal_date=acc.renewal_date, onboarding_start=acc.onboarding_start,
            deals=tuple(b.get("deals", ())), tickets=tuple(b.get("tickets", ())),
            touchpoints=tuple(b.get("touchpoints", ())), nps=tuple(b.get("nps", ())),
            surveys=tuple(b.get("surveys", ())), advocacy=tuple(b.get("advocacy", ())),
            contacts=tuple(b.get("contacts", ())), usage=usage.get(acc_id),
            messages=tuple(b.get("messages", ())), user_activity=product.get(acc_id),
            north_star_counts=stars.get(acc_id))
    return accounts, facts
