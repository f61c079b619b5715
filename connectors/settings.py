"""Connector settings: a dataclass per vendor, read from `<NAME>_<FIELD>` env vars or a dict.

Every missing or invalid variable is reported at once, in one ConfigError whose message
names them; secrets are masked in repr so settings can be logged safely.
"""

from __future__ import annotations

import dataclasses
import json
import os
import typing as t
from collections.abc import Mapping
from datetime import date

from connectors.attribution import MATCH_MODES
from connectors.errors import ConfigError

_MISSING = dataclasses.MISSING
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def setting(default: t.Any = _MISSING, *, secret: bool = False, help: str = "") -> t.Any:
    """Declare a settings field; without a default it is required."""
    meta = {"secret": secret, "help": help}
    if isinstance(default, (list, dict, set)):
        value = default
        return dataclasses.field(default_factory=lambda: type(value)(value), metadata=meta)
    return dataclasses.field(default=default, metadata=meta)


def _convert(kind: t.Any, raw: t.Any) -> t.Any:
    """Turn an env string (or an already typed value) into the field's type."""
    origin = t.get_origin(kind)
    args = [a for a in t.get_args(kind) if a is not type(None)]
    if origin in (t.Union, getattr(__import__("types"), "UnionType", None)) and args:
        if raw is None:
            return None
        return _convert(args[0], raw)
    if kind is bool:
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise ValueError("must be true or false")
    if kind is int:
        if isinstance(raw, bool):
            raise ValueError("must be a whole number")
        return int(str(raw).strip())
    if kind is float:
        return float(str(raw).strip())
    if kind is str:
        if not isinstance(raw, str):
            raise ValueError("must be a string")
        return raw.strip()
    if origin in (list, tuple) or kind in (list, tuple):
        if isinstance(raw, str):
            items = [p.strip() for p in raw.split(",") if p.strip()]
        elif isinstance(raw, (list, tuple)):
            items = list(raw)
        else:
            raise ValueError("must be a comma-separated list")
        return tuple(items) if (origin or kind) is tuple else items
    if origin is dict or kind is dict:
        if isinstance(raw, Mapping):
            return dict(raw)
        try:
            value = json.loads(raw)
        except (TypeError, ValueError) as exc:
            raise ValueError("must be a JSON object") from exc
        if not isinstance(value, dict):
            raise ValueError("must be a JSON object")
        return value
    return raw


