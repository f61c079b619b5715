"""Stakeholders and the relationship score (section 4): who we talk to at the account.

A contact's role is its `role` field, else `champion` when flagged, else read from its
title (C-level, founder, president, VP: executive_sponsor; director, head of:
decision_maker; admin: admin; otherwise user). A person is *engaged* when, in the last 90
days, they wrote to us (an inbound message) or took part in a call or meeting. The score is
the weighted mean of four components, each reported with input, score, weight and points.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from .common import Component, Output, in_window, utc_day, window
from .config import RelationshipConfig
from .types import Contact, Message, UserActivity

EXECUTIVE_ROLES = ("executive_sponsor", "economic_buyer")
CONVERSATIONS = ("call", "meeting")
LABELS = {"coverage": "Role coverage", "breadth": "Breadth", "recency": "Last two-way exchange",
          "executive_access": "Executive access"}
_EXEC = re.compile(r"\b(ceo|cfo|cto|coo|cio|cro|cmo|cso|chief|president|founder|co-founder|"
                   r"owner|vp|svp|evp|vice president)\b")
_DECIDER = re.compile(r"\b(director|head)\b")
_ADMIN = re.compile(r"\badmin")


def contact_role(contact: Contact) -> str:
    """The stakeholder role of a contact (its own field first, then champion, then title)."""
    if contact.role:
        return contact.role
    if contact.champion:
        return "champion"
    title = (contact.title or "").lower()
    if _EXEC.search(title):
        return "executive_sponsor"
    if _DECIDER.search(title):
        return "decision_maker"
    return "admin" if _ADMIN.search(title) else "user"


@dataclass(frozen=True)
class Stakeholder(Output):
    """A person at the account: role, last touch, messages in/out in 90 days, product use."""

    email: str
    name: str | None
    title: str | None
    role: str | None
    engaged: bool
    last_touch: datetime | None
    messages_in_90d: int
    messages_out_90d: int
    product: dict[str, Any] | None  # last_active_day, active_days_30d (user id known)


@dataclass(frozen=True)
class RelationshipScore(Output):
    score: float | None
    components: tuple[Component, ...]
    engaged_contacts: int
    last_two_way_at: datetime | None
    days_since_two_way: int | None


def last_two_way(messages: Iterable[Message]) -> datetime | None:
    """The latest time a conversation went both ways: a call or meeting, or a message that
    follows one of the other direction in its thread (thread_id, else channel and contact)."""
    latest = None
    threads: dict[Any, list[Message]] = {}
    for m in messages:
        if m.channel in CONVERSATIONS:
            latest = m.at if latest is None or m.at > latest else latest
            continue
        key = m.thread_id or ((m.channel, m.contact_email) if m.contact_email else None)
        if key is not None:
            threads.setdefault(key, []).append(m)
    for items in threads.values():
        items.sort(key=lambda m: (m.at, m.id))
        for prev, cur in zip(items, items[1:]):
            if prev.direction != cur.direction and (latest is None or cur.at > latest):
                latest = cur.at
    return latest


def _product(activity: UserActivity | None) -> dict[str, Any] | None:
    if activity is None:
        return None
    return {"last_active_day": activity.last_active_day,
            "active_days_30d": activity.active_days_30d}


def _recency_score(days: int, cfg: RelationshipConfig) -> float:
    if days <= cfg.recency_full_days:
        return 100.0
    span = cfg.recency_zero_days - cfg.recency_full_days
    return max(0.0, 100.0 - (days - cfg.recency_full_days) * 100.0 / span)


def stakeholders(contacts: Iterable[Contact], messages: Iterable[Message],
                 activity: dict[str, UserActivity] | None, cfg: RelationshipConfig,
                 as_of: date) -> list[Stakeholder]:
    """Active contacts and every other person we exchanged messages with, engaged first,
    then by last touch (newest first); at most cfg.stakeholders_max."""
    bounds = window(as_of, cfg.window_days)
    people: dict[str, dict] = {}
    for c in contacts:
        if c.active:
            people[c.email.lower()] = {"contact": c, "in": 0, "out": 0, "last": None,
                                       "engaged": False}
    for m in messages:
        if not m.contact_email or utc_day(m.at) > as_of:
            continue
        p = people.setdefault(m.contact_email.lower(), {"contact": None, "in": 0, "out": 0,
                                                        "last": None, "engaged": False})
        p["last"] = m.at if p["last"] is None or m.at > p["last"] else p["last"]
        if in_window(utc_day(m.at), bounds):
            p["in" if m.direction == "in" else "out"] += 1
            if m.direction == "in" or m.channel in CONVERSATIONS:
                p["engaged"] = True
    out = []
    for email, p in people.items():
        c = p["contact"]
        user = (c.user_id or c.email) if c is not None else email
        out.append(Stakeholder(
            email=email, name=c.name if c else None, title=c.title if c else None,
            role=contact_role(c) if c else None, engaged=p["engaged"], last_touch=p["last"],
            messages_in_90d=p["in"], messages_out_90d=p["out"],
            product=_product((activity or {}).get(user))))
    out.sort(key=lambda s: (not s.engaged, -(s.last_touch.timestamp() if s.last_touch else 0),
                            s.email))
    return out


def relationship_score(people: list[Stakeholder], messages: tuple[Message, ...],
                       cfg: RelationshipConfig, as_of: date) -> RelationshipScore:
    """Coverage of the expected roles, breadth, recency of the last two-way exchange and
    executive access; None (unknown) when the account has no message at all."""
    engaged = [p for p in people if p.engaged]
    seen = [m for m in messages if utc_day(m.at) <= as_of]
    two_way = last_two_way(seen)
    days = (as_of - utc_day(two_way)).days if two_way is not None else None
    if not seen:
        return RelationshipScore(None, (), len(engaged), None, None)
    roles = {p.role for p in engaged}
    covered = [r for r in cfg.expected_roles if r in roles]
    execs = sorted(p.email for p in engaged if p.role in EXECUTIVE_ROLES)
    raw = {
        "coverage": ({"expected": list(cfg.expected_roles), "engaged": covered},
                     100.0 * len(covered) / len(cfg.expected_roles) if cfg.expected_roles
                     else 100.0),
        "breadth": (len(engaged), min(100.0, 100.0 * len(engaged) / cfg.breadth_target)),
        "recency": (days, _recency_score(days, cfg) if days is not None else 0.0),
        "executive_access": (execs, 100.0 if execs else 0.0),
    }
    weights = {k: float(cfg.weights.get(k, 0)) for k in raw}
    total = sum(w for w in weights.values() if w > 0)
    if not total:
        return RelationshipScore(None, (), len(engaged), two_way, days)
    comps = tuple(Component(name=k, label=LABELS[k], input=v, score=s, weight=weights[k],
                            points=s * weights[k] / total)
                  for k, (v, s) in raw.items() if weights[k] > 0)
    return RelationshipScore(score=sum(c.points for c in comps), components=comps,
                             engaged_contacts=len(engaged), last_two_way_at=two_way,
                             days_since_two_way=days)
