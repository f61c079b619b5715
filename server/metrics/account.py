"""All figures of one account as of a day, wired in the order the contract defines them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from .common import Output
from .config import MetricsConfig
from .health import Health, health
from .north_star import NorthStar, north_star
from .phase import phase
from .relationship import Relationship, computed, relationship, relationship_parts
from .revenue import Renewal, Revenue, revenue
from .signals import Signal, signals
from .support import Support, support
from .types import AccountFacts
from .usage import Usage, usage


@dataclass(frozen=True)
class AccountMetrics(Output):
    """The 360 figures of one account."""

    as_of: date
    revenue: Revenue
    usage: Usage
    support: Support
    relationship: Relationship
    health: Health
    signals: tuple[Signal, ...]
    phase: str
    north_star: NorthStar | None = None


def account_metrics(facts: AccountFacts, config: MetricsConfig, as_of: date,
                    health_30d_ago: float | None = None) -> AccountMetrics:
    """Revenue, usage, support, relationship, health, signals and phase of one account."""
    rev = revenue(facts, as_of)
    use = usage(facts.usage, facts.seats, config, rev.renewal.onboarding_start, as_of)
    sup = support(facts.tickets, as_of)
    rel = relationship(facts, rev.arr, config, as_of)
    hl = health(use, sup, rel, config)
    sig = signals(facts, use, sup, rel, hl, health_30d_ago, rev.renewal, config, as_of, rev.arr)
    ph = phase(rev.arr, rev.had_arr_before, rev.renewal, use, rel, config, as_of)
    ns = north_star(config.north_star, facts.north_star_counts, facts.seats, as_of)
    return AccountMetrics(as_of=as_of, revenue=rev, usage=use, support=sup, relationship=rel,
                          health=hl, signals=tuple(sig), phase=ph, north_star=ns)


def history_metrics(facts: AccountFacts, config: MetricsConfig, as_of: date,
                    health_30d_ago: float | None, arr: Decimal, had_arr_before: bool,
                    renewal: Renewal, part=None) -> AccountMetrics:
    """account_metrics for a day's history row, many days of an account in a row: the day's
    ARR, whether it had ARR and its renewal come from the caller (the account's ARR
    timeline, computed once for all its days, and `revenue.renewal`). The revenue carries no
    trailing-year movements (None) and no timeline: a history row reads neither. `part`:
    the relationship's parts (relationship_parts). Keep the order of account_metrics
    (tests compare the two)."""
    rev = Revenue(as_of=as_of, arr=arr, mrr=arr / 12, had_arr_before=had_arr_before,
                  movements=None, renewal=renewal)
    use = usage(facts.usage, facts.seats, config, renewal.onboarding_start, as_of)
    sup = support(facts.tickets, as_of)
    rel = relationship_parts(facts, arr, config, as_of, part or computed)
    hl = health(use, sup, rel, config)
    sig = signals(facts, use, sup, rel, hl, health_30d_ago, renewal, config, as_of, arr)
    ph = phase(arr, had_arr_before, renewal, use, rel, config, as_of)
    ns = north_star(config.north_star, facts.north_star_counts, facts.seats, as_of)
    return AccountMetrics(as_of=as_of, revenue=rev, usage=use, support=sup, relationship=rel,
                          health=hl, signals=tuple(sig), phase=ph, north_star=ns)


def health_only(facts: AccountFacts, config: MetricsConfig, as_of: date, arr: Decimal,
                renewal: Renewal, part=None) -> Health:
    """The health of account_metrics alone (no signals, phase or North Star), from the
    day's ARR and renewal as in history_metrics."""
    use = usage(facts.usage, facts.seats, config, renewal.onboarding_start, as_of)
    rel = relationship_parts(facts, arr, config, as_of, part or computed)
    return health(use, support(facts.tickets, as_of), rel, config)