@dataclasses.dataclass(frozen=True, repr=False)
class Settings:
    """Base class of connector settings (subclasses are frozen dataclasses)."""

    @classmethod
    def fields(cls) -> list[dataclasses.Field]:
        return list(dataclasses.fields(cls))

    @classmethod
    def env_vars(cls, prefix: str) -> list[dict]:
        """Describe every variable: name, required, secret, default, help (for docs and CLI)."""
        out = []
        for f in cls.fields():
            required = f.default is _MISSING and f.default_factory is _MISSING
            default = None if required else (
                f.default if f.default is not _MISSING else f.default_factory())
            out.append({"name": f"{prefix}{f.name.upper()}", "required": required,
                        "secret": f.metadata.get("secret", False), "default": default,
                        "help": f.metadata.get("help", "")})
        return out

    @classmethod
    def from_env(cls, prefix: str, environ: Mapping[str, str] | None = None):
        """Build from `<PREFIX><FIELD>` variables; raises ConfigError naming every bad one."""
        env = os.environ if environ is None else environ
        data = {f.name: env[f"{prefix}{f.name.upper()}"] for f in cls.fields()
                if f"{prefix}{f.name.upper()}" in env and env[f"{prefix}{f.name.upper()}"] != ""}
        return cls.from_dict(data, prefix=prefix)

    @classmethod
    def from_dict(cls, data: Mapping[str, t.Any], prefix: str = ""):
        """Build from a mapping of field name -> value (strings are parsed like env values)."""
        hints = t.get_type_hints(cls)
        values: dict[str, t.Any] = {}
        missing: list[str] = []
        invalid: list[str] = []
        known = {f.name for f in cls.fields()}
        unknown = [k for k in data if k not in known]
        for f in cls.fields():
            name = f"{prefix}{f.name.upper()}"
            if f.name not in data or data[f.name] is None or data[f.name] == "":
                if f.default is _MISSING and f.default_factory is _MISSING:
                    missing.append(name)
                continue
            try:
                values[f.name] = _convert(hints.get(f.name, str), data[f.name])
            except (TypeError, ValueError) as exc:
                invalid.append(f"{name} {exc}")
        problems = []
        if missing:
            problems.append("missing " + ", ".join(missing))
        if invalid:
            problems.append("invalid " + "; ".join(invalid))
        if unknown:
            problems.append("unknown settings " + ", ".join(sorted(unknown)))
        if problems:
            raise ConfigError("; ".join(problems))
        obj = cls(**values)
        obj.validate(prefix)
        return obj

    def validate(self, prefix: str = "") -> None:
        """Cross-field checks of a subclass; raise ConfigError naming the variables."""

    def __init_subclass__(cls, **kwargs: t.Any) -> None:
        super().__init_subclass__(**kwargs)
        # Set on the subclass itself so @dataclass never generates a repr that shows secrets.
        cls.__repr__ = Settings.__repr__
        cls.__str__ = Settings.__repr__

    def __repr__(self) -> str:
        parts = []
        for f in self.fields():
            value = getattr(self, f.name)
            if f.metadata.get("secret") and value:
                value = "***"
            parts.append(f"{f.name}={value!r}")
        return f"{type(self).__name__}({', '.join(parts)})"

    __str__ = __repr__


# -- checks shared by the usage and support connectors (Mixpanel, Amplitude, Pendo, Zendesk)
def optional_day(value: str, name: str) -> date | None:
    """A YYYY-MM-DD setting, None when empty; ConfigError naming `name` otherwise."""
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ConfigError(f"{name} must be a date YYYY-MM-DD; got {value!r}") from None


def check_common(prefix: str, s: t.Any, hosts: Mapping | None = None,
                 max_page_size: int | None = None) -> list[str]:
    """Checks shared by the usage and support settings; returns the problems found.

    REGION (when `hosts` is given), ACCOUNT_MATCH, BACKFILL_DAYS, PAGE_SIZE, START_DATE, and
    WINDOW_DAYS / LOOKBACK_DAYS for the settings that have them.
    """
    problems = []
    if hosts is not None and s.region not in hosts:
        problems.append(f"{prefix}REGION must be one of {', '.join(hosts)}")
    if s.account_match not in MATCH_MODES:
        problems.append(f"{prefix}ACCOUNT_MATCH must be one of {', '.join(MATCH_MODES)}")
    if s.backfill_days < 1:
        problems.append(f"{prefix}BACKFILL_DAYS must be at least 1")
    if max_page_size is not None and not 1 <= s.page_size <= max_page_size:
        problems.append(f"{prefix}PAGE_SIZE must be between 1 and {max_page_size}")
    elif s.page_size < 1:
        problems.append(f"{prefix}PAGE_SIZE must be at least 1")
    if getattr(s, "window_days", 1) < 1:
        problems.append(f"{prefix}WINDOW_DAYS must be at least 1")
    if getattr(s, "lookback_days", 0) < 0:
        problems.append(f"{prefix}LOOKBACK_DAYS must be 0 or more")
    try:
        optional_day(s.start_date, f"{prefix}START_DATE")
    except ConfigError as exc:
        problems.append(exc.message)
    return problems


def raise_problems(problems: list[str], connector: str) -> None:
    """One ConfigError naming every problem, if there is any."""
    if problems:
        raise ConfigError("; ".join(problems), connector=connector)
