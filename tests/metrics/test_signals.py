"""Every early-warning signal, firing at its threshold and not just beside it (section 6)."""

from dataclasses import replace
from datetime import date, datetime, timezone
from decimal import Decimal

from server.metrics import (
    AccountFacts,
    Contact,
    Health,
    MetricsConfig,
    NpsResponse,
    Renewal,
    SignalConfig,
    Ticket,
    relationship,
    signals,
    support,
    usage,
)

T = date(2026, 3, 31)
CFG = MetricsConfig()
NO_USAGE = usage(None, None, CFG, None, T)
NO_TICKETS = support([], T)
NO_REL = relationship(AccountFacts(), Decimal(0), CFG, T)


def fire(facts=AccountFacts(), usage=NO_USAGE, support=NO_TICKETS, rel=NO_REL, score=None,
         before=None, renewal=None, config=CFG, as_of=T):
    h = Health(score=score, band="x", components=())
    return {s.code: s for s in signals(facts, usage, support, rel, h, before, renewal, config,
                                       as_of)}


def test_nothing_fires_on_an_empty_account():
    assert fire() == {}


def test_usage_drop_at_minus_30_percent():
    drop = fire(usage=replace(NO_USAGE, trend=-0.3, active_users_30d=7,
                              active_users_prior_30d=10))["usage_drop"]
    assert drop.severity == "high" and drop.since is None
    assert drop.reason == "Active users fell 30.0% (10 -> 7) vs prior 30 days"
    assert "usage_drop" in fire(usage=replace(NO_USAGE, trend=(70 - 100) / 100))
    assert "usage_drop" not in fire(usage=replace(NO_USAGE, trend=(71 - 100) / 100))


def test_inactive_after_14_days():
    def run(last):
        return fire(usage=replace(NO_USAGE, last_activity_date=last,
                                  days_since_last_activity=(T - last).days))

    hit = run(date(2026, 3, 17))["inactive"]  # T-14
    assert hit.since == date(2026, 3, 31)  # last event + 14
    assert "14 days" in hit.reason
    assert "inactive" not in run(date(2026, 3, 18))  # T-13
    assert "inactive" not in fire()  # never had events


def test_renewal_risk_within_90_days_and_health_below_60():
    ren = Renewal(renewal_date=date(2026, 6, 29), days_to_renewal=90, onboarding_start=None)
    hit = fire(renewal=ren, score=59.9)["renewal_risk"]
    assert hit.since == date(2026, 3, 31)  # 2026-06-29 - 90 days
    assert hit.severity == "high" and "90 days" in hit.reason and "59.9" in hit.reason
    assert "renewal_risk" not in fire(renewal=ren, score=60.0)
    assert "renewal_risk" not in fire(renewal=ren, score=None)
    later = replace(ren, renewal_date=date(2026, 6, 30), days_to_renewal=91)
    assert "renewal_risk" not in fire(renewal=later, score=10.0)


def test_health_drop_of_15_points():
    hit = fire(score=55.0, before=70.0)["health_drop"]
    assert hit.severity == "medium" and hit.reason == (
        "Health fell 15.0 points (70.0 -> 55.0) vs 30 days ago")
    assert "health_drop" in fire(score=55.1, before=70.1)  # 15 up to float noise
    assert "health_drop" not in fire(score=55.1, before=70.0)  # 14.9
    assert "health_drop" not in fire(score=55.0, before=None)


def test_ticket_spike_double_and_at_least_three():
    def run(now, prior):
        return fire(support=replace(NO_TICKETS, volume_30d=now, volume_prior_30d=prior))

    assert run(3, 1)["ticket_spike"].reason == (
        "3 tickets in the last 30 days vs 1 in the prior 30 days")
    assert "ticket_spike" in run(4, 2)  # exactly 2x
    assert "ticket_spike" not in run(3, 2)  # 3 < 4
    assert "ticket_spike" not in run(2, 0)  # fewer than 3
    assert "ticket_spike" in run(3, 0)


def test_urgent_ticket_aging_more_than_three_days():
    t = Ticket(id="42", status="open", priority="high",
               created_at=datetime(2026, 3, 27, 9, 0, tzinfo=timezone.utc))
    facts = AccountFacts(tickets=(t,))
    hit = fire(facts=facts)["urgent_ticket_aging"]  # open since 03-27 09:00, > 72 h on 03-30
    assert hit.since == date(2026, 3, 30)  # created + 3 days
    assert "#42" in hit.reason and "4 days" in hit.reason
    assert "urgent_ticket_aging" not in fire(facts=facts, as_of=date(2026, 3, 29))
    solved = replace(t, status="solved", solved_at=datetime(2026, 3, 28, tzinfo=timezone.utc))
    assert "urgent_ticket_aging" not in fire(facts=AccountFacts(tickets=(solved,)))
    low = replace(t, priority="low")
    assert "urgent_ticket_aging" not in fire(facts=AccountFacts(tickets=(low,)))


