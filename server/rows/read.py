"""Reads of the account-metrics rows: the accounts list, the portfolio inputs, history series."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session

from server import metrics as mx
from server import models as m
from server.rows.models import AccountDay, AccountMetrics, ArrChangeRow, scoped
from server.rows.refresh import ensure_fresh, is_fresh, today

am = AccountMetrics
#: Band and phase sort in this order (riskiest band first; phases as the lifecycle runs).
BAND_ORDER = ("at_risk", "watch", "good", "unknown")
PHASE_ORDER = mx.PHASES


def _rank(col, order):
    return case({v: i for i, v in enumerate(order)}, value=col, else_=len(order))


#: Sort name -> ORDER BY terms (then the account id). Empty values sort last ascending;
#: categories break ties by name. `server.services.search.sort_key` orders the same way.
SORT_KEYS = {"name": (am.name_key,), "arr": (am.arr,), "health": (am.health_key,),
             "renewal": (am.renewal_key,),
             "owner": (am.owner_key.is_(None), am.owner_key, am.name_key),
             "segment": (am.segment.is_(None), func.lower(am.segment), am.name_key),
             "band": (_rank(am.band, BAND_ORDER), am.name_key),
             "phase": (_rank(am.phase, PHASE_ORDER), am.name_key),
             "days": (am.days_to_renewal.is_(None), am.days_to_renewal),
             "signals": (am.signal_count,),
             # the relationship figures: indexed keys, an unknown figure last ascending
             "relationship": (am.relationship_key,), "sentiment": (am.sentiment_key,),
             "sentiment_change": (am.sentiment_change_key,), "reply_hours": (am.reply_key,),
             "north_star": (am.north_star_key,)}


def rows_answer(st, as_of: date) -> bool:
    """True when the rows can answer as of this day (today): pending accounts refreshed first.

    Any other day is computed from the records.
    """
    if as_of != today():
        return False
    with st.store.sessions() as s:
        if is_fresh(s, st.settings, as_of):
            return True
    ensure_fresh(st.store, st.settings, as_of)
    return True



def escape_like(text: str) -> str:
    """`text` matched literally inside a LIKE pattern (escape character: backslash)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


RANGE_COLUMNS = {"arr": am.arr, "health_score": am.health_score,
                 "renewal_date": am.renewal_date, "days_to_renewal": am.days_to_renewal,
                 "signals": am.signal_count, "relationship_score": am.relationship_score,
                 "sentiment": am.sentiment, "sentiment_change_90d": am.sentiment_change_90d,
                 "email_reply_hours_median": am.reply_median_hours,
                 "north_star": am.north_star_value}


def list_rows(session: Session, q: str | None, owner: str | None, band: str | None,
              phase: str | None, segment: str | None, sort: str, limit: int,
              offset: int, ranges: dict[str, tuple] | None = None) -> tuple[list[dict], bool]:
    """One page of account summaries, filtered (ranges: {summary field: (low, high)}, both
    ends included, None open) and sorted on indexed columns."""
    a = m.Account
    page = select(am.account_id)   # filters and sort on the rows alone
    if q:
        like = f"%{escape_like(q.strip().lower())}%"
        page = page.where(or_(am.name_key.like(like, escape="\\"), am.account_id.in_(
            select(m.AccountDomain.account_id).where(
                m.AccountDomain.domain.like(like, escape="\\")))))
    page = scoped(page, owner, segment, phase, band)
    for field, (lo, hi) in (ranges or {}).items():
        col = RANGE_COLUMNS[field]
        page = page.where(col.isnot(None))
        if lo is not None:
            page = page.where(col >= lo)
        if hi is not None:
            page = page.where(col <= hi)
    desc = sort.startswith("-")
    order = [k.desc() if desc else k for k in (*SORT_KEYS[sort.lstrip("-")], am.account_id)]
    cols = (am.account_id, a.name, a.owner, a.domains, a.segment, am.arr, am.health_score,
            am.band, am.phase, am.renewal_date, am.days_to_renewal, am.signal_count,
            am.relationship_score, am.sentiment, am.sentiment_change_90d,
            am.reply_median_hours, am.north_star_value)
    if offset:   # a deep page: the skipped rows are not joined to their accounts
        ids = page.order_by(*order).offset(offset).limit(limit + 1).subquery()
        stmt = (select(*cols).select_from(ids).join(am, am.account_id == ids.c.account_id)
                .join(a, a.id == am.account_id).order_by(*order))
    else:        # the first page: one statement walking the sort index
        stmt = (page.with_only_columns(*cols).join(a, a.id == am.account_id)
                .order_by(*order).limit(limit + 1))
    found = session.execute(stmt).all()
    items = [{"id": r.account_id, "name": r.name, "owner": r.owner, "domains": r.domains or [],
              "segment": r.segment, "arr": r.arr, "health_score": r.health_score,
              "band": r.band, "phase": r.phase, "renewal_date": r.renewal_date,
              "days_to_renewal": r.days_to_renewal, "signals": r.signal_count,
              "relationship_score": r.relationship_score, "sentiment": r.sentiment,
              "sentiment_change_90d": r.sentiment_change_90d,
              "email_reply_hours_median": r.reply_median_hours,
              "north_star": r.north_star_value}
             for r in found[:limit]]
    return items, len(found) > limit


