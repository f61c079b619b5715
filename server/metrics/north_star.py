"""The North Star metric (section 2): one figure the workspace settings name, per account.

`kind` is `events` (how many of the named events), `active_users` (distinct users with any
event) or `seats` (seats used: active users, at most the account's seats), counted over the
trailing period ending as_of (`week` = 7 days, `month` = 30 days); `change` is the value
minus the value of the period before. The team's total is counted by calendar month.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from .common import Output, window
from .config import NorthStarConfig

PERIOD_DAYS = {"week": 7, "month": 30}


@dataclass(frozen=True)
class NorthStar(Output):
    name: str
    kind: str
    period: str
    value: int
    prior: int
    change: int
    start: date
    end: date


def windows(cfg: NorthStarConfig, as_of: date) -> tuple[tuple[date, date], tuple[date, date]]:
    """The current and the prior period of the account figure."""
    days = PERIOD_DAYS[cfg.period]
    return window(as_of, days), window(as_of, days, offset=days)


def seats_used(active: int, seats: int | None) -> int:
    return active if seats is None else min(active, seats)


def north_star(cfg: NorthStarConfig, counts: tuple[int, int] | None, seats: int | None,
               as_of: date) -> NorthStar | None:
    """The account's North Star from its (current, prior) counts; None when not configured."""
    if not cfg.name:
        return None
    current, prior = counts or (0, 0)
    if cfg.kind == "seats":
        current, prior = seats_used(current, seats), seats_used(prior, seats)
    (start, end), _ = windows(cfg, as_of)
    return NorthStar(name=cfg.name, kind=cfg.kind, period=cfg.period, value=current,
                     prior=prior, change=current - prior, start=start, end=end)
