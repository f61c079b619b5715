"""support() in one pass equals its figures' own functions (open_tickets, response_hours,
resolution_hours, satisfaction, the 30-day windows), ticket by ticket and day by day."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta, timezone

import pytest

from server.metrics import Ticket, open_tickets, support
from server.metrics.common import in_window, median, utc_day, window
from server.metrics.support import priority_of, resolution_hours, response_hours, satisfaction

T = date(2026, 3, 31)


def _tickets(rng: random.Random, n: int) -> list[Ticket]:
    out = []
    for i in range(n):
        created = datetime.combine(T - timedelta(days=rng.randrange(-5, 200)),
                                   time(rng.randrange(24), rng.randrange(60)), timezone.utc)
        gap = lambda: timedelta(hours=rng.choice([-30, 0.5, 3, 26, 24 * 40, 24 * 95]))  # noqa: E731
        out.append(Ticket(
            id=rng.choice([f"t{i}", i]), status=rng.choice(["open", "Pending", "solved",
                                                            "closed", "hold"]),
            priority=rng.choice(["low", "normal", "HIGH", "urgent", "", "odd"]),
            created_at=created, first_response_at=created + gap() if rng.random() < 0.7
            else None, solved_at=created + gap() if rng.random() < 0.7 else None,
            satisfaction=rng.choice([None, "good", "Bad", "meh"])))
    # two tickets created at the same instant: the oldest open one is the first by id
    out.append(dataclass_copy(out[0], id="a-twin"))
    return out


def dataclass_copy(t: Ticket, **changes) -> Ticket:
    from dataclasses import replace

    return replace(t, **changes)


def _expected(tickets: list[Ticket], as_of: date) -> dict:
    opened = open_tickets(tickets, as_of)
    by_priority = {p: 0 for p in ("low", "normal", "high", "urgent")}
    for t in opened:
        by_priority[priority_of(t)] += 1
    responses, resolutions = response_hours(tickets, as_of), resolution_hours(tickets, as_of)
    good, bad = satisfaction(tickets, as_of)
    return {
        "open_by_priority": by_priority, "open_total": len(opened),
        "oldest_open_days": (as_of - utc_day(opened[0].created_at)).days if opened else None,
        "first_response_hours_median": median(responses),
        "first_response_count": len(responses),
        "resolution_hours_median": median(resolutions), "resolution_count": len(resolutions),
        "volume_30d": sum(1 for t in tickets if in_window(utc_day(t.created_at),
                                                          window(as_of, 30))),
        "volume_prior_30d": sum(1 for t in tickets if in_window(utc_day(t.created_at),
                                                                window(as_of, 30, offset=30))),
        "csat": good / (good + bad) if good + bad else None, "csat_good": good, "csat_bad": bad}


@pytest.mark.parametrize("seed", range(5))
def test_one_pass_support_equals_each_figure(seed):
    rng = random.Random(seed)
    tickets = _tickets(rng, 30)
    for n in range(0, 120, 3):
        day = T - timedelta(days=n)
        got = support(tickets, day)
        assert {k: getattr(got, k) for k in _expected(tickets, day)} == _expected(tickets, day)
        assert support(iter(tickets), day) == got       # any iterable, read once
