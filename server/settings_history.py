"""Settings as code: applying a workspace settings file records a version (who, when, the
diff); the effective settings are the latest applied version, else the settings file.

A bad file is refused with the key named (server.settings.parse) and nothing is written.
A rollback applies an earlier version's text again as a new version. Every metrics row
carries the digest of the settings it was computed with (`settings_version`); `number_of`
maps a digest back to its version number.
"""

from __future__ import annotations

import dataclasses
import tomllib
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from time import monotonic
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from server.models import utcnow
from server.rows.build import settings_version
from server.settings import SettingsError, WorkspaceSettings, load, parse
from server.settings_models import SettingsVersion

MAX_BYTES = 200_000
SOURCES = ("cli", "page", "rollback")


def parse_text(text: str, source: str | None = None) -> WorkspaceSettings:
    """Settings from TOML text; SettingsError names the bad key (or the TOML error)."""
    if len(text.encode("utf-8")) > MAX_BYTES:
        raise SettingsError(f"settings: the file is larger than {MAX_BYTES} bytes")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"settings: not valid TOML: {exc}") from exc
    return parse(data, source)


def _value(v: Any) -> Any:
    if isinstance(v, Decimal):
        return str(v)
    if isinstance(v, (set, frozenset)):
        return sorted(v)
    return v


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    return _value(value)


def _flat(prefix: str, value: Any, out: dict[str, Any]) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            _flat(f"{prefix}.{k}" if prefix else str(k), v, out)
    else:
        out[prefix] = value


def flatten(settings: WorkspaceSettings) -> dict[str, Any]:
    """Every effective value by its settings-file key (health.weights.nps, currency, ...).

    Metric settings sit at the top of the file (`health`, `signals`, `key_features`...);
    every other part of the settings (`messages`, `deal_kinds`...) under its own name, so a
    new section or component shows in the diff without a change here.
    """
    out: dict[str, Any] = {}
    for f in dataclasses.fields(settings):
        if f.name != "source":
            _flat("" if f.name == "metrics" else f.name, _plain(getattr(settings, f.name)), out)
    return out


def diff(old: WorkspaceSettings, new: WorkspaceSettings) -> list[dict[str, Any]]:
    """The keys whose effective value changed: [{key, before, after}] by key."""
    a, b = flatten(old), flatten(new)
    return [{"key": k, "before": a.get(k), "after": b.get(k)}
            for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)]


def latest(session: Session) -> SettingsVersion | None:
    return session.scalar(select(SettingsVersion).order_by(SettingsVersion.id.desc()).limit(1))


def from_version(row: SettingsVersion) -> WorkspaceSettings:
    return parse_text(row.body, f"settings version {row.id}")


def _no_database(store) -> bool:
    url = store.engine.url
    return url.get_backend_name() == "sqlite" and bool(url.database) and \
        url.database != ":memory:" and not Path(url.database).exists()


def effective(store, path: str | None) -> WorkspaceSettings:
    """The latest applied version, else the settings file at `path` (else the defaults)."""
    row = None
    if not _no_database(store):
        try:
            with store.sessions() as s:
                row = latest(s)
        except SQLAlchemyError:   # before `account360 db upgrade`: no history table yet
            row = None
    return load(path) if row is None else from_version(row)


def apply(session: Session, text: str, who: str, source: str, current: WorkspaceSettings,
          restored: int | None = None) -> tuple[SettingsVersion | None, WorkspaceSettings]:
    """Record `text` as the next version (None when it changes nothing); refused if bad."""
    new = parse_text(text)
    top = latest(session)
    digest = settings_version(new)
    if top is not None and not diff(from_version(top), new):
        return None, current
    row = SettingsVersion(applied_at=utcnow(), applied_by=who, source=source, body=text,
                          digest=digest, diff=diff(current, new), restored=restored)
    session.add(row)
    session.flush()
    return row, dataclasses.replace(new, source=f"settings version {row.id}")


def rollback(session: Session, number: int, who: str, current: WorkspaceSettings
             ) -> tuple[SettingsVersion | None, WorkspaceSettings]:
    """Apply version `number`'s text again, as a new version."""
    old = session.get(SettingsVersion, number)
    if old is None:
        raise SettingsError(f"settings: there is no version {number}")
    return apply(session, old.body, who, "rollback", current, restored=number)


def history(session: Session) -> list[dict[str, Any]]:
    """Every applied version, newest first."""
    return [{"version": r.id, "applied_at": r.applied_at, "applied_by": r.applied_by,
             "source": r.source, "digest": r.digest, "restored": r.restored, "diff": r.diff}
            for r in session.scalars(select(SettingsVersion).order_by(SettingsVersion.id.desc()))]


def number_of(session: Session, digest: str | None) -> int | None:
    """The latest version number whose settings have this digest (None: a settings file)."""
    if not digest:
        return None
    return session.scalar(select(func.max(SettingsVersion.id))
                          .where(SettingsVersion.digest == digest))


def describe(session: Session, digest: str | None) -> dict[str, Any]:
    """{version, digest, applied_at, applied_by}: which settings computed a figure."""
    number = number_of(session, digest)
    row = session.get(SettingsVersion, number) if number else None
    return {"version": number, "digest": digest,
            "applied_at": row.applied_at if row else None,
            "applied_by": row.applied_by if row else None}


def current_number(store) -> int | None:
    """The latest version number (None: none applied)."""
    with store.sessions() as s:
        return s.scalar(select(func.max(SettingsVersion.id)))


class Watch:
    """Notices, at most every `every` seconds, a version applied by another process."""

    def __init__(self, seen: int | None, every: float = 5.0) -> None:
        self.every, self.checked, self.seen = every, monotonic(), seen

    def changed(self, store) -> bool:
        now = monotonic()
        if now - self.checked < self.every:
            return False
        self.checked = now
        top = current_number(store)
        if top == self.seen:
            return False
        self.seen = top
        return True
