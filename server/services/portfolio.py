"""Team and CSM figures (metrics.md section 8), each labelled leading or lagging."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from sqlalchemy.orm import Session

from server import metrics as mx
from server.services.account360 import evaluate_many
from server.services.facts import load_facts

LAGGING, LEADING = "lagging", "leading"


def _fig(value, kind: str, **inputs) -> dict:
    out = {"value": value, "type": kind}
    if inputs:
        out["inputs"] = inputs
    return out


def _weighted_survey(scores) -> dict:
    """Pooled mean over the accounts' responses (each account's mean weighted by its count)."""
    total = sum(s.responses for s in scores if s.mean is not None)
    if not total:
        return {"mean": None, "responses": 0}
    mean = sum(s.mean * s.responses for s in scores if s.mean is not None) / total
    return {"mean": mean, "responses": total}


def figures(ids: list[str], accounts, evals, facts, start: date, end: date, as_of: date) -> dict:
    """Every section 8 figure for one group of accounts."""
    movements = [mx.movements(facts[i].deals, start, end) for i in ids]
    ret = mx.retention(movements)
    evs = [evals[i] for i in ids]
    tickets = [t for i in ids for t in facts[i].tickets]
    sup = mx.support(tickets, as_of)
    warnings: dict[str, int] = defaultdict(int)
    by_sev: dict[str, int] = defaultdict(int)
    for ev in evs:
        for s in ev.signals:
            warnings[s.code] += 1
            by_sev[s.severity] += 1
    ttfv = mx.team_time_to_first_value(
        [ev.usage.time_to_first_value_days for ev in evs
         if ev.usage.onboarding_start is not None and ev.usage.key_features is not None])
    return {
        "accounts": len(ids),
        "loaded_arr": _fig(mx.loaded_arr(ev.revenue.arr for ev in evs), LAGGING),
        "nrr": _fig(ret.nrr, LAGGING, start_arr=ret.start_arr, end_arr=ret.end_arr,
                    expansion=ret.expansion, contraction=ret.contraction, churn=ret.churn,
                    cohort_size=ret.cohort_size),
        "grr": _fig(ret.grr, LAGGING, start_arr=ret.start_arr, contraction=ret.contraction,
                    churn=ret.churn),
        "logo_churn_rate": _fig(ret.logo_churn_rate, LAGGING, churned_logos=ret.churned_logos,
                                cohort_size=ret.cohort_size),
        "revenue_churn_rate": _fig(ret.revenue_churn_rate, LAGGING, churn=ret.churn,
                                   start_arr=ret.start_arr),
        "arr_growth_existing": _fig(ret.growth["total"], LAGGING, **ret.growth),
        "expansion_by_quarter": _fig(
            mx.expansion_by_quarter({i: facts[i].deals for i in ids}, start, end), LAGGING),
        "time_to_first_value": _fig(ttfv["mean_days"], LEADING, reached=ttfv["reached"],
                                    not_reached=ttfv["not_reached"]),
        "onboarding_rating": _fig(**_survey_fig(evs, "onboarding_rating")),
        "ces": _fig(**_survey_fig(evs, "ces")),
        "engagement_activity": _fig(sum(ev.relationship.touchpoints_90d for ev in evs), LEADING,
                                    window_days=90),
        "advocacy_activity": _fig(sum(ev.relationship.advocacy.count_365d for ev in evs),
                                  LEADING, window_days=365),
        "nps": _fig(mx.team_nps(ev.relationship.nps for ev in evs).score, LEADING,
                    **{k: v for k, v in mx.team_nps(ev.relationship.nps for ev in evs)
                       .to_dict().items() if k != "score"}),
        "first_response_hours_median": _fig(sup.first_response_hours_median, LEADING,
                                            tickets=sup.first_response_count, window_days=90),
        "resolution_hours_median": _fig(sup.resolution_hours_median, LEADING,
                                        tickets=sup.resolution_count, window_days=90),
        "accounts_by_band": _fig(mx.band_counts(ev.health.band for ev in evs), LEADING),
        "open_warnings": _fig(sum(warnings.values()), LEADING, by_code=dict(warnings),
                              by_severity=dict(by_sev)),
    }


def _survey_fig(evs, attr: str) -> dict:
    pooled = _weighted_survey([getattr(ev.relationship, attr) for ev in evs])
    return {"value": pooled["mean"], "kind": LEADING, "responses": pooled["responses"]}


def portfolio(session: Session, settings, start: date, end: date, as_of: date,
              owner: str | None) -> dict:
    """Team figures and one block per CSM for the period [start, end]."""
    accounts, evals = evaluate_many(session, None, as_of, settings)
    _, facts = load_facts(session, None, max(as_of, end), settings.metrics.first_value_event)
    ids = sorted(i for i, a in accounts.items()
                 if not owner or (a.owner or "").lower() == owner.lower())
    by_owner: dict[str, list[str]] = defaultdict(list)
    for i in ids:
        by_owner[accounts[i].owner or "(unassigned)"].append(i)
    return {
        "period": {"start": start, "end": end}, "as_of": as_of, "owner": owner,
        "currency": settings.currency,
        "team": figures(ids, accounts, evals, facts, start, end, as_of),
        "by_csm": [{"owner": o, **figures(group, accounts, evals, facts, start, end, as_of)}
                   for o, group in sorted(by_owner.items())],
    }

