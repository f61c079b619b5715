"""Product usage (section 2): leading indicators from the store's usage aggregates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from .common import Output, ratio
from .config import MetricsConfig
from .types import UsageStats


@dataclass(frozen=True)
class Usage(Output):
    """Usage figures of one account as of a day, with the inputs behind them.

    Every figure is None when the account has no analytics data at all (stats is None).
    """

    active_users_30d: int | None
    active_users_prior_30d: int | None
    trend: float | None
    seats: int | None
    seat_utilization: float | None
    key_features: tuple[str, ...]
    features_used: tuple[str, ...]
    adoption_breadth: float | None
    stickiness: float | None
    dau_sum_30d: int | None
    avg_session_seconds: float | None
    sessions_30d: int | None
    session_seconds_30d: int | None
    last_activity_date: date | None
    days_since_last_activity: int | None
    onboarding_start: date | None
    first_value_date: date | None
    time_to_first_value_days: int | None
    daily_active: tuple[dict, ...] = ()


def usage(
    stats: UsageStats | None,
    seats: int | None,
    config: MetricsConfig,
    onboarding_start: date | None,
    as_of: date,
) -> Usage:
    """Active users, trend, seat utilization, adoption breadth, stickiness, sessions and TTFV."""
    key_features = tuple(sorted(config.key_features))
    if stats is None:
        return Usage(
            active_users_30d=None, active_users_prior_30d=None, trend=None, seats=seats,
            seat_utilization=None, key_features=key_features, features_used=(),
            adoption_breadth=None, stickiness=None, dau_sum_30d=None, avg_session_seconds=None,
            sessions_30d=None, session_seconds_30d=None, last_activity_date=None,
            days_since_last_activity=None, onboarding_start=onboarding_start,
            first_value_date=None, time_to_first_value_days=None,
        )
    active, prior = stats.active_30d, stats.active_prior_30d
    used = tuple(
        name for name in key_features
        if set(config.key_features[name]) & set(stats.features_used_30d)
    )
    last_day = stats.last_event_day
    first_value = stats.first_value_day
    if first_value is not None and first_value > as_of:
        first_value = None
    ttfv = None
    if first_value is not None and onboarding_start is not None:
        # reaching first value before the onboarding start (e.g. in a trial) counts as 0 days
        ttfv = max(0, (first_value - onboarding_start).days)
    return Usage(
        active_users_30d=active,
        active_users_prior_30d=prior,
        trend=ratio(active - prior, prior),
        seats=seats,
        seat_utilization=ratio(active, seats) if seats and seats > 0 else None,
        key_features=key_features,
        features_used=used,
        adoption_breadth=ratio(len(used), len(key_features)),
        stickiness=ratio(stats.dau_sum_30d / 30, active),
        dau_sum_30d=stats.dau_sum_30d,
        avg_session_seconds=ratio(stats.session_seconds_30d, stats.sessions_30d),
        sessions_30d=stats.sessions_30d,
        session_seconds_30d=stats.session_seconds_30d,
        last_activity_date=last_day,
        days_since_last_activity=(as_of - last_day).days if last_day is not None else None,
        onboarding_start=onboarding_start,
        first_value_date=first_value,
        time_to_first_value_days=ttfv,
        daily_active=tuple(
            {"date": day, "active_users": n} for day, n in sorted(stats.daily_active)
        ),
    )
