"""How the dashboard shows the portfolio figures: their labels, units and formatting."""

from __future__ import annotations

from decimal import Decimal

#: (key in the portfolio answer, label, unit kind), in the dashboard's order.
FIGURES = (
    ("loaded_arr", "Loaded ARR", "money"),
    ("nrr", "Net revenue retention (NRR)", "pct"),
    ("grr", "Gross revenue retention (GRR)", "pct"),
    ("logo_churn_rate", "Logo churn", "pct"),
    ("revenue_churn_rate", "Revenue churn", "pct"),
    ("arr_growth_existing", "ARR growth of existing accounts", "money"),
    ("expansion_by_quarter", "Expansion revenue by quarter", "quarters"),
    ("time_to_first_value", "Mean time to first value", "days"),
    ("onboarding_rating", "Onboarding rating", "score"),
    ("ces", "Customer effort score (CES)", "score"),
    ("engagement_activity", "Engagement (touchpoints, 90 days)", "count"),
    ("advocacy_activity", "Advocacy (events, 365 days)", "count"),
    ("nps", "NPS", "nps"),
    ("first_response_hours_median", "First response time (median)", "hours"),
    ("resolution_hours_median", "Resolution time (median)", "hours"),
    ("email_reply_hours_median", "Email reply time (median, customer email to our reply)",
     "hours"),
    ("accounts_by_band", "Accounts per health band", "bands"),
    ("open_warnings", "Open warnings", "count"),
)

NA = "n/a"


def _num(value) -> float | None:
    if value is None:
        return None
    if isinstance(value, (int, float, Decimal)):
        return float(value)
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def money(value, currency: str = "") -> str:
    """An amount in whole units, after its currency when given."""
    v = _num(value)
    if v is None:
        return NA
    return f"{currency} {v:,.0f}" if currency else f"{v:,.0f}"


def show(kind: str, value, currency: str) -> str:
    """One figure's value as text: `n/a` where it has none (a zero denominator)."""
    if kind == "money":
        return money(value, currency)
    if kind == "quarters":
        if not value:
            return NA
        return ", ".join(f"{q['quarter']}: {money(q['expansion'], currency)}" for q in value)
    if kind == "bands":
        if not value:
            return NA
        return ", ".join(f"{band} {n}" for band, n in value.items())
    v = _num(value)
    if v is None:
        return NA
    if kind == "pct":
        return f"{v * 100:.1f}%"
    if kind == "pct0":
        return f"{v * 100:.0f}%"
    if kind == "days":
        return f"{v:.1f} days"
    if kind == "hours":
        return f"{v:.1f} h"
    if kind == "score":
        return f"{v:.2f}"
    if kind == "score0":
        return f"{v:.0f}"
    if kind == "nps":
        return f"{v:+.0f}"
    return f"{v:,.0f}"


def show_input(name: str, value, currency: str) -> str:
    """An input of a figure: money for ARR amounts, else the number as it is."""
    if name in ("start_arr", "end_arr", "expansion", "contraction", "churn", "total") \
            or name.endswith("_arr"):
        return money(value, currency)
    if isinstance(value, dict):
        return ", ".join(f"{k} {v}" for k, v in value.items()) or "none"
    if isinstance(value, float):
        return f"{value:.4g}"
    return NA if value is None else str(value)
