"""Response time (section 4): hours from an inbound customer email to our reply.

Each thread's emails (`thread_id`) are read in time order, whatever order they landed in.
An inbound email opens a wait unless one is open already (a customer's second email before
our answer does not restart the clock); the next outbound email answers it: the reply's
hours are the time between the two. Waits opened in the last 90 days (UTC days) count;
those still open as of the day are `unanswered`. Messages after as_of are not read.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from .common import Output, in_window, median, utc_day, window
from .types import Message

REPLY_DAYS = 90


@dataclass(frozen=True)
class ResponseTime(Output):
    median_hours: float | None
    replies: int
    unanswered: int


def reply_pairs(messages: Iterable[Message], as_of: date, days: int = REPLY_DAYS
                ) -> tuple[list[float], int]:
    """(hours of each answered wait, number of unanswered waits) opened in the window."""
    bounds = window(as_of, days)
    threads: dict[str, list[Message]] = {}
    for m in messages:
        if m.channel == "email" and m.thread_id and utc_day(m.at) <= as_of:
            threads.setdefault(m.thread_id, []).append(m)
    hours: list[float] = []
    unanswered = 0
    for items in threads.values():
        items.sort(key=lambda m: (m.at, m.id))
        waiting = None
        for m in items:
            if m.direction == "in":
                waiting = waiting or m
            elif waiting is not None:
                if in_window(utc_day(waiting.at), bounds):
                    hours.append((m.at - waiting.at).total_seconds() / 3600)
                waiting = None
        if waiting is not None and in_window(utc_day(waiting.at), bounds):
            unanswered += 1
    hours.sort()
    return hours, unanswered


def response_time(messages: Iterable[Message], as_of: date) -> ResponseTime:
    """Median reply hours, replies and unanswered waits of the last 90 days."""
    hours, unanswered = reply_pairs(messages, as_of)
    return ResponseTime(median_hours=median(hours), replies=len(hours), unanswered=unanswered)
