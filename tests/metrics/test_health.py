"""Health score components, rescaling, bands (metrics.md section 5)."""

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from server.metrics import (
    AccountFacts,
    HealthConfig,
    MetricsConfig,
    Nps,
    band,
    health,
    relationship,
    support,
    usage,
)

T = date(2026, 3, 31)
CFG = MetricsConfig()
NO_USAGE = usage(None, None, CFG, None, T)
NO_TICKETS = support([], T)
NO_REL = relationship(AccountFacts(), Decimal(0), CFG, T)


def inputs(util=None, trend=None, breadth=None, high=0, other=0, days=None, nps=None):
    u = replace(NO_USAGE, seat_utilization=util, trend=trend, adoption_breadth=breadth)
    s = replace(NO_TICKETS, open_by_priority={"low": other, "normal": 0, "high": high,
                                              "urgent": 0}, open_total=high + other)
    n = Nps(score=nps, promoters=0, passives=0, detractors=0, responses=0)
    r = replace(NO_REL, days_since_last_touchpoint=days, nps=n)
    return u, s, r


def scores(h):
    return {c.name: c.score for c in h.components}


def test_all_six_components_by_hand():
    h = health(*inputs(util=0.6, trend=0.1, breadth=0.5, high=1, other=2, days=52, nps=20), CFG)
    # util 0.6/0.8 -> 75; trend 50+10 -> 60; breadth 50; support 100-20-2*5 -> 70;
    # engagement 100 - (52-14)*100/76 -> 50; nps (20+100)/2 -> 60
    assert scores(h) == pytest.approx({"seat_utilization": 75, "usage_trend": 60,
                                       "adoption_breadth": 50, "support": 70,
                                       "engagement": 50, "nps": 60})
    # (75*20 + 60*20 + 50*15 + 70*15 + 50*15 + 60*15) / 100 = 6150 / 100
    assert h.score == pytest.approx(61.5)
    assert h.band == "watch"
    assert [c.points for c in h.components] == pytest.approx([15, 12, 7.5, 10.5, 7.5, 9])
    assert [c.weight for c in h.components] == [20, 20, 15, 15, 15, 15]
    assert h.components[3].input == {"high_urgent": 1, "other": 2}
    assert h.missing == ()
    assert h.to_dict()["components"][0]["label"] == "Seat utilization"


def test_missing_components_rescale_weights():
    h = health(*inputs(other=6, days=52), CFG)
    # support 100-30 = 70 (w15), engagement 50 (w15): (70*15 + 50*15) / 30 = 60
    assert h.score == pytest.approx(60.0)
    assert [c.points for c in h.components] == pytest.approx([35.0, 25.0])
    assert sum(c.points for c in h.components) == pytest.approx(h.score)
    assert h.missing == ("seat_utilization", "usage_trend", "adoption_breadth", "nps")
    h = health(*inputs(trend=0.1, days=52), CFG)
    # trend 60 (w20), support 100 (w15), engagement 50 (w15): (1200 + 1500 + 750) / 50 = 69
    assert h.score == pytest.approx(69.0)
    assert h.band == "watch"


def test_fewer_than_two_components_is_unknown():
    h = health(*inputs(), CFG)  # support only
    assert (h.score, h.band) == (None, "unknown")
    assert [c.name for c in h.components] == ["support"]
    strict = MetricsConfig(health=HealthConfig(min_components=3))
    assert health(*inputs(days=10), strict).score is None


def test_clamping_to_0_100():
    h = health(*inputs(util=1.0, trend=0.8, high=6, days=120, nps=-100), CFG)
    # util 1/0.8 capped at 1 -> 100; trend 130 -> 100; support 100-120 -> 0;
    # engagement 100 - 106*100/76 < 0 -> 0; nps 0
    assert scores(h) == pytest.approx({"seat_utilization": 100, "usage_trend": 100,
                                       "support": 0, "engagement": 0, "nps": 0})
    assert health(*inputs(trend=-0.6, days=10), CFG).components[0].score == 0  # 50 - 60


def test_engagement_edges():
    def engagement(days):
        return scores(health(*inputs(days=days), CFG))["engagement"]

    assert engagement(14) == 100
    assert engagement(15) == pytest.approx(98.6842, abs=1e-4)  # 100 - 100/76
    assert engagement(90) == pytest.approx(0)
    assert engagement(0) == 100


def test_bands():
    cfg = HealthConfig()
    assert band(70, cfg) == "good"
    assert band(69.9, cfg) == "watch"
    assert band(40, cfg) == "watch"
    assert band(39.9, cfg) == "at_risk"
    assert band(None, cfg) == "unknown"
    # support 100 - 6*5 = 70 and nps (40 + 100) / 2 = 70: score exactly 70 -> good
    assert health(*inputs(other=6, nps=40), CFG).band == "good"


def test_weights_configurable_and_zero_disables():
    cfg = MetricsConfig(health=HealthConfig(weights={"support": 30, "nps": 0}))
    h = health(*inputs(other=6, days=52, nps=100), cfg)
    # nps disabled; support 70 (w30), engagement 50 (w15 default): (2100 + 750) / 45
    assert [c.name for c in h.components] == ["support", "engagement"]
    assert h.score == pytest.approx(63.3333, abs=1e-4)
    assert "nps" in h.missing
