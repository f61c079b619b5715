"""The tickets and touchpoints a bulk day keeps (server.rows.day_records) give the figures of
all the account's records: support, the urgent-ticket signal's tickets, the relationship."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal

import pytest

from server import metrics as mx
from server.metrics.config import MetricsConfig
from server.metrics.types import AccountFacts, Ticket, Touchpoint
from server.rows.bulk import DayFacts

T = date(2026, 6, 30)
FIRST = T - timedelta(days=200)


def _at(day: date, rng: random.Random) -> datetime:
    return datetime.combine(day, time(rng.randrange(24), rng.randrange(60)), timezone.utc)


def _tickets(rng: random.Random, n: int) -> tuple[Ticket, ...]:
    out = []
    for i in range(n):
        created = FIRST - timedelta(days=150) + timedelta(days=rng.randrange(400))
        status = rng.choice(["open", "pending", "solved", "closed", "Open", "hold"])
        solved = None
        if rng.random() < 0.75:    # solved the same day, later, long after, or "before" it
            solved = _at(created + timedelta(days=rng.choice(
                [0, 1, 5, 30, 89, 90, 91, 200, -3])), rng)
        first = _at(created + timedelta(days=rng.choice([0, 1, 2, 95])), rng) \
            if rng.random() < 0.7 else None
        out.append(Ticket(id=f"t{i}", status=status,
                          priority=rng.choice(["low", "normal", "high", "urgent", "", "x"]),
                          created_at=_at(created, rng), first_response_at=first,
                          solved_at=solved, satisfaction=rng.choice([None, "good", "bad"])))
    return tuple(out)


def _touchpoints(rng: random.Random) -> tuple[Touchpoint, ...]:
    days = [FIRST - timedelta(days=rng.randrange(300)) for _ in range(3)]   # long before
    days += [FIRST + timedelta(days=rng.randrange(120)) for _ in range(rng.randrange(6))]
    days += [T + timedelta(days=3)]                                         # after the range
    rng.shuffle(days)
    return tuple(Touchpoint(kind=rng.choice(["email", "call", "QBR", "meeting"]), date=d)
                 for d in days)


@pytest.mark.parametrize("seed", range(6))
def test_trimmed_day_has_the_figures_of_every_record(seed):
    rng = random.Random(seed)
    base = AccountFacts(seats=10, tickets=_tickets(rng, 40), touchpoints=_touchpoints(rng))
    cfg, days = MetricsConfig(), DayFacts(base, {})
    seen = set()
    for n in range((T - FIRST).days + 1):
        day = FIRST + timedelta(days=n)
        trimmed = days.on(day, None, trim=True)
        assert days.on(day, None) == base           # untrimmed: every record as stored
        assert mx.support(trimmed.tickets, day) == mx.support(base.tickets, day), day
        assert mx.aging_urgent_tickets(trimmed.tickets, day, 7) == \
            mx.aging_urgent_tickets(base.tickets, day, 7)
        for arr in (Decimal("0"), Decimal("90000")):
            assert mx.relationship(trimmed, arr, cfg, day) == \
                mx.relationship(base, arr, cfg, day), day
        assert set(trimmed.tickets) <= set(base.tickets)
        seen.add((len(trimmed.tickets) < len(base.tickets),
                  len(trimmed.touchpoints) < len(base.touchpoints)))
    assert (True, True) in seen                     # the trim left records out
