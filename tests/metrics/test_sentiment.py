"""Account sentiment on known per-message scores (the scorer's output is given), and the
real VADER scorer on fixed sentences."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from server.metrics.config import SentimentConfig
from server.metrics.sentiment import sentiment
from server.metrics.types import Message
from server.sentiment import ScorerError, load_scorer, score_text, vader

AS_OF = date(2026, 6, 30)


def msg(mid, age, score, direction="in", channel="email", who="ann@acme.com", text=None):
    at = datetime(2026, 6, 30, 9, tzinfo=timezone.utc) - timedelta(days=age)
    return Message(id=mid, at=at, channel=channel, direction=direction, sentiment=score,
                   contact_email=who, text=text)


MESSAGES = (
    msg("m1", 0, 0.5, text="Thanks, this works well"),
    msg("m2", 30, -1.0, text="The export is broken again", who="bob@acme.com"),
    msg("m3", 60, 0.2, channel="ticket"),
    msg("m4", 0, -0.9, direction="out"),          # ours: not the customer's sentiment
    msg("m5", 90, 1.0),                           # the prior window (age 0 there)
    msg("m6", 10, None),                          # not scored (empty text)
    msg("m7", 120, -0.5),                         # the prior window, age 30 there
)


def test_recency_weighted_score_by_channel_change_and_evidence():
    s = sentiment(MESSAGES, SentimentConfig(), AS_OF)
    # weights 0.5 ** (age / 30): m1 1, m2 0.5, m3 0.25
    assert s.score == pytest.approx(100 * (0.5 - 0.5 + 0.25 * 0.2) / 1.75)   # 20/7
    assert s.prior_score == pytest.approx(100 * (1.0 - 0.5 * 0.5) / 1.5)      # 50
    assert s.change_90d == pytest.approx(20 / 7 - 50)
    assert s.messages == 3
    assert {k: (v.score, v.messages) for k, v in s.by_channel.items()} == {
        "email": (pytest.approx(0.0), 2), "ticket": (pytest.approx(20.0), 1)}
    assert [(e.tone, e.message_id, e.score, e.who, e.snippet) for e in s.evidence] == [
        ("negative", "m2", -100.0, "bob@acme.com", "The export is broken again"),
        ("positive", "m1", 50.0, "ann@acme.com", "Thanks, this works well"),
        ("positive", "m3", pytest.approx(20.0), "ann@acme.com", None)]
    out = s.to_dict()
    assert out["evidence"][0]["at"] == "2026-05-31T09:00:00+00:00"


def test_half_life_and_window_are_settings():
    s = sentiment(MESSAGES, SentimentConfig(half_life_days=60, evidence=1), AS_OF)
    w2, w3 = 0.5 ** 0.5, 0.5
    assert s.score == pytest.approx(100 * (0.5 - w2 + w3 * 0.2) / (1 + w2 + w3))
    assert [e.message_id for e in s.evidence] == ["m2", "m1"]
    short = sentiment(MESSAGES, SentimentConfig(window_days=31), AS_OF)
    assert short.messages == 2 and short.score == pytest.approx(0.0)


def test_no_messages_means_no_score():
    s = sentiment((msg("o", 0, 0.9, direction="out"),), SentimentConfig(), AS_OF)
    assert (s.score, s.prior_score, s.change_90d, s.messages, s.evidence) == (
        None, None, None, 0, ())


def test_vader_scores_fixed_sentences():
    negative = vader("The outage was terrible and we are very unhappy with the support.")
    neutral = vader("The meeting is on Tuesday.")
    positive = vader("Great work, the team loves the new dashboard. Thank you!")
    assert negative < 0 < positive
    assert neutral == 0.0
    assert load_scorer("server.sentiment:vader") is vader
    assert load_scorer("server.sentiment.vader") is vader


def test_a_scorer_is_checked():
    with pytest.raises(ScorerError, match="cannot import"):
        load_scorer("no_such_module:score")
    with pytest.raises(ScorerError, match="has no"):
        load_scorer("server.sentiment:nothing")
    with pytest.raises(ScorerError, match="outside -1..1"):
        score_text(lambda _t: 3, "x")
    with pytest.raises(ScorerError, match="not a number"):
        score_text(lambda _t: "good", "x")
