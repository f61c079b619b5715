"""The accounts table's column chooser: which columns the table (and its CSV) shows.

A column is named by its sort field (`health`, `reply_hours`...). The URL's `cols` lists the
shown ones (comma-separated; the account's name is always shown, the table's order is
kept); without it, the user's remembered choice, else DEFAULT, a set that fits 1280 px.
Saved views keep `cols` like the other table state.
"""

from __future__ import annotations

from collections.abc import Sequence

from server.errors import ApiError

#: What a new user sees: identity, health and revenue, renewal and signals.
DEFAULT = ("name", "owner", "band", "health", "phase", "arr", "renewal", "days", "signals")
#: The preference the user's choice is remembered under (server/services/preferences.py).
PREFERENCE = "accounts.columns"


def keys(columns: Sequence[tuple]) -> list[str]:
    return [field for _, _, field in columns]


def parse(text: str | None, columns: Sequence[tuple]) -> list[str] | None:
    """The shown column keys of a `cols` value, in the table's order (None: not given).
    An unknown column is a 400."""
    if text is None or not text.strip():
        return None
    wanted = [k.strip() for k in text.split(",") if k.strip()]
    known = keys(columns)
    unknown = [k for k in wanted if k not in known]
    if unknown:
        raise ApiError(400, "validation_error", f"Unknown column: {', '.join(unknown)[:200]}",
                       {"cols": f"known columns: {', '.join(known)}"})
    return [k for k in known if k in wanted or k == "name"]


def remembered(value, columns: Sequence[tuple]) -> list[str] | None:
    """A stored choice, without the columns that are gone (e.g. a North Star no longer named)."""
    if not isinstance(value, list):
        return None
    return [k for k in keys(columns) if k in value or k == "name"]


def default(columns: Sequence[tuple]) -> list[str]:
    return [k for k in keys(columns) if k in DEFAULT]


def shown(columns: Sequence[tuple], chosen: Sequence[str]) -> tuple:
    return tuple(c for c in columns if c[2] in chosen)