def test_detractor_response_in_last_30_days():
    def run(*responses):
        return fire(facts=AccountFacts(nps=tuple(responses)))

    edge = NpsResponse(score=6, date=date(2026, 3, 2), contact_email="a@x.com")  # T-29
    later = NpsResponse(score=2, date=date(2026, 3, 20), contact_email="b@x.com")
    hit = run(edge, later)["detractor"]
    assert hit.since == date(2026, 3, 2)
    assert hit.reason == ("NPS 2 (detractor) from b@x.com on 2026-03-20; "
                          "2 detractor responses in 30 days")
    assert "detractor" not in run(replace(edge, date=date(2026, 3, 1)))  # T-30
    assert "detractor" not in run(replace(edge, score=7))
    assert "detractor" not in run(replace(edge, date=date(2026, 4, 1)))  # after as_of


def test_low_seat_utilization_below_half():
    hit = fire(usage=replace(NO_USAGE, seat_utilization=24 / 50, active_users_30d=24,
                             seats=50))["low_seat_utilization"]
    assert hit.severity == "low"
    assert hit.reason == "Seat utilization 48.0% (24 of 50 seats active) < 50.0%"
    assert "low_seat_utilization" not in fire(usage=replace(NO_USAGE, seat_utilization=0.5))


def test_no_touch_for_30_days():
    def run(last):
        return fire(rel=replace(NO_REL, last_touchpoint_date=last,
                                days_since_last_touchpoint=(T - last).days))

    assert run(date(2026, 3, 1))["no_touch"].since == T  # T-30, last touch + 30
    assert "no_touch" not in run(date(2026, 3, 2))  # T-29


def test_no_touch_never_touched_counts_from_onboarding_start():
    def run(start):
        ren = Renewal(renewal_date=None, days_to_renewal=None, onboarding_start=start)
        return fire(renewal=ren)

    hit = run(date(2026, 3, 1))["no_touch"]  # 30 days since onboarding start
    assert hit.since == T and "since onboarding start 2026-03-01" in hit.reason
    assert "no_touch" not in run(date(2026, 3, 2))
    assert "no_touch" not in run(None)


def test_champion_left():
    gone = Contact("c@x.com", champion=True, active=False, inactive_since=date(2026, 3, 10))
    hit = fire(facts=AccountFacts(contacts=(gone,)))["champion_left"]
    assert hit.severity == "high" and hit.since == date(2026, 3, 10)
    assert hit.reason == "Champion left: c@x.com (inactive)"
    removed = Contact("d@x.com", champion=True, active=False)
    both = fire(facts=AccountFacts(contacts=(gone,), former_champions=(removed,)))
    assert both["champion_left"].since is None  # one date unknown
    assert "d@x.com (removed)" in both["champion_left"].reason
    assert fire(facts=AccountFacts(contacts=(Contact("c@x.com", champion=True),))) == {}
    assert fire(facts=AccountFacts(contacts=(Contact("n@x.com", active=False),))) == {}
    assert fire(facts=AccountFacts(contacts=(gone,)), as_of=date(2026, 3, 9)) == {}


def test_all_ten_fire_most_severe_first_and_thresholds_configurable():
    t = Ticket(id="1", status="open", priority="urgent",
               created_at=datetime(2026, 3, 1, tzinfo=timezone.utc))
    facts = AccountFacts(
        tickets=(t,), nps=(NpsResponse(score=0, date=T),),
        contacts=(Contact("c@x.com", champion=True, active=False),))
    u = replace(NO_USAGE, trend=-0.5, active_users_30d=5, active_users_prior_30d=10,
                last_activity_date=date(2026, 3, 1), days_since_last_activity=30,
                seat_utilization=0.1, seats=50)
    s = replace(NO_TICKETS, volume_30d=5, volume_prior_30d=0)
    r = replace(NO_REL, last_touchpoint_date=date(2026, 1, 1), days_since_last_touchpoint=89)
    ren = Renewal(renewal_date=date(2026, 4, 30), days_to_renewal=30, onboarding_start=None)
    out = signals(facts, u, s, r, Health(score=20.0, band="at_risk", components=()), 50.0, ren,
                  CFG, T)
    assert {x.code for x in out} == {
        "usage_drop", "inactive", "renewal_risk", "health_drop", "ticket_spike",
        "urgent_ticket_aging", "detractor", "low_seat_utilization", "no_touch", "champion_left"}
    assert [x.severity for x in out] == ["high"] * 4 + ["medium"] * 4 + ["low"] * 2
    assert out[0].to_dict()["code"] == "usage_drop"
    lax = MetricsConfig(signals=SignalConfig(usage_drop_trend=-0.6, ticket_spike_min=6,
                                             severities={"no_touch": "high"}))
    out = signals(facts, u, s, r, Health(score=20.0, band="at_risk", components=()), 50.0, ren,
                  lax, T)
    codes = [x.code for x in out]
    assert "usage_drop" not in codes and "ticket_spike" not in codes
    assert next(x for x in out if x.code == "no_touch").severity == "high"
