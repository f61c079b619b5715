"""The backtest's figures from the cases (pure): confusion table, rates, ROC AUC, signals.

Every rate is `{"value", "numerator", "denominator"}` with `value` null when the
denominator is 0; ARR-weighted versions weigh each account by its start ARR `S`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from server.metrics.common import median
from server.metrics.config import SIGNAL_CODES

from .outcomes import OUTCOMES, Outcome

BANDS = ("good", "watch", "at_risk", "unknown")
PREDICTORS = {"at_risk": ("at_risk",), "at_risk_or_watch": ("at_risk", "watch")}


@dataclass(frozen=True)
class Case:
    """One cohort account: its outcome and its health on the observation day."""

    id: str
    name: str
    outcome: Outcome
    observed_on: date
    score: float | None
    band: str
    # code -> first day of its run (traced for churned accounts; None for the others)
    signals: Mapping[str, date | None] = field(default_factory=dict)


def rate(numerator: Any, denominator: Any) -> dict[str, Any]:
    """A rate with its counts; value None when the denominator is 0."""
    value = None
    if denominator:
        value = float(Decimal(numerator) / Decimal(denominator)) if isinstance(
            numerator, Decimal) or isinstance(denominator, Decimal) else numerator / denominator
    return {"value": value, "numerator": numerator, "denominator": denominator}


def _tally(cases: Iterable[Case]) -> dict[str, Any]:
    items = list(cases)
    return {"accounts": len(items), "arr": sum((c.outcome.start_arr for c in items), Decimal(0))}


def auc(cases: list[Case], weighted: bool = False) -> dict[str, Any]:
    """ROC AUC of the score as a churn predictor (a lower score should mean churn).

    Over every pair (churned p, not churned n) with a score: 1 when score(n) > score(p),
    1/2 when equal (ties; scores compared at 9 decimals), 0 otherwise; the mean over the
    pairs (weighted by S(p) * S(n) when weighted). Computed in one pass over the sorted
    scores. Accounts without a score (band unknown) are left out and counted.
    """
    scored = [c for c in cases if c.score is not None]
    w = (lambda c: c.outcome.start_arr) if weighted else (lambda c: 1)
    groups: dict[float, list[Case]] = {}
    for c in scored:
        groups.setdefault(round(c.score, 9), []).append(c)
    pos_total = sum((w(c) for c in scored if c.outcome.kind == "churned"), 0)
    neg_total = sum((w(c) for c in scored if c.outcome.kind != "churned"), 0)
    neg_at_or_below = 0
    credit: Any = 0
    for score in sorted(groups):
        group = groups[score]
        pos = sum((w(c) for c in group if c.outcome.kind == "churned"), 0)
        neg = sum((w(c) for c in group if c.outcome.kind != "churned"), 0)
        neg_at_or_below += neg
        credit += pos * (neg_total - neg_at_or_below) + pos * neg / 2
    pairs = pos_total * neg_total
    out = rate(credit, pairs)
    out.update({"positives": sum(1 for c in scored if c.outcome.kind == "churned"),
                "negatives": sum(1 for c in scored if c.outcome.kind != "churned"),
                "unscored": len(cases) - len(scored)})
    if out["value"] is not None:
        out["value"] = float(out["value"])
    return out


def _bands(cases: list[Case]) -> dict[str, Any]:
    out = {}
    for b in BANDS:
        inside = [c for c in cases if c.band == b]
        row: dict[str, Any] = _tally(inside)
        for o in OUTCOMES:
            row[o] = _tally(c for c in inside if c.outcome.kind == o)
        row["churn_rate"] = rate(row["churned"]["accounts"], row["accounts"])
        row["arr_churn_rate"] = rate(row["churned"]["arr"], row["arr"])
        out[b] = row
    return out


def _predictors(cases: list[Case]) -> dict[str, Any]:
    churned = [c for c in cases if c.outcome.kind == "churned"]
    out = {}
    for name, bands in PREDICTORS.items():
        flagged = [c for c in cases if c.band in bands]
        hits = [c for c in flagged if c.outcome.kind == "churned"]
        n, a = _tally(hits), _tally(flagged)
        ch = _tally(churned)
        out[name] = {"bands": list(bands), "flagged": a, "flagged_churned": n,
                     "precision": rate(n["accounts"], a["accounts"]),
                     "recall": rate(n["accounts"], ch["accounts"]),
                     "arr_precision": rate(n["arr"], a["arr"]),
                     "arr_recall": rate(n["arr"], ch["arr"])}
    return out


def _lead(values: list[int]) -> dict[str, Any]:
    if not values:
        return {"n": 0, "min": None, "median": None, "mean": None, "max": None}
    return {"n": len(values), "min": min(values), "median": median(values),
            "mean": sum(values) / len(values), "max": max(values)}


def _signals(cases: list[Case]) -> dict[str, Any]:
    codes = list(SIGNAL_CODES) + sorted({k for c in cases for k in c.signals} - set(SIGNAL_CODES))
    by = {o: [c for c in cases if c.outcome.kind == o] for o in OUTCOMES}
    out = {}
    for code in codes:
        fired = {o: [c for c in by[o] if code in c.signals] for o in OUTCOMES}
        ch, rt = _tally(fired["churned"]), _tally(fired["retained"])
        all_ch, all_rt = _tally(by["churned"]), _tally(by["retained"])
        leads = sorted((c.outcome.date - c.signals[code]).days for c in fired["churned"]
                       if c.signals[code] is not None)
        out[code] = {"fired": {o: len(fired[o]) for o in OUTCOMES},
                     "hit_rate": rate(ch["accounts"], all_ch["accounts"]),
                     "false_alarm_rate": rate(rt["accounts"], all_rt["accounts"]),
                     "arr_hit_rate": rate(ch["arr"], all_ch["arr"]),
                     "arr_false_alarm_rate": rate(rt["arr"], all_rt["arr"]),
                     "lead_time_days": _lead(leads)}
    return out


def summarize(cases: list[Case], start: date, end: date, horizon: int) -> dict[str, Any]:
    """Every figure of the backtest (keys: docs/backtest.md)."""
    cases = sorted(cases, key=lambda c: (OUTCOMES.index(c.outcome.kind), c.id))
    return {
        "start": start, "end": end, "horizon": horizon,
        "cohort": _tally(cases),
        "outcomes": {o: _tally(c for c in cases if c.outcome.kind == o) for o in OUTCOMES},
        "bands": _bands(cases),
        "predictors": _predictors(cases),
        "auc": auc(cases), "arr_auc": auc(cases, weighted=True),
        "signals": _signals(cases),
        "accounts": [{"id": c.id, "name": c.name, "outcome": c.outcome.kind,
                      "outcome_date": c.outcome.date, "start_arr": c.outcome.start_arr,
                      "end_arr": c.outcome.end_arr, "observed_on": c.observed_on,
                      "score": c.score, "band": c.band,
                      "signals": {k: v for k, v in sorted(c.signals.items())},
                      "lead_days": {k: (c.outcome.date - v).days
                                    for k, v in sorted(c.signals.items()) if v is not None}
                      if c.outcome.kind == "churned" else {}}
                     for c in cases],
    }
