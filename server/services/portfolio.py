"""Team and CSM figures (metrics.md section 8), each labelled leading or lagging.

The figures fold per-account inputs (`Inputs`). As of today they come from the
account-metrics rows and the stored ARR timeline (server.rows.read); for another day they
are computed from the records.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from server import metrics as mx
from server.services.evaluate import evaluate_many
from server.services.facts import load_facts
from server.services.north_star import monthly_totals
from server.services.totals import Totals

LAGGING, LEADING = "lagging", "leading"


@dataclass(frozen=True)
class Inputs:
    """What the team figures need of one account (as of a day, period movements aside)."""

    owner: str | None
    arr: object
    changes: tuple  # the ARR timeline (mx.ArrChange), any end
    band: str
    signals: tuple  # (code, severity)
    ttfv: tuple  # () or (days or None,) when the account has an onboarding start
    onboarding: mx.SurveyScore
    ces: mx.SurveyScore
    touchpoints_90d: int
    advocacy_365d: int
    nps: mx.Nps
    response_hours: tuple
    resolution_hours: tuple
    reply_hours: tuple = ()


def inputs_from_records(acc, ev, facts, as_of: date) -> Inputs:
    rel = ev.relationship
    return Inputs(
        owner=acc.owner, arr=ev.revenue.arr, changes=tuple(mx.arr_changes(facts.deals)),
        band=ev.health.band, signals=tuple((s.code, s.severity) for s in ev.signals),
        ttfv=(ev.usage.time_to_first_value_days,) if ev.usage.onboarding_start is not None
        and ev.usage.key_features is not None else (),
        onboarding=rel.onboarding_rating, ces=rel.ces, touchpoints_90d=rel.touchpoints_90d,
        advocacy_365d=rel.advocacy.count_365d, nps=rel.nps,
        response_hours=tuple(mx.response_hours(facts.tickets, as_of)),
        resolution_hours=tuple(mx.resolution_hours(facts.tickets, as_of)),
        reply_hours=tuple(mx.reply_pairs(facts.messages, as_of)[0]))


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


def totals(group: list[tuple[Inputs, mx.Movement]], start: date, end: date) -> Totals:
    """Fold the per-account inputs (and period movements) of a group."""
    items = [x for x, _ in group]
    responses = [h for x in items for h in x.response_hours]
    resolutions = [h for x in items for h in x.resolution_hours]
    replies = [h for x in items for h in x.reply_hours]
    warnings: dict[str, int] = defaultdict(int)
    by_sev: dict[str, int] = defaultdict(int)
    for x in items:
        for code, severity in x.signals:
            warnings[code] += 1
            by_sev[severity] += 1
    return Totals(
        accounts=len(items), loaded_arr=mx.loaded_arr(x.arr for x in items),
        retention=mx.retention([mv for _, mv in group]),
        expansion_by_quarter=mx.quarterly_expansion(
            (c for x in items for c in x.changes), start, end),
        ttfv=mx.team_time_to_first_value([v for x in items for v in x.ttfv]),
        onboarding=_weighted_survey([x.onboarding for x in items]),
        ces=_weighted_survey([x.ces for x in items]),
        touchpoints_90d=sum(x.touchpoints_90d for x in items),
        advocacy_365d=sum(x.advocacy_365d for x in items),
        nps=mx.team_nps(x.nps for x in items),
        response=(mx.median(responses), len(responses)),
        resolution=(mx.median(resolutions), len(resolutions)),
        bands=mx.band_counts(x.band for x in items), warnings=dict(warnings),
        by_severity=dict(by_sev), reply=(mx.median(replies), len(replies)))


def render(t: Totals) -> dict:
    """Every section 8 figure of one group, labelled leading or lagging, with its inputs."""
    ret, ttfv, nps = t.retention, t.ttfv, t.nps
    return {
        "accounts": t.accounts,
        "loaded_arr": _fig(t.loaded_arr, LAGGING),
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
        "expansion_by_quarter": _fig(t.expansion_by_quarter, LAGGING),
        "time_to_first_value": _fig(ttfv["mean_days"], LEADING, reached=ttfv["reached"],
                                    not_reached=ttfv["not_reached"]),
        "onboarding_rating": _fig(t.onboarding["mean"], LEADING,
                                  responses=t.onboarding["responses"]),
        "ces": _fig(t.ces["mean"], LEADING, responses=t.ces["responses"]),
        "engagement_activity": _fig(t.touchpoints_90d, LEADING, window_days=90),
        "advocacy_activity": _fig(t.advocacy_365d, LEADING, window_days=365),
        "nps": _fig(nps.score, LEADING,
                    **{k: v for k, v in nps.to_dict().items() if k != "score"}),
        "first_response_hours_median": _fig(t.response[0], LEADING, tickets=t.response[1],
                                            window_days=90),
        "resolution_hours_median": _fig(t.resolution[0], LEADING, tickets=t.resolution[1],
                                        window_days=90),
        "email_reply_hours_median": _fig(t.reply[0], LEADING, replies=t.reply[1],
                                         window_days=90),
        "accounts_by_band": _fig(t.bands, LEADING),
        "open_warnings": _fig(sum(t.warnings.values()), LEADING, by_code=t.warnings,
                              by_severity=t.by_severity),
    }


def figures(group: list[tuple[Inputs, mx.Movement]], start: date, end: date) -> dict:
    """Every section 8 figure for one group of accounts (inputs and period movement each)."""
    return render(totals(group, start, end))


def from_records(session: Session, settings, as_of: date, owner: str | None,
                 segment: str | None = None, phase: str | None = None) -> dict[str, Inputs]:
    """Per-account inputs computed from the records as of a day."""
    accounts, evals = evaluate_many(session, None, as_of, settings)
    _, facts = load_facts(session, None, as_of, settings.metrics.first_value_event,
                          settings.metrics.north_star)
    return {i: inputs_from_records(a, evals[i], facts[i], as_of) for i, a in accounts.items()
            if (not owner or (a.owner or "").lower() == owner.lower())
            and (not segment or (a.segment or "").lower() == segment.lower())
            and (not phase or evals[i].phase == phase)}


def portfolio(session: Session, settings, start: date, end: date, as_of: date,
              owner: str | None, segment: str | None = None, phase: str | None = None,
              rows: bool = False) -> dict:
    """Team figures and one block per CSM for the period [start, end]."""
    head = {"period": {"start": start, "end": end}, "as_of": as_of, "owner": owner,
            "currency": settings.currency}
    ns = settings.metrics.north_star
    if rows:
        from server.rows.team import scope_ids, team_totals

        team, by_owner = team_totals(session, start, end, owner, segment, phase)
        star = monthly_totals(session, ns, start, end, scope_ids(session, owner, segment, phase))
        return {**head, "team": render(team), "north_star": star,
                "by_csm": [{"owner": o, **render(t)} for o, t in sorted(by_owner.items())]}
    items = from_records(session, settings, as_of, owner, segment, phase)
    head["north_star"] = monthly_totals(session, ns, start, end, list(items)
                                        if owner or segment or phase else None)
    ids = sorted(items)
    pairs = [(items[i], mx.movement_of(items[i].changes, start, end)) for i in ids]
    groups: dict[str, list] = defaultdict(list)
    for pair in pairs:
        groups[pair[0].owner or "(unassigned)"].append(pair)
    return {**head, "team": figures(pairs, start, end),
            "by_csm": [{"owner": o, **figures(group, start, end)}
                       for o, group in sorted(groups.items())]}
