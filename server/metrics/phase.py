"""Lifecycle phase (section 7): first matching rule wins."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from .config import MetricsConfig
from .relationship import Relationship
from .revenue import Renewal
from .usage import Usage

PHASES = ("onboarding", "adoption", "value_realization", "renewal", "advocacy", "churned")


def phase(arr_now: Decimal, had_arr_before: bool, renewal: Renewal | None, usage: Usage | None,
          relationship: Relationship | None, config: MetricsConfig, as_of: date) -> str:
    """churned, renewal, onboarding, advocacy, adoption, else value_realization."""
    cfg = config.phase
    if arr_now <= 0 and had_arr_before:
        return "churned"
    days_to_renewal = renewal.days_to_renewal if renewal is not None else None
    if days_to_renewal is not None and days_to_renewal <= cfg.renewal_days:
        return "renewal"
    start = renewal.onboarding_start if renewal is not None else None
    days_since_start = (as_of - start).days if start is not None else None
    first_value = usage.first_value_date if usage is not None else None
    if first_value is None and days_since_start is not None \
            and days_since_start < cfg.onboarding_days:
        return "onboarding"
    if relationship is not None and relationship.nps.score is not None \
            and relationship.nps.score > cfg.promoter_nps_above \
            and relationship.advocacy.count_365d > 0:
        return "advocacy"
    if days_since_start is not None and days_since_start < cfg.adoption_days:
        return "adoption"
    return "value_realization"
