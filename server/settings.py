"""The workspace settings file (TOML): key features, health model, signals, mappings.

Every key is optional; absent keys keep the defaults of metrics.md. An unknown key or a
value of the wrong type stops start-up with an error that names the key.
"""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from connectors.common import DEFAULT_DEAL_KINDS, KINDS, Mappings
from server.message_policy import TEXT_POLICIES, MessagePolicy
from server.metrics import config as mc


#: tables of the settings file that set a dataclass of the metrics configuration
METRIC_SECTIONS = ("health", "signals", "phase", "sentiment", "relationship", "north_star")


class SettingsError(ValueError):
    """The settings file is invalid; the message names the bad key."""


@dataclass(frozen=True)
class WorkspaceSettings(Mappings):
    """The loaded workspace settings (free-mail domains and deal kinds: see Mappings)."""

    metrics: mc.MetricsConfig = field(default_factory=mc.MetricsConfig)
    messages: MessagePolicy = field(default_factory=MessagePolicy)
    source: str | None = None

    @property
    def currency(self) -> str:
        return self.metrics.currency


def _fail(key: str, msg: str) -> SettingsError:
    return SettingsError(f"settings: '{key}' {msg}")


def _coerce(key: str, value: Any, default: Any) -> Any:
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise _fail(key, "must be true or false")
        return value
    if isinstance(default, (int, float, Decimal)) or default is None and isinstance(
            value, (int, float)):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _fail(key, f"must be a number, got {value!r}")
        if isinstance(default, Decimal):
            return Decimal(str(value))
        if isinstance(default, int) and not isinstance(default, bool):
            if isinstance(value, float) and not value.is_integer():
                raise _fail(key, f"must be a whole number, got {value!r}")
            return int(value)
        return float(value)
    if isinstance(default, tuple):
        return tuple(_string_list(key, value))
    if isinstance(default, str) or default is None:
        if not isinstance(value, str):
            raise _fail(key, f"must be a string, got {value!r}")
        return value
    if isinstance(default, dict):
        if not isinstance(value, dict):
            raise _fail(key, "must be a table")
        out = dict(default)
        for k, v in value.items():
            if k not in default:
                raise _fail(f"{key}.{k}", f"is not a known key (known: {', '.join(default)})")
            out[k] = _coerce(f"{key}.{k}", v, default[k])
        return out
    raise _fail(key, "cannot be set from the settings file")


def _apply(key: str, obj: Any, table: Any) -> Any:
    """Return a copy of dataclass `obj` with the fields set from a TOML table."""
    if not isinstance(table, dict):
        raise _fail(key, "must be a table")
    names = {f.name: f for f in dataclasses.fields(obj)}
    changes = {}
    for k, v in table.items():
        if k not in names:
            raise _fail(f"{key}.{k}", f"is not a known key (known: {', '.join(names)})")
        current = getattr(obj, k)
        if dataclasses.is_dataclass(current):
            changes[k] = _apply(f"{key}.{k}", current, v)
        else:
            changes[k] = _coerce(f"{key}.{k}", v, current)
    return dataclasses.replace(obj, **changes)


def _string_list(key: str, value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(x, str) and x for x in value):
        raise _fail(key, "must be a list of strings")
    return value


def _messages(table: Any) -> MessagePolicy:
    from server.sentiment import ScorerError, load_scorer

    policy = _apply("messages", MessagePolicy(), table)
    if policy.text not in TEXT_POLICIES:
        raise _fail("messages.text", f"must be one of {', '.join(TEXT_POLICIES)}, "
                    f"got {policy.text!r}")
    if not 1 <= policy.snippet_chars <= 10_000:
        raise _fail("messages.snippet_chars", "must be between 1 and 10000")
    if policy.retention_days < 0:
        raise _fail("messages.retention_days", "must be 0 (keep) or a number of days")
    try:
        load_scorer(policy.scorer)
    except ScorerError as exc:
        raise _fail("messages.scorer", str(exc)) from None
    return policy


def parse(data: dict, source: str | None = None) -> WorkspaceSettings:
    """Build WorkspaceSettings from a parsed TOML document."""
    known = {"currency", "first_value_event", "key_features", "health", "signals", "phase",
             "qbr_min_arr", "freemail_domains", "deal_kinds", "messages", *METRIC_SECTIONS}
    for key in data:
        if key not in known:
            raise _fail(key, f"is not a known key (known: {', '.join(sorted(known))})")
    metrics = mc.MetricsConfig()
    changes: dict[str, Any] = {}
    if "currency" in data:
        cur = data["currency"]
        if not isinstance(cur, str) or len(cur) != 3 or not cur.isalpha():
            raise _fail("currency", f"must be a 3-letter currency code, got {cur!r}")
        changes["currency"] = cur.upper()
    if "first_value_event" in data:
        changes["first_value_event"] = _coerce("first_value_event", data["first_value_event"], "")
    if "qbr_min_arr" in data:
        changes["qbr_min_arr"] = _coerce("qbr_min_arr", data["qbr_min_arr"], Decimal(0))
    if "key_features" in data:
        kf = data["key_features"]
        if not isinstance(kf, dict):
            raise _fail("key_features", "must be a table of feature name = [event names]")
        changes["key_features"] = {
            name: frozenset(_string_list(f"key_features.{name}", events))
            for name, events in kf.items()}
    for section in METRIC_SECTIONS:
        if section in data:
            changes[section] = _apply(section, getattr(metrics, section), data[section])
    metrics = dataclasses.replace(metrics, **changes)
    ns = metrics.north_star
    if ns.kind not in mc.NORTH_STAR_KINDS:
        raise _fail("north_star.kind", f"must be one of {', '.join(mc.NORTH_STAR_KINDS)}")
    if ns.period not in mc.NORTH_STAR_PERIODS:
        raise _fail("north_star.period", f"must be one of {', '.join(mc.NORTH_STAR_PERIODS)}")
    if ns.name and ns.kind == "events" and not ns.events:
        raise _fail("north_star.events", "must name the events counted (kind = events)")
    kwargs: dict[str, Any] = {"metrics": metrics, "source": source}
    if "messages" in data:
        kwargs["messages"] = _messages(data["messages"])
    if "freemail_domains" in data:
        kwargs["freemail_domains"] = frozenset(
            d.lower() for d in _string_list("freemail_domains", data["freemail_domains"]))
    if "deal_kinds" in data:
        dk = data["deal_kinds"]
        if not isinstance(dk, dict):
            raise _fail("deal_kinds", "must be a table per CRM (hubspot, salesforce)")
        merged = {k: dict(v) for k, v in DEFAULT_DEAL_KINDS.items()}
        for system, mapping in dk.items():
            if system not in merged:
                raise _fail(f"deal_kinds.{system}", "must be hubspot or salesforce")
            if not isinstance(mapping, dict):
                raise _fail(f"deal_kinds.{system}", "must be a table of CRM type = kind")
            for crm_type, kind in mapping.items():
                if kind not in KINDS:
                    raise _fail(f"deal_kinds.{system}.{crm_type}",
                                f"must be one of {', '.join(KINDS)}, got {kind!r}")
                merged[system][crm_type.strip().lower()] = kind
        kwargs["deal_kinds"] = merged
    return WorkspaceSettings(**kwargs)


def load(path: str | Path | None) -> WorkspaceSettings:
    """Load the settings file, or the defaults when no path is configured."""
    if not path:
        return WorkspaceSettings()
    p = Path(path)
    if not p.is_file():
        raise SettingsError(f"settings: file not found: {p}")
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"settings: {p} is not valid TOML: {exc}") from exc
    return parse(data, str(p))
