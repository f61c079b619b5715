"""Touchpoints, NPS, surveys, advocacy and QBRs (metrics.md section 4)."""

from datetime import date
from decimal import Decimal

import pytest

from server.metrics import (
    AccountFacts,
    Advocacy,
    MetricsConfig,
    NpsResponse,
    Survey,
    Touchpoint,
    nps,
    nps_category,
    relationship,
    survey_score,
)

D = Decimal
T = date(2026, 3, 31)
CFG = MetricsConfig(qbr_min_arr=D(50000))


def r(score, day, email=None, id=None):
    return NpsResponse(score=score, date=date.fromisoformat(day), contact_email=email, id=id)


def test_nps_categories_edges():
    assert [nps_category(s) for s in (0, 6, 7, 8, 9, 10)] == [
        "detractor", "detractor", "passive", "passive", "promoter", "promoter"]


def test_nps_latest_response_per_contact_in_365_days():
    responses = [
        r(3, "2025-06-01", "a@x.com"), r(9, "2026-01-01", "a@x.com"),  # a -> promoter
        r(10, "2026-02-01", "B@x.com"), r(6, "2026-03-01", "b@x.com "),  # b -> detractor
        r(8, "2026-03-10", "c@x.com"),  # passive
        r(9, "2026-03-05"), r(2, "2026-03-06"),  # anonymous: each its own respondent
        r(10, "2025-03-31", "d@x.com"),  # T-365: outside the window
        r(0, "2026-04-01", "e@x.com"),  # after as_of: ignored
        r(9, "2025-04-01", "e@x.com"),  # T-364: inside -> promoter
    ]
    n = nps(responses, T)
    # promoters a, anon 9, e = 3; passives c = 1; detractors b, anon 2 = 2; 6 respondents
    assert (n.promoters, n.passives, n.detractors, n.responses) == (3, 1, 2, 6)
    assert n.score == pytest.approx(16.6667, abs=1e-4)  # (3 - 2) / 6 * 100


def test_nps_extremes_and_empty():
    assert nps([r(10, "2026-03-01", "a"), r(9, "2026-03-01", "b")], T).score == pytest.approx(100)
    assert nps([r(0, "2026-03-01", "a")], T).score == pytest.approx(-100)
    assert nps([], T).score is None
    assert nps([r(11, "2026-03-01", "a")], T).responses == 0  # out of range score ignored


def test_nps_same_day_tie_highest_id_wins():
    n = nps([r(2, "2026-03-01", "a@x.com", "r2"), r(10, "2026-03-01", "a@x.com", "r1")], T)
    assert (n.detractors, n.promoters) == (1, 0)


def test_survey_mean_same_scale_and_window_edges():
    surveys = [Survey("ces", D(4), D(5), date(2026, 1, 10)),
               Survey("ces", D(5), D(5), date(2025, 4, 1)),  # T-364: in
               Survey("ces", D(1), D(5), date(2025, 3, 31)),  # T-365: out
               Survey("ces", D(1), D(5), date(2026, 4, 1)),  # after as_of: out
               Survey("onboarding", D(9), D(10), date(2026, 2, 1))]
    ces = survey_score(surveys, "ces", T)
    assert (ces.mean, ces.scale, ces.responses) == (pytest.approx(4.5), 5.0, 2)  # (4 + 5) / 2
    onb = survey_score(surveys, "onboarding", T)
    assert (onb.mean, onb.scale, onb.responses) == (pytest.approx(9.0), 10.0, 1)
    empty = survey_score([], "ces", T)
    assert (empty.mean, empty.scale, empty.responses) == (None, None, 0)


def test_survey_mixed_scales_rescaled_to_latest():
    surveys = [Survey("ces", D(8), D(10), date(2026, 1, 1)),
               Survey("ces", D(4), D(5), date(2026, 3, 1))]
    s = survey_score(surveys, "ces", T)
    # 8/10 on the latest scale 5 = 4; (4 + 4) / 2 = 4
    assert (s.mean, s.scale) == (pytest.approx(4.0), 5.0)


def test_touchpoints_advocacy_and_qbrs():
    facts = AccountFacts(
        touchpoints=(Touchpoint("email", date(2026, 1, 1)),  # T-89: in
                     Touchpoint("call", date(2025, 12, 31)),  # T-90: out of the 90 days
                     Touchpoint("meeting", date(2026, 3, 1)),
                     Touchpoint("qbr", date(2026, 2, 15)),
                     Touchpoint("email", date(2026, 4, 2))),  # after as_of
        advocacy=(Advocacy("referral", date(2026, 1, 1)), Advocacy("review", date(2025, 4, 1)),
                  Advocacy("case_study", date(2025, 3, 31))),
    )
    rel = relationship(facts, D(60000), CFG, T)
    assert rel.touchpoints_90d == 3
    assert rel.touchpoints_by_kind == {"email": 1, "call": 0, "meeting": 1, "qbr": 1,
                                       "note": 0}
    assert rel.last_touchpoint_date == date(2026, 3, 1)
    assert rel.days_since_last_touchpoint == 30
    # referral and review (T-364) in; case study (T-365) out
    assert rel.advocacy.count_365d == 2
    assert rel.advocacy.by_kind == {"referral": 1, "review": 1, "case_study": 0, "reference": 0}
    # ARR 60000 > 50000: one QBR expected, one held
    assert (rel.qbrs.held_90d, rel.qbrs.expected, rel.qbrs.on_schedule) == (1, 1, True)
    assert relationship(facts, D(50000), CFG, T).qbrs.on_schedule is None  # not above: n/a
    behind = relationship(AccountFacts(), D(60000), CFG, T).qbrs
    assert (behind.held_90d, behind.expected, behind.on_schedule) == (0, 1, False)


def test_no_touchpoints_ever():
    rel = relationship(AccountFacts(), D(0), CFG, T)
    assert rel.days_since_last_touchpoint is None and rel.touchpoints_90d == 0
    out = rel.to_dict()
    assert out["nps"]["score"] is None and out["last_touchpoint_date"] is None
