"""CSAT in the support figures and as an optional health component."""

from datetime import date, datetime, timezone

import pytest

from server.metrics import HealthConfig, MetricsConfig, Ticket, health, support
from tests.metrics.test_health import NO_REL, NO_USAGE

T = date(2026, 3, 31)


def at(day: str) -> datetime:
    return datetime.fromisoformat(day + "T12:00:00+00:00").astimezone(timezone.utc)


def ticket(tid, solved, rating, created="2026-01-10"):
    return Ticket(tid, "solved", "normal", at(created),
                  solved_at=at(solved) if solved else None, satisfaction=rating)


TICKETS = [
    ticket("a", "2026-03-30", "good"),
    ticket("b", "2026-02-01", "good"),
    ticket("c", "2026-01-01", "bad", created="2025-12-20"),   # T-89 = 2026-01-01: inside
    ticket("d", "2025-12-31", "good", created="2025-12-01"),  # solved before the window
    ticket("e", "2026-03-01", None),                         # not rated
    ticket("f", None, "bad"),                                # not solved: not counted
]


def test_csat_is_good_over_rated_tickets_solved_in_the_last_90_days():
    s = support(TICKETS, T)
    # a, b good; c bad (solved on T-89, inside [T-89, T]); d outside; e unrated; f unsolved
    assert (s.csat_good, s.csat_bad) == (2, 1)
    assert s.csat == pytest.approx(2 / 3)
    assert support([ticket("x", "2026-03-01", None)], T).csat is None  # no ratings: n/a
    assert support([], T).to_dict()["csat"] is None


def test_csat_health_component_is_off_by_default_and_weighted_when_set():
    s = support(TICKETS, T)
    default = health(NO_USAGE, s, NO_REL, MetricsConfig())
    assert "csat" not in [c.name for c in default.components]
    assert "csat" not in default.missing  # optional: weight 0 is not "missing"
    cfg = MetricsConfig(health=HealthConfig(weights={"csat": 15}))
    h = health(NO_USAGE, s, NO_REL, cfg)
    comp = {c.name: c for c in h.components}
    # support: no open tickets -> 100 (w15); csat 2/3 -> 66.67 (w15): mean 83.33
    assert comp["csat"].score == pytest.approx(200 / 3) and comp["csat"].input == s.csat
    assert comp["csat"].label == "CSAT"
    assert h.score == pytest.approx((100 * 15 + 200 / 3 * 15) / 30)
    no_ratings = health(NO_USAGE, support([], T), NO_REL, cfg)
    assert "csat" in no_ratings.missing
