"""The backtest as plain text (the command line's default output; pure)."""

from __future__ import annotations

import json
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from .figures import BANDS
from .outcomes import OUTCOMES


def pct(r: dict[str, Any]) -> str:
    """A rate as '75.0% (3/4)', 'n/a (0/0)' when its denominator is 0."""
    value = "n/a" if r["value"] is None else f"{r['value'] * 100:.1f}%"
    return f"{value} ({_n(r['numerator'])}/{_n(r['denominator'])})"


def _n(x: Any) -> str:
    if isinstance(x, (Decimal, float)):
        return f"{x:,.0f}" if float(x).is_integer() or abs(x) >= 100 else f"{x:,.1f}"
    return f"{x:,}"


def _table(rows: list[list[str]]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]


def text(bt: dict[str, Any]) -> str:
    """Every figure of a backtest, as tables."""
    out = [f"backtest {bt['start']}..{bt['end']}, horizon {bt['horizon']} days, "
           f"settings {bt['settings_version']}",
           f"cohort (ARR > 0 at start): {bt['cohort']['accounts']} accounts, "
           f"ARR {_n(bt['cohort']['arr'])}",
           "outcomes: " + ", ".join(f"{o} {bt['outcomes'][o]['accounts']} "
                                    f"({_n(bt['outcomes'][o]['arr'])})" for o in OUTCOMES), ""]
    rows = [["band", "accounts", *OUTCOMES, "churn rate", "ARR churn rate"]]
    for b in BANDS:
        row = bt["bands"][b]
        rows.append([b, str(row["accounts"]), *(str(row[o]["accounts"]) for o in OUTCOMES),
                     pct(row["churn_rate"]), pct(row["arr_churn_rate"])])
    out += _table(rows) + [""]
    rows = [["churn predictor", "precision", "recall", "ARR precision", "ARR recall"]]
    for name, p in bt["predictors"].items():
        rows.append([name, pct(p["precision"]), pct(p["recall"]), pct(p["arr_precision"]),
                     pct(p["arr_recall"])])
    out += _table(rows) + [""]
    auc, wauc = bt["auc"], bt["arr_auc"]
    value = "n/a" if auc["value"] is None else f"{auc['value']:.3f}"
    wvalue = "n/a" if wauc["value"] is None else f"{wauc['value']:.3f}"
    out += [f"ROC AUC of the score: {value} ({auc['positives']} churned x {auc['negatives']} "
            f"not churned, {auc['unscored']} without a score); ARR-weighted {wvalue}", ""]
    rows = [["signal", "fired ch/co/re/ex", "hit rate", "false alarms", "ARR hit rate",
             "lead days median (min-max)"]]
    for code, s in bt["signals"].items():
        lead = s["lead_time_days"]
        lead_text = "n/a" if not lead["n"] else f"{lead['median']:g} ({lead['min']}-{lead['max']})"
        rows.append([code, "/".join(str(s["fired"][o]) for o in OUTCOMES), pct(s["hit_rate"]),
                     pct(s["false_alarm_rate"]), pct(s["arr_hit_rate"]), lead_text])
    out += _table(rows)
    return "\n".join(out)


def _plain(o: Any) -> Any:
    if isinstance(o, Decimal):
        return float(o.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))
    if isinstance(o, date):
        return o.isoformat()
    raise TypeError(f"not JSON: {type(o).__name__}")


def to_json(bt: dict[str, Any]) -> str:
    """The backtest as JSON, as the API writes it (money as numbers with two decimals)."""
    return json.dumps(bt, default=_plain, indent=2)


def _num(r: dict[str, Any] | None) -> str:
    return "n/a" if r is None or r["value"] is None else f"{r['value']:.3f}"


def side_by_side(current: dict[str, Any], proposed: dict[str, Any]) -> list[list[str]]:
    """[figure, current, proposed] rows: AUC, precision and recall, churn rate per band."""
    rows = [["figure", "current", "proposed"],
            ["ROC AUC", _num(current["auc"]), _num(proposed["auc"])],
            ["ARR-weighted ROC AUC", _num(current["arr_auc"]), _num(proposed["arr_auc"])]]
    for name in current["predictors"]:
        for key in ("precision", "recall"):
            rows.append([f"{name} {key}", pct(current["predictors"][name][key]),
                         pct(proposed["predictors"][name][key])])
    for b in BANDS:
        rows.append([f"churn rate {b}", pct(current["bands"][b]["churn_rate"]),
                     pct(proposed["bands"][b]["churn_rate"])])
    return rows


def preview_text(p: dict[str, Any]) -> str:
    """The preview of a proposed settings file, as text."""
    cur = p["current"]
    name = f"settings version {cur['version']}" if cur["version"] else "the current settings"
    out = [f"preview as of {p['as_of']}: proposed (digest {p['proposed']['digest']}) vs {name} "
           f"(digest {cur['digest']}); nothing is saved", "changes:"]
    out += [f"  {c['key']}: {json.dumps(c['before'])} -> {json.dumps(c['after'])}"
            for c in p["diff"]] or ["  (none)"]
    counts = p["band_counts"]
    out.append("bands: " + ", ".join(
        f"{b} {counts['current'].get(b, 0)} -> {counts['proposed'].get(b, 0)}" for b in BANDS))
    out.append(f"accounts changing band ({len(p['band_changes'])}):")
    for c in p["band_changes"]:
        scores = " -> ".join("n/a" if x is None else f"{x:.1f}"
                             for x in (c["score_from"], c["score_to"]))
        out.append(f"  {c['id']} {c['name']}: {c['from']} -> {c['to']} ({scores})")
    out.append(f"accounts whose signals change ({len(p['signal_changes'])}):")
    for c in p["signal_changes"]:
        moves = [f"+{x}" for x in c["appear"]] + [f"-{x}" for x in c["disappear"]]
        out.append(f"  {c['id']} {c['name']}: {' '.join(moves)}")
    bt = p["backtest"]
    out.append(f"backtest {bt['current']['start']}..{bt['current']['end']}, horizon "
               f"{bt['current']['horizon']} days:")
    out += ["  " + line for line in _table(side_by_side(bt["current"], bt["proposed"]))]
    return "\n".join(out)
