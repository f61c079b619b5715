"""Metric settings with the product defaults; the workspace settings loader builds these."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

HEALTH_COMPONENTS = (
    "seat_utilization",
    "usage_trend",
    "adoption_breadth",
    "support",
    "engagement",
    "nps",
    "sentiment",
    "relationship",
    "csat",
)
#: components off by default (weight 0): not listed as missing while their weight is 0
OPTIONAL_COMPONENTS = ("sentiment", "relationship", "csat")

DEFAULT_WEIGHTS: Mapping[str, float] = {
    "seat_utilization": 20.0,
    "usage_trend": 20.0,
    "adoption_breadth": 15.0,
    "support": 15.0,
    "engagement": 15.0,
    "nps": 15.0,
    "sentiment": 0.0,
    "relationship": 0.0,
    "csat": 0.0,
}

SIGNAL_CODES = (
    "usage_drop",
    "inactive",
    "renewal_risk",
    "health_drop",
    "ticket_spike",
    "urgent_ticket_aging",
    "detractor",
    "low_seat_utilization",
    "no_touch",
    "champion_left",
    "single_threaded",
    "sentiment_drop",
    "negative_message",
)

DEFAULT_SEVERITIES: Mapping[str, str] = {
    "usage_drop": "high",
    "inactive": "high",
    "renewal_risk": "high",
    "health_drop": "medium",
    "ticket_spike": "medium",
    "urgent_ticket_aging": "medium",
    "detractor": "medium",
    "low_seat_utilization": "low",
    "no_touch": "low",
    "champion_left": "high",
    "single_threaded": "medium",
    "sentiment_drop": "medium",
    "negative_message": "high",
}


@dataclass(frozen=True)
class HealthConfig:
    """Health score model; an unlisted component keeps its default weight, weight 0 disables it."""

    weights: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    util_target: float = 0.8
    trend_midpoint: float = 50.0
    trend_slope: float = 100.0
    support_penalty_high: float = 20.0
    support_penalty_other: float = 5.0
    engagement_full_days: int = 14
    engagement_zero_days: int = 90
    band_good: float = 70.0
    band_watch: float = 40.0
    min_components: int = 2

    def weight(self, name: str) -> float:
        """The configured weight of a component (its default when not configured)."""
        return float(self.weights.get(name, DEFAULT_WEIGHTS[name]))


@dataclass(frozen=True)
class SignalConfig:
    """Early-warning thresholds (section 6)."""

    usage_drop_trend: float = -0.30  # fires when trend <= this
    inactive_days: int = 14  # no events for >= this many days
    renewal_risk_days: int = 90  # days_to_renewal <= this ...
    renewal_risk_health: float = 60.0  # ... and health < this
    health_drop_points: float = 15.0  # health fell >= this vs 30 days ago
    ticket_spike_ratio: float = 2.0  # tickets 30d >= ratio * prior 30d ...
    ticket_spike_min: int = 3  # ... and >= this
    urgent_ticket_age_days: int = 3  # a high/urgent ticket open > this
    detractor_days: int = 30  # a detractor response in the last N days
    detractor_max_score: int = 6  # detractor = score <= this
    low_seat_utilization: float = 0.5  # utilization < this
    no_touch_days: int = 30  # no touchpoint for >= this many days
    single_threaded_min_arr: Decimal = Decimal("0")  # one engaged contact, ARR above this
    sentiment_drop_points: float = 20.0  # sentiment fell >= this vs the prior 90 days
    negative_message_score: float = -50.0  # an inbound message scored <= this ...
    negative_message_days: int = 7  # ... in the last N days from a champion or executive
    severities: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_SEVERITIES))

    def severity(self, code: str) -> str:
        """The configured severity of a signal code."""
        return self.severities.get(code, DEFAULT_SEVERITIES[code])


@dataclass(frozen=True)
class PhaseConfig:
    """Lifecycle phase thresholds (section 7)."""

    renewal_days: int = 90  # days_to_renewal <= this -> renewal
    onboarding_days: int = 90  # < this many days since onboarding_start -> onboarding
    adoption_days: int = 180  # < this many days since onboarding_start -> adoption
    promoter_nps_above: float = 0.0  # account counts as promoter when its NPS is above this


@dataclass(frozen=True)
class SentimentConfig:
    """Account sentiment (section 4): inbound messages of the window, recency-weighted."""

    window_days: int = 90
    half_life_days: float = 30.0  # a message this many days old weighs half a new one
    evidence: int = 2  # most negative and most positive messages shown as evidence


DEFAULT_RELATIONSHIP_WEIGHTS: Mapping[str, float] = {
    "coverage": 30.0, "breadth": 20.0, "recency": 30.0, "executive_access": 20.0}


@dataclass(frozen=True)
class RelationshipConfig:
    """Stakeholders and the relationship score (section 4)."""

    window_days: int = 90
    expected_roles: tuple[str, ...] = ("champion", "decision_maker", "executive_sponsor")
    breadth_target: int = 4  # this many engaged contacts score 100
    recency_full_days: int = 14  # last two-way exchange within this: 100 ...
    recency_zero_days: int = 90  # ... falling linearly to 0 at this
    weights: Mapping[str, float] = field(
        default_factory=lambda: dict(DEFAULT_RELATIONSHIP_WEIGHTS))
    stakeholders_max: int = 25  # stakeholders listed in the 360


NORTH_STAR_KINDS = ("events", "active_users", "seats")
NORTH_STAR_PERIODS = ("week", "month")


@dataclass(frozen=True)
class NorthStarConfig:
    """The workspace's North Star metric; off while `name` is empty."""

    name: str = ""
    kind: str = "events"  # events | active_users | seats
    events: tuple[str, ...] = ()  # the event names counted (kind = events)
    period: str = "month"  # week (7 days) | month (30 days)


@dataclass(frozen=True)
class MetricsConfig:
    """All metric settings of a workspace."""

    health: HealthConfig = field(default_factory=HealthConfig)
    signals: SignalConfig = field(default_factory=SignalConfig)
    phase: PhaseConfig = field(default_factory=PhaseConfig)
    sentiment: SentimentConfig = field(default_factory=SentimentConfig)
    relationship: RelationshipConfig = field(default_factory=RelationshipConfig)
    north_star: NorthStarConfig = field(default_factory=NorthStarConfig)
    key_features: Mapping[str, frozenset[str]] = field(default_factory=dict)
    first_value_event: str | None = None
    qbr_min_arr: Decimal = Decimal("0")
    currency: str = "USD"
