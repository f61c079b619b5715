"""Priority accounts: a book ordered by risk, from the account-metrics rows.

At-risk accounts first, then watch, then the rest; within the at-risk and watch groups the
larger ARR at risk first; then the nearest renewal. Churned accounts (ARR 0 after having
ARR, or in the churned phase) are left out: there is nothing left to save.
"""

from __future__ import annotations

from sqlalchemy import and_, case, func, not_, or_, select
from sqlalchemy.orm import Session

from server import models as m
from server.rows.models import AccountMetrics as am

LIMIT = 100
_AT_RISK = ("at_risk", "watch")


def _not_churned():
    return not_(or_(am.phase == "churned", and_(am.had_arr, am.arr == 0)))


def priority(session: Session, owner: str | None, limit: int = LIMIT) -> dict:
    """The first `limit` accounts of `owner`'s book (None: the team) in priority order, with
    how many at-risk and watch accounts there are and their ARR."""
    rank = case((am.band == "at_risk", 0), (am.band == "watch", 1), else_=2)
    arr_at_risk = case((am.band.in_(_AT_RISK), am.arr), else_=0)
    scope = [_not_churned()]
    if owner:
        scope.append(am.owner_key == owner.strip().lower())
    stmt = (select(am.account_id, m.Account.name, m.Account.owner, am.arr, am.band,
                   am.health_score, am.health_change_30d, am.renewal_date, am.days_to_renewal,
                   am.signals, am.relationship_score, am.sentiment, am.sentiment_change_90d)
            .join(m.Account, m.Account.id == am.account_id).where(*scope)
            .order_by(rank, arr_at_risk.desc(), am.renewal_key, am.account_id).limit(limit))
    items = []
    for r in session.execute(stmt):
        top = r.signals[0] if r.signals else None
        items.append({"id": r.account_id, "name": r.name, "owner": r.owner, "arr": r.arr,
                      "band": r.band, "health_score": r.health_score,
                      "health_change_30d": r.health_change_30d,
                      "renewal_date": r.renewal_date, "days_to_renewal": r.days_to_renewal,
                      "top_signal": top, "signals": len(r.signals or []),
                      "relationship_score": r.relationship_score, "sentiment": r.sentiment,
                      "sentiment_change_90d": r.sentiment_change_90d})
    counts = session.execute(
        select(am.band, func.count(), func.coalesce(func.sum(am.arr), 0))
        .where(*scope, am.band.in_(_AT_RISK)).group_by(am.band)).all()
    return {"items": items,
            "at_risk": {band: {"accounts": n, "arr": arr} for band, n, arr in counts}}
