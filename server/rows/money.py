"""Money as the rows store it, apart from `build` so any rows module may use it."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


def money(value: Decimal | None) -> Decimal | None:
    """Money as stored: two decimals, half up (as the API shows it)."""
    return None if value is None else Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)
