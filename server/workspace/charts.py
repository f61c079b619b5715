"""The dashboard charts' data: what server/workspace/static/charts.js draws, passed in the page
as JSON (Jinja's `tojson`, so no text in it can close the script element).

The ARR bridge and the expansion by quarter are the period's team figures (the same numbers
as the table); NRR, GRR and the bands are series over the last 12 months (services.trends).
"""

from __future__ import annotations

from server.metrics.portfolio import BANDS
from server.services import retention_series, trends


def _f(value) -> float | None:
    return None if value is None else round(float(value), 2)


def _pct(value) -> float | None:
    return None if value is None else round(float(value) * 100, 2)


def bridge(team: dict) -> dict:
    """Start ARR -> + expansion -> - contraction -> - churn -> end ARR of the period's cohort,
    as floating bars ([low, high] each)."""
    inp = team["nrr"]["inputs"]
    s, e, c, ch = (float(inp[k]) for k in ("start_arr", "expansion", "contraction", "churn"))
    up = s + e
    return {"labels": ["Start ARR", "Expansion", "Contraction", "Churn", "End ARR"],
            "values": [s, e, -c, -ch, float(inp["end_arr"])],
            "bars": [[0, s], [s, up], [up - c, up], [up - c - ch, up - c],
                     [0, float(inp["end_arr"])]]}


def expansion(team: dict) -> dict:
    quarters = team["expansion_by_quarter"]["value"] or []
    return {"labels": [q["quarter"] for q in quarters],
            "values": [_f(q["expansion"]) for q in quarters]}


def north_star(star: dict | None) -> dict | None:
    """The team's North Star total per calendar month of the period (None: none named)."""
    if not star:
        return None
    return {"name": star["name"], "labels": [p["month"] for p in star["by_month"]],
            "values": [p["value"] for p in star["by_month"]]}


def dashboard_charts(session, data: dict, f: dict, as_of, currency: str,
                     rows: tuple | None = None) -> dict:
    """Every chart of the dashboard for the filters `f` (owner, segment, phase); `rows`: the
    stamp of the current rows when the figures come from them (the NRR/GRR series then comes
    from the points kept while the ARR timeline does not change, services.retention_series)."""
    scope = (f["owner"], f["segment"], f["phase"])
    ret = retention_series.retention_by_month(session, as_of, *scope) if rows is not None \
        else trends.retention_by_month(session, as_of, *scope)
    bands = trends.bands_by_month(session, as_of, *scope)
    return {
        "currency": currency,
        "bridge": bridge(data["team"]),
        "expansion": expansion(data["team"]),
        "north_star": north_star(data.get("north_star")),
        "retention": {"labels": [p["month"] for p in ret],
                      "nrr": [_pct(p["nrr"]) for p in ret],
                      "grr": [_pct(p["grr"]) for p in ret]},
        "bands": {"labels": [p["month"] for p in bands],
                  "series": [{"band": b, "values": [p[b] for p in bands]} for b in BANDS]},
    }
