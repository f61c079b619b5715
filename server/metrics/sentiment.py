"""Account sentiment (section 4): what the customer writes, -100..100, recency-weighted.

Each inbound message carries its scorer's score s in -1..1 (scored when it landed). The
account's score over a window ending as_of is `100 * sum(w * s) / sum(w)` over the scored
inbound messages whose UTC day lies in the window, with `w = 0.5 ** (age / half_life)`,
age = whole days from the message's day to as_of. The change is this score minus the same
score as of as_of - window (the prior window). The evidence is the most negative and the
most positive messages of the window, with who wrote them and when.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from .common import Output, in_window, utc_day, window
from .config import SentimentConfig
from .types import Message


@dataclass(frozen=True)
class Evidence(Output):
    """One message behind the score: tone, its score (-100..100), who, when, what."""

    tone: str
    score: float
    at: datetime
    channel: str
    who: str | None
    snippet: str | None
    message_id: str


@dataclass(frozen=True)
class ChannelSentiment(Output):
    score: float
    messages: int


@dataclass(frozen=True)
class Sentiment(Output):
    """Sentiment of one account; score and change are None without scored messages."""

    score: float | None
    prior_score: float | None
    change_90d: float | None
    by_channel: dict[str, ChannelSentiment]
    messages: int
    half_life_days: float
    evidence: tuple[Evidence, ...]


def scored_inbound(messages: Iterable[Message], as_of: date, days: int) -> list[Message]:
    """Inbound messages with a score whose UTC day lies in the window ending as_of."""
    bounds = window(as_of, days)
    return [m for m in messages if m.direction == "in" and m.sentiment is not None
            and in_window(utc_day(m.at), bounds)]


def weighted_score(messages: Iterable[Message], as_of: date, half_life: float) -> float | None:
    """100 * the recency-weighted mean of the messages' scores (None without messages)."""
    total = weights = 0.0
    for m in messages:
        w = 0.5 ** ((as_of - utc_day(m.at)).days / half_life)
        total += w * float(m.sentiment)
        weights += w
    return 100.0 * total / weights if weights else None


def _evidence(m: Message, tone: str) -> Evidence:
    return Evidence(tone=tone, score=100.0 * float(m.sentiment), at=m.at, channel=m.channel,
                    who=m.contact_email or m.author, snippet=m.text, message_id=m.id)


def sentiment(messages: Iterable[Message], cfg: SentimentConfig, as_of: date) -> Sentiment:
    """Score, prior-window score and change, by channel, message count and evidence."""
    messages = list(messages)
    current = scored_inbound(messages, as_of, cfg.window_days)
    prior_as_of = as_of - timedelta(days=cfg.window_days)
    prior = weighted_score(scored_inbound(messages, prior_as_of, cfg.window_days), prior_as_of,
                           cfg.half_life_days)
    score = weighted_score(current, as_of, cfg.half_life_days)
    by_channel = {}
    for channel in sorted({m.channel for m in current}):
        mine = [m for m in current if m.channel == channel]
        by_channel[channel] = ChannelSentiment(
            score=weighted_score(mine, as_of, cfg.half_life_days), messages=len(mine))
    newest_first = sorted(current, key=lambda m: (m.at, m.id), reverse=True)
    negative = sorted((m for m in newest_first if m.sentiment < 0), key=lambda m: m.sentiment)
    positive = sorted((m for m in newest_first if m.sentiment > 0), key=lambda m: -m.sentiment)
    evidence = ([_evidence(m, "negative") for m in negative[:cfg.evidence]]
                + [_evidence(m, "positive") for m in positive[:cfg.evidence]])
    change = score - prior if score is not None and prior is not None else None
    return Sentiment(score=score, prior_score=prior, change_90d=change, by_channel=by_channel,
                     messages=len(current), half_life_days=cfg.half_life_days,
                     evidence=tuple(evidence))
