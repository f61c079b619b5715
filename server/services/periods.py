"""Reporting periods of the workspace pages: the presets and their first and last day."""

from __future__ import annotations

from datetime import date, timedelta

from server.metrics import add_years

#: Preset -> label, in the order the dashboard offers them.
PRESETS = {"12m": "Trailing 12 months", "quarter": "This quarter to date",
           "month": "This month to date"}
DEFAULT = "12m"


def bounds(preset: str, as_of: date) -> tuple[date, date]:
    """The [start, end] days of a preset ending on `as_of` (ValueError for an unknown one).
    The trailing 12 months are the API portfolio's default period."""
    if preset == "12m":
        return add_years(as_of, -1) + timedelta(days=1), as_of
    if preset == "quarter":
        return date(as_of.year, 3 * ((as_of.month - 1) // 3) + 1, 1), as_of
    if preset == "month":
        return as_of.replace(day=1), as_of
    raise ValueError(f"period must be one of {', '.join(PRESETS)}")
