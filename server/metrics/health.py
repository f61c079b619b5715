"""Health score (section 5): weighted mean of the available components, with the why."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .common import EPSILON, Component, Output, clamp
from .config import HEALTH_COMPONENTS, OPTIONAL_COMPONENTS, HealthConfig, MetricsConfig
from .relationship import Relationship
from .support import Support
from .usage import Usage

LABELS = {
    "seat_utilization": "Seat utilization",
    "usage_trend": "Usage trend",
    "adoption_breadth": "Adoption breadth",
    "support": "Support",
    "engagement": "Engagement",
    "nps": "NPS",
    "sentiment": "Sentiment",
    "relationship": "Relationship",
    "csat": "CSAT",
}


@dataclass(frozen=True)
class Health(Output):
    """Health score (None = unknown), band, the components used and the ones missing."""

    score: float | None
    band: str
    components: tuple[Component, ...]
    missing: tuple[str, ...] = ()


def band(score: float | None, config: HealthConfig) -> str:
    """good (>= 70), watch (>= 40), at_risk, or unknown when there is no score."""
    if score is None:
        return "unknown"
    if score >= config.band_good - EPSILON:
        return "good"
    return "watch" if score >= config.band_watch - EPSILON else "at_risk"


def _engagement_score(days: int, cfg: HealthConfig) -> float:
    if days <= cfg.engagement_full_days:
        return 100.0
    span = cfg.engagement_zero_days - cfg.engagement_full_days
    return 100.0 - (days - cfg.engagement_full_days) * 100.0 / span


def component_scores(usage: Usage | None, support: Support,
                     relationship: Relationship | None,
                     cfg: HealthConfig) -> dict[str, tuple[Any, float]]:
    """(input, unclamped score) of every component that has data, by component name."""
    out: dict[str, tuple[Any, float]] = {}
    if usage is not None and usage.seat_utilization is not None:
        util = usage.seat_utilization
        out["seat_utilization"] = (util, 100.0 * min(1.0, util / cfg.util_target))
    if usage is not None and usage.trend is not None:
        out["usage_trend"] = (usage.trend, cfg.trend_midpoint + cfg.trend_slope * usage.trend)
    if usage is not None and usage.adoption_breadth is not None:
        out["adoption_breadth"] = (usage.adoption_breadth, 100.0 * usage.adoption_breadth)
    high = support.open_by_priority["high"] + support.open_by_priority["urgent"]
    other = support.open_total - high
    out["support"] = ({"high_urgent": high, "other": other},
                      100.0 - cfg.support_penalty_high * high - cfg.support_penalty_other * other)
    if relationship is not None and relationship.days_since_last_touchpoint is not None:
        days = relationship.days_since_last_touchpoint
        out["engagement"] = (days, _engagement_score(days, cfg))
    if relationship is not None and relationship.nps.score is not None:
        out["nps"] = (relationship.nps.score, (relationship.nps.score + 100.0) / 2)
    if relationship is not None and relationship.sentiment.score is not None:
        out["sentiment"] = (relationship.sentiment.score,
                            (relationship.sentiment.score + 100.0) / 2)
    if relationship is not None and relationship.score is not None:
        out["relationship"] = (relationship.score, relationship.score)
    if support.csat is not None:
        out["csat"] = (support.csat, 100.0 * support.csat)
    return out


def health(usage: Usage | None, support: Support, relationship: Relationship | None,
           config: MetricsConfig) -> Health:
    """Weighted mean of the available components; fewer than min_components -> unknown."""
    cfg = config.health
    raw = component_scores(usage, support, relationship, cfg)
    available = [n for n in HEALTH_COMPONENTS if n in raw and cfg.weight(n) > 0]
    missing = tuple(n for n in HEALTH_COMPONENTS if n not in available
                    and not (n in OPTIONAL_COMPONENTS and cfg.weight(n) <= 0))
    total_weight = sum(cfg.weight(n) for n in available)
    components = []
    for name in available:
        value, score = raw[name]
        score = clamp(score)
        weight = cfg.weight(name)
        components.append(Component(name=name, label=LABELS[name], input=value, score=score,
                                    weight=weight, points=score * weight / total_weight))
    if not components or len(components) < cfg.min_components:
        return Health(score=None, band="unknown", components=tuple(components), missing=missing)
    score = sum(c.score * c.weight for c in components) / total_weight  # = sum of points
    return Health(score=score, band=band(score, cfg), components=tuple(components),
                  missing=missing)
