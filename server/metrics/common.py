"""Shared helpers: day windows, safe ratios, mean/median and JSON-ready output."""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

ZERO = Decimal("0")

#: Tolerance for comparing computed floats with configured thresholds, so that
#: e.g. a drop of 70.1 - 55.1 counts as 15 points.
EPSILON = 1e-9


def window(as_of: date, days: int, offset: int = 0) -> tuple[date, date]:
    """Closed window of `days` whole days ending `offset` days before as_of."""
    end = as_of - timedelta(days=offset)
    return end - timedelta(days=days - 1), end


def in_window(day: date | None, bounds: tuple[date, date]) -> bool:
    """True when day lies inside the closed window (start and end included)."""
    return day is not None and bounds[0] <= day <= bounds[1]


def utc_day(moment: datetime) -> date:
    """The UTC calendar day of a timestamp (naive timestamps are taken as UTC)."""
    if moment.tzinfo is None or moment.tzinfo is timezone.utc:
        return moment.date()
    return moment.astimezone(timezone.utc).date()


def end_of_day(day: date) -> datetime:
    """The instant a UTC day ends (midnight UTC of the next day)."""
    return datetime(day.year, day.month, day.day, tzinfo=timezone.utc) + timedelta(days=1)


def add_years(day: date, years: int) -> date:
    """Same calendar day `years` later; 29 February maps to 28 February in common years."""
    year = day.year + years
    last = calendar.monthrange(year, day.month)[1]
    return day.replace(year=year, day=min(day.day, last))


def ratio(numerator: Any, denominator: Any) -> float | None:
    """numerator / denominator as a float, or None when the denominator is 0 or missing."""
    if numerator is None or denominator is None or denominator == 0:
        return None
    if isinstance(numerator, Decimal) or isinstance(denominator, Decimal):
        return float(Decimal(numerator) / Decimal(denominator))
    return numerator / denominator


def clamp(value: float, low: float = 0.0, high: float = 100.0) -> float:
    """value limited to [low, high]."""
    return max(low, min(high, value))


def mean(values: Iterable[Any]) -> Any:
    """Arithmetic mean (Decimal in, Decimal out), or None for no values."""
    items = [v for v in values if v is not None]
    if not items:
        return None
    return sum(items[1:], items[0]) / len(items)


def median(values: Iterable[Any]) -> Any:
    """Median: the middle value, or the mean of the two middle values; None for no values."""
    items = sorted(v for v in values if v is not None)
    if not items:
        return None
    mid = len(items) // 2
    if len(items) % 2:
        return items[mid]
    return (items[mid - 1] + items[mid]) / 2


#: values to_json returns as they are (exact types: a subclass takes the general path)
_AS_IS = frozenset({str, int, float, bool, type(None), Decimal})


def to_json(value: Any) -> Any:
    """Convert an output value to JSON-ready data (Decimal money is kept as Decimal)."""
    if type(value) in _AS_IS:
        return value
    if isinstance(value, Output):
        return value.to_dict()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, (set, frozenset)):
        return sorted(to_json(v) for v in value)
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    return value


_FIELDS: dict[type, tuple[str, ...]] = {}


class Output:
    """Base of the result dataclasses: adds to_dict()."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data: dates as ISO strings, Decimal money kept, ratios as float."""
        names = _FIELDS.get(type(self))
        if names is None:   # the dataclass fields of the class, looked up once
            names = _FIELDS[type(self)] = tuple(f.name for f in fields(self))  # type: ignore
        return {name: to_json(getattr(self, name)) for name in names}


@dataclass(frozen=True)
class Component(Output):
    """One component of an explained score: its input, score (0-100), weight and points
    (its share of the score)."""

    name: str
    label: str
    input: Any
    score: float
    weight: float
    points: float

