"""Lifecycle phase, first match wins (metrics.md section 7)."""

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from server.metrics import (
    AccountFacts,
    AdvocacySummary,
    MetricsConfig,
    Nps,
    Renewal,
    phase,
    relationship,
    usage,
)

D = Decimal
T = date(2026, 3, 31)
CFG = MetricsConfig()
NO_USAGE = usage(None, None, CFG, None, T)
NO_REL = relationship(AccountFacts(), D(0), CFG, T)


def run(arr="1000", had=True, days_to_renewal=None, start=None, first_value=None, nps=None,
        advocacy=0):
    ren = Renewal(renewal_date=None, days_to_renewal=days_to_renewal, onboarding_start=start)
    u = replace(NO_USAGE, first_value_date=first_value)
    rel = replace(NO_REL, nps=Nps(score=nps, promoters=0, passives=0, detractors=0, responses=0),
                  advocacy=AdvocacySummary(count_365d=advocacy, by_kind={}))
    return phase(D(arr), had, ren, u, rel, CFG, T)


def test_churned_beats_everything():
    assert run(arr="0", had=True, days_to_renewal=10, start=date(2026, 3, 1)) == "churned"


def test_never_paid_is_not_churned():
    assert run(arr="0", had=False, start=date(2026, 3, 1)) == "onboarding"
    assert run(arr="0", had=False) == "value_realization"


def test_reactivated_account_is_not_churned():
    assert run(arr="600", had=True) == "value_realization"


def test_renewal_within_90_days():
    assert run(days_to_renewal=90, start=date(2026, 3, 1)) == "renewal"  # beats onboarding
    assert run(days_to_renewal=-5) == "renewal"  # overdue, not renewed yet
    assert run(days_to_renewal=91) == "value_realization"


@pytest.mark.parametrize("start, first_value, expected", [
    (date(2026, 1, 1), None, "onboarding"),  # 89 days since start
    (date(2025, 12, 31), None, "adoption"),  # 90 days: onboarding is over
    (date(2026, 1, 1), date(2026, 2, 1), "adoption"),  # first value reached
    (date(2025, 10, 3), None, "adoption"),  # 179 days
    (date(2025, 10, 2), None, "value_realization"),  # 180 days
    (None, None, "value_realization"),
])
def test_onboarding_adoption_value_realization(start, first_value, expected):
    assert run(start=start, first_value=first_value) == expected


def test_advocacy_needs_promoter_nps_and_activity():
    start = date(2026, 1, 1)  # would be onboarding without first value
    assert run(start=start, first_value=start, nps=20, advocacy=1) == "advocacy"  # beats adoption
    assert run(start=start, nps=20, advocacy=1) == "onboarding"  # onboarding comes first
    assert run(nps=0.0, advocacy=3) == "value_realization"  # NPS must be above 0
    assert run(nps=50, advocacy=0) == "value_realization"
    assert run(nps=None, advocacy=2) == "value_realization"
