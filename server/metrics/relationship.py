"""Relationship and voice of the customer (section 4): touchpoints, NPS, surveys, advocacy, QBRs."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from .common import Output, in_window, window
from .config import MetricsConfig
from .replies import ResponseTime, response_time
from .sentiment import Sentiment, sentiment
from .stakeholders import Stakeholder, relationship_score, stakeholders
from .types import ADVOCACY_KINDS, TOUCHPOINT_KINDS, AccountFacts, NpsResponse, Survey

NPS_DAYS = 365
SURVEY_DAYS = 365
ADVOCACY_DAYS = 365
TOUCHPOINT_DAYS = 90


@dataclass(frozen=True)
class Nps(Output):
    """Account NPS over the latest response per contact in the last 365 days."""

    score: float | None
    promoters: int
    passives: int
    detractors: int
    responses: int


@dataclass(frozen=True)
class SurveyScore(Output):
    """Mean survey score in the window, on the scale of the latest response."""

    mean: float | None
    scale: float | None
    responses: int


@dataclass(frozen=True)
class AdvocacySummary(Output):
    """Advocacy activities recorded in the last 365 days."""

    count_365d: int
    by_kind: dict[str, int]


@dataclass(frozen=True)
class Qbrs(Output):
    """QBRs held in the last 90 days vs expected; on_schedule is None when none is expected."""

    held_90d: int
    expected: int
    on_schedule: bool | None


@dataclass(frozen=True)
class Relationship(Output):
    """Relationship figures of one account as of a day."""

    touchpoints_90d: int
    touchpoints_by_kind: dict[str, int]
    last_touchpoint_date: date | None
    days_since_last_touchpoint: int | None
    nps: Nps
    ces: SurveyScore
    onboarding_rating: SurveyScore
    advocacy: AdvocacySummary
    qbrs: Qbrs
    sentiment: Sentiment
    score: float | None
    score_components: tuple
    engaged_contacts: int
    last_two_way_at: datetime | None
    days_since_two_way: int | None
    stakeholders: tuple[Stakeholder, ...]
    response_time: ResponseTime


def nps_category(score: int) -> str:
    """promoter (9-10), passive (7-8) or detractor (0-6)."""
    if score >= 9:
        return "promoter"
    return "passive" if score >= 7 else "detractor"


def latest_per_respondent(responses: Iterable[NpsResponse], as_of: date) -> list[NpsResponse]:
    """Latest valid (0-10) response per contact in the last 365 days.

    Contacts match on the e-mail, case-insensitively. A response without a contact e-mail is
    its own respondent. Same-day answers of one contact: the highest id wins.
    """
    bounds = window(as_of, NPS_DAYS)
    latest: dict[str, NpsResponse] = {}
    anonymous: list[NpsResponse] = []
    for r in responses:
        if not in_window(r.date, bounds) or not 0 <= r.score <= 10:
            continue
        email = (r.contact_email or "").strip().lower()
        if not email:
            anonymous.append(r)
            continue
        best = latest.get(email)
        if best is None or (r.date, r.id or "") > (best.date, best.id or ""):
            latest[email] = r
    return list(latest.values()) + anonymous


def nps(responses: Iterable[NpsResponse], as_of: date) -> Nps:
    """NPS = %promoters - %detractors over the latest response per contact (365 days)."""
    counts = {"promoter": 0, "passive": 0, "detractor": 0}
    for r in latest_per_respondent(responses, as_of):
        counts[nps_category(r.score)] += 1
    total = sum(counts.values())
    score = 100 * (counts["promoter"] - counts["detractor"]) / total if total else None
    return Nps(score=score, promoters=counts["promoter"], passives=counts["passive"],
               detractors=counts["detractor"], responses=total)


def survey_score(surveys: Iterable[Survey], kind: str, as_of: date) -> SurveyScore:
    """Mean score of one survey kind in the last 365 days, on the latest response's scale."""
    bounds = window(as_of, SURVEY_DAYS)
    rows = sorted((s for s in surveys
                   if s.kind.lower() == kind and s.scale > 0 and in_window(s.date, bounds)),
                  key=lambda s: s.date)
    if not rows:
        return SurveyScore(mean=None, scale=None, responses=0)
    scale = Decimal(rows[-1].scale)
    total = sum((Decimal(s.score) * scale / Decimal(s.scale) for s in rows), Decimal(0))
    return SurveyScore(mean=float(total / len(rows)), scale=float(scale), responses=len(rows))


def computed(_name: str, compute: Callable[[], Any]) -> Any:
    return compute()


def relationship(facts: AccountFacts, arr: Decimal, config: MetricsConfig,
                 as_of: date) -> Relationship:
    """Touchpoints (90d), days since last touch, NPS, CES, onboarding rating, advocacy and QBRs."""
    return relationship_parts(facts, arr, config, as_of, computed)


def relationship_parts(facts: AccountFacts, arr: Decimal, config: MetricsConfig, as_of: date,
                       part: Callable[[str, Callable[[], Any]], Any]) -> Relationship:
    """relationship(), its parts computed through `part(name, compute)`: "people",
    "score", "nps", "ces", "onboarding", "sentiment", "replies". The bulk evaluation of many
    days of an account answers a part with the one of an earlier day when that part's
    inputs are the same (server.rows.bulk.Parts)."""
    touches = [t for t in facts.touchpoints if t.date <= as_of]
    last90 = window(as_of, TOUCHPOINT_DAYS)
    by_kind = {k: 0 for k in TOUCHPOINT_KINDS}
    for t in touches:
        if in_window(t.date, last90):
            kind = t.kind.lower()
            by_kind[kind] = by_kind.get(kind, 0) + 1
    last_touch = max((t.date for t in touches), default=None)
    adv_bounds = window(as_of, ADVOCACY_DAYS)
    adv_kinds = {k: 0 for k in ADVOCACY_KINDS}
    for a in facts.advocacy:
        if in_window(a.date, adv_bounds):
            kind = a.kind.lower()
            adv_kinds[kind] = adv_kinds.get(kind, 0) + 1
    held = by_kind["qbr"]
    expected = 1 if arr > config.qbr_min_arr else 0
    rc = config.relationship
    people = part("people", lambda: stakeholders(facts.contacts, facts.messages,
                                                 facts.user_activity, rc, as_of))
    rs = part("score", lambda: relationship_score(people, facts.messages, rc, as_of))
    return Relationship(
        touchpoints_90d=sum(by_kind.values()),
        touchpoints_by_kind=by_kind,
        last_touchpoint_date=last_touch,
        days_since_last_touchpoint=(as_of - last_touch).days if last_touch else None,
        nps=part("nps", lambda: nps(facts.nps, as_of)),
        ces=part("ces", lambda: survey_score(facts.surveys, "ces", as_of)),
        onboarding_rating=part("onboarding",
                               lambda: survey_score(facts.surveys, "onboarding", as_of)),
        advocacy=AdvocacySummary(count_365d=sum(adv_kinds.values()), by_kind=adv_kinds),
        qbrs=Qbrs(held_90d=held, expected=expected,
                  on_schedule=held >= expected if expected else None),
        sentiment=part("sentiment", lambda: sentiment(facts.messages, config.sentiment, as_of)),
        score=rs.score, score_components=rs.components, engaged_contacts=rs.engaged_contacts,
        last_two_way_at=rs.last_two_way_at, days_since_two_way=rs.days_since_two_way,
        stakeholders=tuple(people[:rc.stakeholders_max]),
        response_time=part("replies", lambda: response_time(facts.messages, as_of)),
    )
