"""The lifecycle view's figures: accounts per phase (metrics.md section 7) with each phase's
headline metrics, read from the account-metrics rows with one grouped query (plus one for the
open pipeline), for the accounts of an owner and segment (None: all).

Headline metrics per phase: onboarding: mean time to first value (accounts that reached it),
pooled onboarding rating; adoption: active users (30 days, summed) and mean adoption breadth;
value realization: mean health, pooled NPS, expansion ARR of the trailing 12 months; renewal:
mean days to renewal and the open renewal and expansion pipeline; advocacy: advocacy events
(365 days); churned: the churned ARR of the trailing 12 months. Every phase: accounts and ARR.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from server import models as m
from server.metrics import Nps, team_nps
from server.rows.models import AccountMetrics, scoped
from server.services.search import PHASES

am = AccountMetrics
ZERO = Decimal("0")


def _money(value) -> Decimal:
    return Decimal(value or 0).quantize(Decimal("0.01"))


def phases(session: Session, owner: str | None = None, segment: str | None = None) -> list[dict]:
    """One entry per phase, in lifecycle order, each with `accounts`, `arr` and `headline`."""
    has_onb = am.onboarding_mean.isnot(None)
    q = scoped(select(
        am.phase, func.count(), func.sum(am.arr),
        func.sum(am.time_to_first_value_days), func.count(am.time_to_first_value_days),
        func.sum(case((has_onb, am.onboarding_mean * am.onboarding_responses))),
        func.sum(case((has_onb, am.onboarding_responses), else_=0)),
        func.sum(am.active_users_30d), func.avg(am.adoption_breadth),
        func.count(am.adoption_breadth), func.avg(am.health_score),
        func.sum(am.nps_promoters), func.sum(am.nps_passives), func.sum(am.nps_detractors),
        func.sum(am.expansion), func.avg(am.days_to_renewal), func.sum(am.advocacy_365d),
        func.sum(am.churn),
    ).group_by(am.phase), owner, segment, None)
    rows = {r[0]: r[1:] for r in session.execute(q)}
    pipe = scoped(select(am.phase, func.count(m.Deal.id), func.sum(m.Deal.amount))
                  .join(m.Deal, m.Deal.account_id == am.account_id)
                  .where(m.Deal.status == "open", m.Deal.kind.in_(("renewal", "expansion")))
                  .group_by(am.phase), owner, segment, None)
    pipeline = {p: (n, _money(total)) for p, n, total in session.execute(pipe)}
    out = []
    for phase in PHASES:
        r = rows.get(phase)
        if r is None:
            r = (0, 0, None, 0, None, 0, None, None, 0, None, 0, 0, 0, 0, None, 0, 0)
        (n, arr, ttfv_sum, ttfv_n, onb_sum, onb_n, users, breadth, breadth_n, health,
         pro, pas, det, expansion, days, advocacy, churn) = r
        nps = team_nps([Nps(score=None, promoters=pro or 0, passives=pas or 0,
                            detractors=det or 0, responses=0)])
        deals, amount = pipeline.get(phase, (0, _money(0)))
        headline = {
            "onboarding": {"time_to_first_value_days": ttfv_sum / ttfv_n if ttfv_n else None,
                           "reached_first_value": ttfv_n,
                           "onboarding_rating": onb_sum / onb_n if onb_n else None,
                           "onboarding_responses": onb_n},
            "adoption": {"active_users_30d": users or 0,
                         "adoption_breadth": float(breadth) if breadth_n else None},
            "value_realization": {"health": float(health) if health is not None else None,
                                  "nps": nps.score, "nps_responses": (pro or 0) + (pas or 0)
                                  + (det or 0), "expansion_12m": _money(expansion)},
            "renewal": {"days_to_renewal": float(days) if days is not None else None,
                        "pipeline": amount, "pipeline_deals": deals},
            "advocacy": {"advocacy_365d": advocacy or 0},
            "churned": {"churned_arr_12m": _money(churn)},
        }[phase]
        out.append({"phase": phase, "accounts": n, "arr": _money(arr), "headline": headline})
    return out
