"""Early warning signals (section 6): each with severity, a one-line reason and since-date."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from .common import EPSILON, Output, in_window, utc_day, window
from .config import SIGNAL_CODES, MetricsConfig
from .health import Health
from .relationship import Relationship, nps_category
from .revenue import Renewal
from .stakeholders import EXECUTIVE_ROLES, contact_role
from .support import Support, aging_urgent_tickets
from .types import AccountFacts
from .usage import Usage

_SEVERITY_RANK = {"high": 0, "medium": 1, "low": 2}


@dataclass(frozen=True)
class Signal(Output):
    """A fired warning; since is the day it first fired when the data tells, else None."""

    code: str
    severity: str
    reason: str
    since: date | None = None


def _pct(fraction: float) -> str:
    return f"{fraction * 100:.1f}%"


def _num(value: float) -> str:
    return f"{value:.1f}"


def _usage_drop(usage, cfg):
    if usage is None or usage.trend is None or usage.trend > cfg.usage_drop_trend + EPSILON:
        return None
    return (f"Active users fell {_pct(-usage.trend)} ({usage.active_users_prior_30d} -> "
            f"{usage.active_users_30d}) vs prior 30 days", None)


def _inactive(usage, cfg):
    if usage is None or usage.days_since_last_activity is None:
        return None
    days = usage.days_since_last_activity
    if days < cfg.inactive_days:
        return None
    return (f"No product activity for {days} days (last event {usage.last_activity_date})",
            usage.last_activity_date + timedelta(days=cfg.inactive_days))


def _renewal_risk(renewal, health, cfg):
    days = renewal.days_to_renewal if renewal is not None else None
    if days is None or days > cfg.renewal_risk_days:
        return None
    if health is None or health.score is None or health.score >= cfg.renewal_risk_health:
        return None
    return (f"Renewal in {days} days ({renewal.renewal_date}) with health "
            f"{_num(health.score)} (< {_num(cfg.renewal_risk_health)})",
            renewal.renewal_date - timedelta(days=cfg.renewal_risk_days))


def _health_drop(health, before, cfg):
    if health is None or health.score is None or before is None:
        return None
    drop = before - health.score
    if drop < cfg.health_drop_points - EPSILON:
        return None
    return (f"Health fell {_num(drop)} points ({_num(before)} -> {_num(health.score)}) "
            f"vs 30 days ago", None)


def _ticket_spike(support, cfg):
    now, prior = support.volume_30d, support.volume_prior_30d
    if now < cfg.ticket_spike_min or now < cfg.ticket_spike_ratio * prior:
        return None
    return (f"{now} tickets in the last 30 days vs {prior} in the prior 30 days", None)


def _urgent_ticket_aging(facts, cfg, as_of):
    aging = aging_urgent_tickets(facts.tickets, as_of, cfg.urgent_ticket_age_days)
    if not aging:
        return None
    oldest = aging[0]
    age = (as_of - utc_day(oldest.created_at)).days
    count = f"{len(aging)} high/urgent tickets" if len(aging) > 1 else "1 high/urgent ticket"
    return (f"{count} open > {cfg.urgent_ticket_age_days} days (oldest #{oldest.id}, "
            f"{oldest.priority}, opened {utc_day(oldest.created_at)}, {age} days)",
            utc_day(oldest.created_at + timedelta(days=cfg.urgent_ticket_age_days)))


def _detractor(facts, cfg, as_of):
    bounds = window(as_of, cfg.detractor_days)
    hits = sorted((r for r in facts.nps
                   if in_window(r.date, bounds) and 0 <= r.score <= cfg.detractor_max_score),
                  key=lambda r: (r.date, r.id or ""))
    if not hits:
        return None
    last = hits[-1]
    who = last.contact_email or "an anonymous respondent"
    more = ""
    if len(hits) > 1:
        more = f"; {len(hits)} detractor responses in {cfg.detractor_days} days"
    return (f"NPS {last.score} ({nps_category(last.score)}) from {who} on {last.date}{more}",
            hits[0].date)


def _low_seat_utilization(usage, cfg):
    if usage is None or usage.seat_utilization is None:
        return None
    if usage.seat_utilization >= cfg.low_seat_utilization - EPSILON:
        return None
    return (f"Seat utilization {_pct(usage.seat_utilization)} ({usage.active_users_30d} of "
            f"{usage.seats} seats active) < {_pct(cfg.low_seat_utilization)}", None)


def _no_touch(relationship, renewal, cfg, as_of):
    days = relationship.days_since_last_touchpoint if relationship is not None else None
    if days is not None:
        if days < cfg.no_touch_days:
            return None
        return (f"No CSM touchpoint for {days} days (last {relationship.last_touchpoint_date})",
                relationship.last_touchpoint_date + timedelta(days=cfg.no_touch_days))
    # never touched: count from the onboarding start (unknown start: cannot tell, no signal)
    start = renewal.onboarding_start if renewal is not None else None
    if start is None or (as_of - start).days < cfg.no_touch_days:
        return None
    return (f"No CSM touchpoint on record since onboarding start {start}",
            start + timedelta(days=cfg.no_touch_days))


def _champion_left(facts, as_of):
    gone = [(c, "inactive") for c in facts.contacts if c.champion and not c.active]
    gone += [(c, "removed") for c in facts.former_champions]
    gone = [(c, how) for c, how in gone if c.inactive_since is None or c.inactive_since <= as_of]
    if not gone:
        return None
    text = ", ".join(f"{c.email} ({how})" for c, how in gone)
    dates = [c.inactive_since for c, _ in gone]
    since = min(dates) if all(d is not None for d in dates) else None
    label = "Champion" if len(gone) == 1 else "Champions"
    return (f"{label} left: {text}", since)


def _single_threaded(relationship, arr, cfg):
    if relationship is None or arr is None or relationship.engaged_contacts != 1:
        return None
    if arr <= cfg.single_threaded_min_arr:
        return None
    who = next(p.email for p in relationship.stakeholders if p.engaged)
    return (f"Only one engaged contact in 90 days ({who}) on ARR {arr:.2f}", None)


def _sentiment_drop(relationship, cfg):
    s = relationship.sentiment if relationship is not None else None
    if s is None or s.change_90d is None or s.change_90d > -cfg.sentiment_drop_points + EPSILON:
        return None
    return (f"Sentiment fell {_num(-s.change_90d)} points ({_num(s.prior_score)} -> "
            f"{_num(s.score)}) vs the prior 90 days", None)


def _negative_message(facts, cfg, as_of):
    key_people = {}
    for c in facts.contacts:
        role = contact_role(c)
        if role == "champion" or role in EXECUTIVE_ROLES:
            key_people[c.email.lower()] = role
    bounds = window(as_of, cfg.negative_message_days)
    hits = sorted((m for m in facts.messages
                   if m.direction == "in" and m.sentiment is not None
                   and 100 * m.sentiment <= cfg.negative_message_score + EPSILON
                   and in_window(utc_day(m.at), bounds)
                   and (m.contact_email or "").lower() in key_people),
                  key=lambda m: (m.at, m.id))
    if not hits:
        return None
    last = hits[-1]
    who = last.contact_email.lower()
    more = f"; {len(hits)} such messages in {cfg.negative_message_days} days" if len(
        hits) > 1 else ""
    return (f"Strongly negative {last.channel} from {who} ({key_people[who]}) on "
            f"{utc_day(last.at)}: sentiment {_num(100 * last.sentiment)}{more}",
            utc_day(hits[0].at))


def signals(facts: AccountFacts, usage: Usage | None, support: Support,
            relationship: Relationship | None, health: Health | None,
            health_30d_ago: float | None, renewal: Renewal | None, config: MetricsConfig,
            as_of: date, arr: Decimal | None = None) -> list[Signal]:
    """Every early-warning signal that fires as of a day, most severe first."""
    cfg = config.signals
    found = {
        "usage_drop": _usage_drop(usage, cfg),
        "inactive": _inactive(usage, cfg),
        "renewal_risk": _renewal_risk(renewal, health, cfg),
        "health_drop": _health_drop(health, health_30d_ago, cfg),
        "ticket_spike": _ticket_spike(support, cfg),
        "urgent_ticket_aging": _urgent_ticket_aging(facts, cfg, as_of),
        "detractor": _detractor(facts, cfg, as_of),
        "low_seat_utilization": _low_seat_utilization(usage, cfg),
        "no_touch": _no_touch(relationship, renewal, cfg, as_of),
        "champion_left": _champion_left(facts, as_of),
        "single_threaded": _single_threaded(relationship, arr, cfg),
        "sentiment_drop": _sentiment_drop(relationship, cfg),
        "negative_message": _negative_message(facts, cfg, as_of),
    }
    out = [Signal(code=code, severity=cfg.severity(code), reason=hit[0], since=hit[1])
           for code in SIGNAL_CODES if (hit := found[code]) is not None]
    out.sort(key=lambda s: _SEVERITY_RANK.get(s.severity, 3))
    return out