def portfolio_inputs(session: Session, owner: str | None, segment: str | None,
                     phase: str | None) -> dict:
    """Per-account inputs of the team figures, from the rows and the stored ARR timeline."""
    from server.services.portfolio import Inputs

    stmt = scoped(select(am.account_id, am.arr, am.band, am.signals,
                          am.onboarding_start, am.time_to_first_value_days,
                          am.onboarding_mean, am.onboarding_responses, am.ces_mean,
                          am.ces_responses, am.touchpoints_90d, am.advocacy_365d,
                          am.nps_promoters, am.nps_passives, am.nps_detractors,
                          am.first_response_hours, am.resolution_hours, m.Account.owner)
                   .join(m.Account, m.Account.id == am.account_id), owner, segment, phase)
    rows = session.execute(stmt).all()
    narrowed = owner or segment or phase
    ch = ArrChangeRow
    cq = select(ch.account_id, ch.date, ch.kind, ch.deal_id, ch.before, ch.after,
                ch.expansion_type, ch.status).order_by(ch.account_id, ch.seq)
    if narrowed:
        cq = cq.where(ch.account_id.in_([r.account_id for r in rows]))
    changes: dict[str, list] = defaultdict(list)
    for acc, day, kind, deal_id, before, after, etype, status in session.execute(cq):
        changes[acc].append(mx.ArrChange(date=day, kind=kind, deal_id=deal_id, before=before,
                                         after=after, expansion_type=etype, status=status))
    out = {}
    for r in rows:
        n = r.nps_promoters + r.nps_passives + r.nps_detractors
        out[r.account_id] = Inputs(
            owner=r.owner, arr=r.arr, changes=tuple(changes.get(r.account_id, ())),
            band=r.band, signals=tuple((s["code"], s["severity"]) for s in r.signals),
            ttfv=(r.time_to_first_value_days,) if r.onboarding_start is not None else (),
            onboarding=mx.SurveyScore(mean=r.onboarding_mean, scale=None,
                                      responses=r.onboarding_responses),
            ces=mx.SurveyScore(mean=r.ces_mean, scale=None, responses=r.ces_responses),
            touchpoints_90d=r.touchpoints_90d, advocacy_365d=r.advocacy_365d,
            nps=mx.Nps(score=None, promoters=r.nps_promoters, passives=r.nps_passives,
                       detractors=r.nps_detractors, responses=n),
            response_hours=tuple(r.first_response_hours),
            resolution_hours=tuple(r.resolution_hours))
    return out


HISTORY_METRICS = {
    "health": AccountDay.score, "band": AccountDay.band, "phase": AccountDay.phase,
    "arr": AccountDay.arr, "active_users_30d": AccountDay.active_users_30d,
    "usage_trend": AccountDay.usage_trend, "days_to_renewal": AccountDay.days_to_renewal,
    "signals": AccountDay.signals, "components": AccountDay.components,
    "settings_version": AccountDay.settings_version,
    "relationship": AccountDay.relationship, "sentiment": AccountDay.sentiment,
    "sentiment_change_90d": AccountDay.sentiment_change_90d,
    "reply_hours": AccountDay.reply_hours, "north_star": AccountDay.north_star,
}


def history(session: Session, account_id: str, metrics: list[str], start: date,
            end: date) -> list[dict]:
    """The daily series of one account: one point per stored day in [start, end]."""
    cols = [HISTORY_METRICS[k] for k in metrics]
    q = (select(AccountDay.day, *cols)
         .where(AccountDay.account_id == account_id, AccountDay.day.between(start, end))
         .order_by(AccountDay.day))
    return [{"date": row[0], **dict(zip(metrics, row[1:], strict=True))}
            for row in session.execute(q)]
