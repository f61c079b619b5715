"""Metrics engine: pure functions over loaded rows that compute every figure of the contract.

No Flask, no database, no I/O: the store layer loads rows into the input dataclasses of
`types`, and every function takes an explicit `as_of` day where time matters.
"""

from .account import AccountMetrics, account_metrics
from .common import add_years, mean, median, ratio, window
from .config import (
    DEFAULT_SEVERITIES,
    DEFAULT_WEIGHTS,
    HEALTH_COMPONENTS,
    SIGNAL_CODES,
    HealthConfig,
    MetricsConfig,
    PhaseConfig,
    SignalConfig,
)
from .health import Component, Health, band, health
from .phase import PHASES, phase
from .portfolio import (
    Retention,
    band_counts,
    expansion_by_quarter,
    loaded_arr,
    quarter_bounds,
    quarter_rows,
    quarterly_expansion,
    quarters,
    retention,
    retention_of,
    team_nps,
    team_time_to_first_value,
)
from .relationship import (
    AdvocacySummary,
    Nps,
    Qbrs,
    Relationship,
    SurveyScore,
    latest_per_respondent,
    nps,
    nps_category,
    relationship,
    survey_score,
)
from .revenue import (
    ArrChange,
    Movement,
    PipelineDeal,
    Renewal,
    Revenue,
    arr_at,
    arr_changes,
    had_arr,
    movement_from,
    movement_of,
    movements,
    renewal,
    revenue,
    trailing_year,
)
from .replies import ResponseTime, reply_pairs, response_time
from .signals import Signal, signals
from .support import (
    Support,
    aging_urgent_tickets,
    is_open_at,
    open_tickets,
    resolution_hours,
    response_hours,
    support,
)
from .types import (
    Advocacy,
    AccountFacts,
    Contact,
    Deal,
    NpsResponse,
    Survey,
    Ticket,
    Touchpoint,
    UsageStats,
)
from .usage import Usage, usage

__all__ = [
    "AccountFacts", "AccountMetrics", "Advocacy", "AdvocacySummary", "ArrChange", "Component",
    "Contact", "DEFAULT_SEVERITIES", "DEFAULT_WEIGHTS", "Deal", "HEALTH_COMPONENTS", "Health",
    "HealthConfig", "MetricsConfig", "Movement", "Nps", "NpsResponse", "PHASES", "PhaseConfig",
    "PipelineDeal", "Qbrs", "Relationship", "Renewal", "Retention", "Revenue", "SIGNAL_CODES",
    "Signal", "SignalConfig", "Support", "Survey", "SurveyScore", "Ticket", "Touchpoint", "Usage",
    "UsageStats", "account_metrics", "add_years", "aging_urgent_tickets", "arr_at", "arr_changes",
    "band", "band_counts", "expansion_by_quarter", "had_arr", "health", "is_open_at",
    "latest_per_respondent", "loaded_arr", "mean", "median", "movement_from", "movement_of",
    "movements", "nps", "nps_category", "open_tickets", "phase", "quarter_bounds",
    "quarter_rows", "quarterly_expansion", "quarters", "ratio", "relationship", "renewal",
    "reply_pairs", "ResponseTime", "response_time",
    "resolution_hours", "response_hours", "retention", "retention_of", "revenue", "signals",
    "support", "survey_score", "team_nps", "team_time_to_first_value", "trailing_year", "usage",
    "window",
]
