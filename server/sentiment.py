"""Sentiment scorers: text in, a score from -1 (most negative) to 1 (most positive) out.

The default is VADER (`vaderSentiment`, whose lexicon ships inside the package: no network,
no download). A team plugs its own model in with the `[messages] scorer` setting, a dotted
name `package.module:function` (or `package.module.function`) of a callable taking the text
and returning a number from -1 to 1. Messages are scored once, when they land, so the text
need not be kept (`[messages] text = "none"`).
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Callable
from functools import lru_cache

DEFAULT_SCORER = "server.sentiment:vader"

Scorer = Callable[[str], float]


@lru_cache(maxsize=1)
def _analyzer():
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def vader(text: str) -> float:
    """VADER's compound score of the text (-1..1)."""
    return float(_analyzer().polarity_scores(text)["compound"])


class ScorerError(ValueError):
    """The configured scorer cannot be loaded or returned something that is not a score."""


@lru_cache(maxsize=16)
def load_scorer(dotted: str) -> Scorer:
    """The callable a dotted name points at (`module:attr` or `module.attr`)."""
    if ":" in dotted:
        module_name, _, attr = dotted.partition(":")
    else:
        module_name, _, attr = dotted.rpartition(".")
    if not module_name or not attr:
        raise ScorerError(f"'{dotted}' is not a dotted name like package.module:function")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ScorerError(f"cannot import '{module_name}': {exc}") from exc
    target = module
    for part in attr.split("."):
        target = getattr(target, part, None)
        if target is None:
            raise ScorerError(f"'{module_name}' has no '{attr}'")
    if not callable(target):
        raise ScorerError(f"'{dotted}' is not callable")
    return target


def score_text(scorer: Scorer, text: str) -> float:
    """The scorer's score of a text, checked to be a finite number within -1..1."""
    value = scorer(text)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ScorerError(f"the sentiment scorer returned {value!r}, not a number")
    if not -1.0 <= value <= 1.0:
        raise ScorerError(f"the sentiment scorer returned {value!r}, outside -1..1")
    return float(value)
