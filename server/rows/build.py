"""Turns one account's evaluation into its rows: current figures, the day's history, timeline.

No queries here: the refresh and history modules load, this module shapes.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from datetime import date, datetime

from server import metrics as mx
from server.rows.models import UNKNOWN_KEY
from server.rows.money import CENT, money  # noqa: F401  (build.money, build.CENT)
from server.rows.periods import team_columns

NO_RENEWAL = date(9999, 12, 31)


_VERSIONS: dict[int, tuple[object, str]] = {}


def settings_version(settings) -> str:
    """A short digest of the effective metric settings; rows carry the one they were computed with.

    Remembered per settings object (every read checks it): the settings are not changed in
    place, a change makes a new object."""
    metrics = settings.metrics
    known = _VERSIONS.get(id(metrics))
    if known is not None and known[0] is metrics:
        return known[1]
    basis = json.dumps(asdict(metrics), sort_keys=True, default=_plain)
    version = hashlib.sha256(basis.encode()).hexdigest()[:12]
    if len(_VERSIONS) > 32:
        _VERSIONS.clear()
    _VERSIONS[id(metrics)] = (metrics, version)
    return version


def _plain(value):
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    return str(value)


def signal_runs(codes: list[str], prev_codes, prev_runs, as_of: date,
                walk=None) -> dict[str, date]:
    """First day of each firing code's unbroken daily run, chained from yesterday's row.

    `walk()` reads the run starts from the stored history; it is used only when yesterday's
    row has the code but not its run start (a row written before runs were kept).
    """
    out: dict[str, date] = {}
    walked = None
    for code in codes:
        if prev_codes is None or code not in prev_codes:
            out[code] = as_of
            continue
        start = (prev_runs or {}).get(code)
        if start is None and walk is not None:
            walked = walk() if walked is None else walked
            start = walked.get(code)
        out[code] = date.fromisoformat(start) if isinstance(start, str) else (start or as_of)
    return out


def signal_items(ev, runs: dict[str, date]) -> list[dict]:
    """The signals as the 360 shows them: a signal without its own since gets its run start."""
    items = []
    for s in ev.signals:
        item = s.to_dict()
        if item.get("since") is None:
            item["since"] = runs.get(s.code).isoformat() if runs.get(s.code) else None
        items.append(item)
    return items


def current_row(acc, facts, ev, as_of: date, version: str, runs: dict[str, date],
                now: datetime) -> dict:
    """The row of current figures of one account."""
    rev, use, sup, rel, hl = ev.revenue, ev.usage, ev.support, ev.relationship, ev.health
    mv = rev.movements
    change = None
    if hl.score is not None and ev.health_30d_ago is not None:
        change = hl.score - ev.health_30d_ago
    signals = signal_items(ev, runs)
    return team_columns(acc, ev, {
        "account_id": acc.id, "as_of": as_of, "settings_version": version, "computed_at": now,
        "name_key": (acc.name or "").lower(), "owner_key": (acc.owner or "").lower() or None,
        "segment": acc.segment,
        "arr": money(rev.arr), "mrr": money(rev.mrr), "had_arr": rev.had_arr_before,
        "period_start": mv.start, "period_end": mv.end,
        "start_arr": money(mv.start_arr), "end_arr": money(mv.end_arr),
        "expansion": money(mv.expansion), "contraction": money(mv.contraction),
        "churn": money(mv.churn), "new_arr": money(mv.new), "upsell": money(mv.upsell),
        "cross_sell": money(mv.cross_sell), "nrr_contribution": money(mv.nrr_contribution),
        "renewal_date": rev.renewal.renewal_date, "days_to_renewal": rev.renewal.days_to_renewal,
        "renewal_key": rev.renewal.renewal_date or NO_RENEWAL,
        "onboarding_start": use.onboarding_start,
        "health_score": hl.score, "health_key": -1.0 if hl.score is None else hl.score,
        "band": hl.band, "health_components": [c.to_dict() for c in hl.components],
        "health_30d_ago": ev.health_30d_ago, "health_change_30d": change,
        "signals": signals, "signal_count": len(signals), "phase": ev.phase,
        "active_users_30d": use.active_users_30d,
        "active_users_prior_30d": use.active_users_prior_30d, "usage_trend": use.trend,
        "seat_utilization": use.seat_utilization, "adoption_breadth": use.adoption_breadth,
        "days_since_last_activity": use.days_since_last_activity,
        "time_to_first_value_days": use.time_to_first_value_days,
        "open_tickets": dict(sup.open_by_priority), "open_tickets_total": sup.open_total,
        "first_response_hours": mx.response_hours(facts.tickets, as_of),
        "resolution_hours": mx.resolution_hours(facts.tickets, as_of),
        "days_since_last_touchpoint": rel.days_since_last_touchpoint,
        "touchpoints_90d": rel.touchpoints_90d,
        "nps": rel.nps.score, "nps_promoters": rel.nps.promoters,
        "nps_passives": rel.nps.passives, "nps_detractors": rel.nps.detractors,
        "ces_mean": rel.ces.mean, "ces_responses": rel.ces.responses,
        "onboarding_mean": rel.onboarding_rating.mean,
        "onboarding_responses": rel.onboarding_rating.responses,
        "advocacy_365d": rel.advocacy.count_365d,
        "sentiment": rel.sentiment.score, "sentiment_change_90d": rel.sentiment.change_90d,
        "sentiment_messages": rel.sentiment.messages, "relationship_score": rel.score,
        "engaged_contacts": rel.engaged_contacts,
        "reply_hours": mx.reply_pairs(facts.messages, as_of)[0],
        "replies_unanswered": rel.response_time.unanswered,
        "north_star_value": ev.north_star.value if ev.north_star is not None else None,
        "north_star_change": ev.north_star.change if ev.north_star is not None else None,
        "reply_median_hours": rel.response_time.median_hours,
        **sort_keys(ev),
    })


def _key(value):
    return UNKNOWN_KEY if value is None else value


def sort_keys(ev) -> dict:
    """The sort keys of the relationship figures (unknown: UNKNOWN_KEY, after any value)."""
    rel = ev.relationship
    return {"relationship_key": _key(rel.score), "sentiment_key": _key(rel.sentiment.score),
            "sentiment_change_key": _key(rel.sentiment.change_90d),
            "reply_key": _key(rel.response_time.median_hours),
            "north_star_key": _key(ev.north_star.value if ev.north_star is not None else None)}


def day_row(account_id: str, ev, day: date, version: str, runs: dict[str, date]) -> dict:
    """The history row of one account for one day."""
    hl, use, rel = ev.health, ev.usage, ev.relationship
    return {
        "account_id": account_id, "day": day, "score": hl.score, "band": hl.band,
        "components": {c.name: c.score for c in hl.components},
        "signals": sorted(s.code for s in ev.signals),
        "signal_runs": {c: d.isoformat() for c, d in sorted(runs.items())},
        "phase": ev.phase, "arr": money(ev.revenue.arr),
        "active_users_30d": use.active_users_30d, "usage_trend": use.trend,
        "days_to_renewal": ev.revenue.renewal.days_to_renewal, "settings_version": version,
        "relationship": rel.score, "sentiment": rel.sentiment.score,
        "sentiment_change_90d": rel.sentiment.change_90d,
        "reply_hours": rel.response_time.median_hours,
        "north_star": ev.north_star.value if ev.north_star is not None else None,
    }


def timeline_rows(account_id: str, changes) -> list[dict]:
    """The account's ARR timeline rows."""
    return [{"account_id": account_id, "seq": i, "date": c.date, "kind": c.kind,
             "deal_id": c.deal_id, "before": money(c.before), "after": money(c.after),
             "expansion_type": c.expansion_type, "status": c.status}
            for i, c in enumerate(changes)]


def child_rows(row: dict, owner: str | None) -> tuple[list[dict], list[dict]]:
    """The account_signals and ticket_hours rows of one current row."""
    acc = row["account_id"]
    signals = [{"account_id": acc, "code": s["code"], "severity": s["severity"], "owner": owner}
               for s in row["signals"]]
    hours = [{"account_id": acc, "kind": kind, "seq": i, "hours": h, "owner": owner}
             for kind, values in (("response", row["first_response_hours"]),
                                  ("resolution", row["resolution_hours"]),
                                  ("reply", row["reply_hours"]))
             for i, h in enumerate(values)]
    return signals, hours
