"""Support (section 3): open tickets, response and resolution times, volume."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from .common import Output, end_of_day, in_window, median, utc_day, window
from .types import OPEN_TICKET_STATUSES, TICKET_PRIORITIES, URGENT_PRIORITIES, Ticket


def priority_of(ticket: Ticket) -> str:
    """The ticket's priority; unknown or empty priorities count as "normal"."""
    prio = (ticket.priority or "").lower()
    return prio if prio in TICKET_PRIORITIES else "normal"


def is_open_at(ticket: Ticket, as_of: date) -> bool:
    """Open at the end of day as_of: created by then and not solved by then.

    A ticket solved after as_of counts as open at as_of. A solved/closed ticket without a
    solved_at timestamp counts as solved (when is unknown).
    """
    if utc_day(ticket.created_at) > as_of:
        return False
    if ticket.solved_at is not None and utc_day(ticket.solved_at) > as_of:
        return True
    return ticket.status.lower() in OPEN_TICKET_STATUSES


def open_tickets(tickets: Iterable[Ticket], as_of: date) -> list[Ticket]:
    """Tickets open at the end of as_of, oldest first."""
    return sorted((t for t in tickets if is_open_at(t, as_of)),
                  key=lambda t: (t.created_at, str(t.id)))


def aging_urgent_tickets(tickets: Iterable[Ticket], as_of: date, days: int) -> list[Ticket]:
    """High/urgent tickets open at the end of as_of that have been open more than `days` days."""
    cutoff = end_of_day(as_of) - timedelta(days=days)
    return [t for t in open_tickets(tickets, as_of)
            if priority_of(t) in URGENT_PRIORITIES and t.created_at < cutoff]


@dataclass(frozen=True)
class Support(Output):
    """Support figures of one account as of a day."""

    open_by_priority: dict[str, int]
    open_total: int
    oldest_open_days: int | None
    first_response_hours_median: float | None
    first_response_count: int
    resolution_hours_median: float | None
    resolution_count: int
    volume_30d: int
    volume_prior_30d: int
    csat: float | None = None
    csat_good: int = 0
    csat_bad: int = 0


def _hours(delta: timedelta) -> float:
    return delta.total_seconds() / 3600


def response_hours(tickets: Iterable[Ticket], as_of: date) -> list[float]:
    """Hours to first response of the tickets created in the last 90 days (answered by as_of)."""
    last90 = window(as_of, 90)
    return [_hours(t.first_response_at - t.created_at) for t in tickets
            if t.first_response_at is not None and in_window(utc_day(t.created_at), last90)
            and utc_day(t.first_response_at) <= as_of]


def resolution_hours(tickets: Iterable[Ticket], as_of: date) -> list[float]:
    """Hours to resolution of the tickets solved in the last 90 days."""
    last90 = window(as_of, 90)
    return [_hours(t.solved_at - t.created_at) for t in tickets
            if t.solved_at is not None and in_window(utc_day(t.solved_at), last90)]


def satisfaction(tickets: Iterable[Ticket], as_of: date) -> tuple[int, int]:
    """(good, bad) CSAT ratings of the tickets solved in the last 90 days."""
    last90 = window(as_of, 90)
    rated = [(t.satisfaction or "").lower() for t in tickets
             if t.solved_at is not None and in_window(utc_day(t.solved_at), last90)]
    return rated.count("good"), rated.count("bad")


def support(tickets: Iterable[Ticket], as_of: date) -> Support:
    """Open tickets by priority, oldest open age, median response/resolution hours, volume.

    One pass over the tickets, each one's days taken once: the figures of `open_tickets`,
    `response_hours`, `resolution_hours`, `satisfaction` and the 30-day volumes (a history
    backfill evaluates this for every day of every account)."""
    lo90, lo30, lo60 = (as_of - timedelta(days=n - 1) for n in (90, 30, 60))
    by_priority = {p: 0 for p in TICKET_PRIORITIES}
    oldest, n_open = None, 0
    responses, resolutions = [], []
    good = bad = volume = prior = 0
    for t in tickets:
        created = utc_day(t.created_at)
        solved = utc_day(t.solved_at) if t.solved_at is not None else None
        if created <= as_of:
            if lo90 <= created:
                if lo30 <= created:
                    volume += 1
                elif lo60 <= created:
                    prior += 1
                if t.first_response_at is not None and utc_day(t.first_response_at) <= as_of:
                    responses.append(_hours(t.first_response_at - t.created_at))
            if (solved is not None and solved > as_of) or \
                    t.status.lower() in OPEN_TICKET_STATUSES:
                n_open += 1
                by_priority[priority_of(t)] += 1
                key = (t.created_at, str(t.id))
                if oldest is None or key < oldest:
                    oldest = key
        if solved is not None and lo90 <= solved <= as_of:
            resolutions.append(_hours(t.solved_at - t.created_at))
            rating = (t.satisfaction or "").lower()
            good, bad = good + (rating == "good"), bad + (rating == "bad")
    return Support(
        open_by_priority=by_priority,
        open_total=n_open,
        oldest_open_days=(as_of - utc_day(oldest[0])).days if oldest else None,
        first_response_hours_median=median(responses),
        first_response_count=len(responses),
        resolution_hours_median=median(resolutions),
        resolution_count=len(resolutions),
        volume_30d=volume,
        volume_prior_30d=prior,
        csat=good / (good + bad) if good + bad else None, csat_good=good, csat_bad=bad,
    )
