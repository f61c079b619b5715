"""The settings history table: every applied workspace settings file, who applied it, when,
and what it changed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from server.models import Base, UtcDateTime


class SettingsVersion(Base):
    """One applied settings file: version `id` (1, 2, ...), the TOML text, its digest (the
    `settings_version` the metrics rows carry), who and when, the diff from the previous
    effective settings, and the version a rollback restored."""

    __tablename__ = "settings_versions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    applied_at: Mapped[datetime] = mapped_column(UtcDateTime)
    applied_by: Mapped[str] = mapped_column(String(320))
    source: Mapped[str] = mapped_column(String(20))  # cli, page, rollback
    body: Mapped[str] = mapped_column(Text)
    digest: Mapped[str] = mapped_column(String(16), index=True)
    diff: Mapped[list[Any]] = mapped_column(JSON)
    restored: Mapped[int | None] = mapped_column(Integer)
