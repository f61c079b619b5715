"""Stakeholders, the relationship score and its components, and the relationship signals."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from server.metrics import AccountFacts, Contact, MetricsConfig, health, relationship, signals
from server.metrics import support, usage
from server.metrics.config import HealthConfig, RelationshipConfig, SignalConfig
from server.metrics.stakeholders import contact_role, last_two_way
from server.metrics.types import Message, UserActivity

T = date(2026, 6, 30)
CFG = MetricsConfig()


def at(days_ago: int, hour: int = 10) -> datetime:
    return datetime(2026, 6, 30, hour, tzinfo=timezone.utc) - timedelta(days=days_ago)


def msg(mid, who, days_ago, direction="in", channel="email", thread=None, score=None,
        hour=10):
    return Message(id=mid, at=at(days_ago, hour), channel=channel, direction=direction,
                   sentiment=score, contact_email=who, thread_id=thread)


CONTACTS = (
    Contact("ann@acme.com", champion=True, name="Ann"),
    Contact("bob@acme.com", title="VP Engineering"),
    Contact("cat@acme.com", title="Director of IT"),
    Contact("dan@acme.com", title="CEO", role="user"),
    Contact("eve@acme.com", champion=True, active=False),
)
MESSAGES = (
    msg("1", "ann@acme.com", 2, "in", thread="t1", hour=10),
    msg("2", "ann@acme.com", 2, "out", thread="t1", hour=12),
    msg("3", "bob@acme.com", 5, "out", thread="t2"),
    msg("4", "cat@acme.com", 100, "in", channel="meeting"),
    msg("5", "zed@acme.com", 20, "in", channel="chat"),
)
FACTS = AccountFacts(contacts=CONTACTS, messages=MESSAGES,
                     user_activity={"ann@acme.com": UserActivity(date(2026, 6, 29), 12)})


def test_roles_come_from_the_role_field_then_champion_then_title():
    assert [contact_role(c) for c in CONTACTS] == [
        "champion", "executive_sponsor", "decision_maker", "user", "champion"]
    assert contact_role(Contact("x@a.com", title="Salesforce Administrator")) == "admin"
    assert contact_role(Contact("x@a.com", title="Analyst")) == "user"
    assert contact_role(Contact("x@a.com", title="Co-Founder & CTO")) == "executive_sponsor"


def test_stakeholders_and_the_score_components():
    rel = relationship(FACTS, Decimal(1000), CFG, T)
    people = [(p.email, p.role, p.engaged, p.messages_in_90d, p.messages_out_90d)
              for p in rel.stakeholders]
    assert people == [
        ("ann@acme.com", "champion", True, 1, 1),
        ("zed@acme.com", None, True, 1, 0),
        ("bob@acme.com", "executive_sponsor", False, 0, 1),   # only written to
        ("cat@acme.com", "decision_maker", False, 0, 0),      # met 100 days ago
        ("dan@acme.com", "user", False, 0, 0),
    ]
    ann = rel.stakeholders[0]
    assert ann.last_touch == at(2, 12) and ann.name == "Ann"
    assert ann.product == {"last_active_day": date(2026, 6, 29), "active_days_30d": 12}
    assert rel.stakeholders[3].last_touch == at(100)
    assert rel.stakeholders[1].product is None
    comps = {c.name: (c.input, c.score, c.weight) for c in rel.score_components}
    assert comps == {
        "coverage": ({"expected": ["champion", "decision_maker", "executive_sponsor"],
                      "engaged": ["champion"]}, pytest.approx(100 / 3), 30.0),
        "breadth": (2, 50.0, 20.0),
        "recency": (2, 100.0, 30.0),
        "executive_access": ([], 0.0, 20.0),
    }
    assert rel.score == pytest.approx((100 / 3 * 30 + 50 * 20 + 100 * 30) / 100)   # 50
    assert sum(c.points for c in rel.score_components) == pytest.approx(50.0)
    assert (rel.engaged_contacts, rel.last_two_way_at, rel.days_since_two_way) == (
        2, at(2, 12), 2)


def test_recency_falls_to_zero_at_90_days_and_executives_count():
    facts = replace(FACTS, messages=(msg("1", "bob@acme.com", 52, "in", thread="x"),
                                     msg("2", "bob@acme.com", 52, "out", thread="x", hour=11)))
    rel = relationship(facts, Decimal(0), CFG, T)
    comps = {c.name: (c.input, c.score) for c in rel.score_components}
    assert comps["recency"] == (52, pytest.approx(100 - (52 - 14) * 100 / 76))   # 50
    assert comps["executive_access"] == (["bob@acme.com"], 100.0)
    assert comps["coverage"][1] == pytest.approx(100 / 3)
    assert comps["breadth"] == (1, 25.0)


def test_out_of_order_threads_and_unknown_scores():
    # the reply lands first in the import; the thread is read in time order
    two = last_two_way([msg("b", "a@x.com", 1, "out", thread="t", hour=9),
                        msg("a", "a@x.com", 1, "in", thread="t", hour=8)])
    assert two == at(1, 9)
    assert last_two_way([msg("a", "a@x.com", 1, "in", thread="t"),
                         msg("b", "a@x.com", 0, "in", thread="t")]) is None
    assert last_two_way([msg("c", "a@x.com", 3, "out", channel="call")]) == at(3)
    empty = relationship(AccountFacts(contacts=CONTACTS), Decimal(0), CFG, T)
    assert (empty.score, empty.score_components, empty.engaged_contacts) == (None, (), 0)


def test_sentiment_and_relationship_are_optional_health_components():
    facts = replace(FACTS, messages=MESSAGES + (msg("s", "ann@acme.com", 0, score=0.4),))
    rel = relationship(facts, Decimal(0), CFG, T)
    sup, use = support([], T), usage(None, None, CFG, None, T)
    default = health(use, sup, rel, CFG)
    assert "sentiment" not in default.missing and "relationship" not in default.missing
    assert {c.name for c in default.components} == {"support"}
    weights = {**HealthConfig().weights, "sentiment": 10.0, "relationship": 10.0}
    on = health(use, sup, rel, replace(CFG, health=HealthConfig(weights=weights)))
    comps = {c.name: (c.input, c.score) for c in on.components}
    assert comps["sentiment"] == (pytest.approx(40.0), pytest.approx(70.0))
    assert comps["relationship"] == (pytest.approx(rel.score), pytest.approx(rel.score))
    assert on.score == pytest.approx((100 * 15 + 70 * 10 + rel.score * 10) / 35)


def fire(facts, arr=Decimal(1000), config=CFG):
    rel = relationship(facts, arr, config, T)
    return {s.code: s for s in signals(facts, usage(None, None, config, None, T),
                                       support([], T), rel, None, None, None, config, T, arr)}


def test_single_threaded_above_the_configured_arr():
    facts = replace(FACTS, messages=MESSAGES[:3])
    hit = fire(facts)["single_threaded"]
    assert (hit.severity, hit.reason) == (
        "medium", "Only one engaged contact in 90 days (ann@acme.com) on ARR 1000.00")
    assert "single_threaded" not in fire(facts, arr=Decimal(0))
    high = replace(CFG, signals=SignalConfig(single_threaded_min_arr=Decimal(1000)))
    assert "single_threaded" not in fire(facts, config=high)
    assert "single_threaded" not in fire(FACTS)      # two engaged


def test_sentiment_drop_at_20_points():
    def run(now):
        return fire(AccountFacts(messages=(msg("p", "a@x.com", 100, score=0.5),
                                           msg("n", "a@x.com", 10, score=now))))

    hit = run(0.3)["sentiment_drop"]
    assert hit.reason == "Sentiment fell 20.0 points (50.0 -> 30.0) vs the prior 90 days"
    assert "sentiment_drop" not in run(0.31)


def test_negative_message_from_a_champion_or_executive_in_7_days():
    def run(*extra):
        return fire(replace(FACTS, messages=MESSAGES + extra))

    hit = run(msg("n", "ann@acme.com", 6, score=-0.5))["negative_message"]
    assert (hit.severity, hit.since) == ("high", date(2026, 6, 24))
    assert hit.reason == ("Strongly negative email from ann@acme.com (champion) on "
                          "2026-06-24: sentiment -50.0")
    assert "negative_message" in run(msg("n", "bob@acme.com", 0, score=-0.9))
    assert "negative_message" not in run(msg("n", "ann@acme.com", 7, score=-0.9))
    assert "negative_message" not in run(msg("n", "ann@acme.com", 0, score=-0.49))
    assert "negative_message" not in run(msg("n", "zed@acme.com", 0, score=-0.9))
    assert "negative_message" not in run(msg("n", "ann@acme.com", 0, "out", score=-0.9))
    two = run(msg("n", "ann@acme.com", 6, score=-0.6), msg("m", "bob@acme.com", 1, score=-0.8))
    assert two["negative_message"].reason.endswith("; 2 such messages in 7 days")


def test_relationship_settings():
    cfg = replace(CFG, relationship=RelationshipConfig(expected_roles=("champion",),
                                                       breadth_target=2))
    rel = relationship(FACTS, Decimal(0), cfg, T)
    comps = {c.name: c.score for c in rel.score_components}
    assert comps["coverage"] == 100.0 and comps["breadth"] == 100.0
