"""The settings history table: every applied workspace settings file, who applied it, when,
and what it changed; the settings previews run as jobs; the stored page backtests."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, Index, Integer, String, Text
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


class SettingsPreview(Base):
    """A preview of a proposed settings file computed by the `settings.preview` job (large
    workspaces): queued -> running -> done | failed, how far it got, and its result (the
    preview's JSON, docs/backtest.md)."""

    __tablename__ = "settings_previews"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    status: Mapped[str] = mapped_column(String(10))
    requested_by: Mapped[str] = mapped_column(String(320))
    body: Mapped[str] = mapped_column(Text)
    start: Mapped[date] = mapped_column(Date)
    end: Mapped[date] = mapped_column(Date)
    horizon: Mapped[int] = mapped_column(Integer)
    stage: Mapped[str | None] = mapped_column(String(40))
    done: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int] = mapped_column(Integer, default=0)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class BacktestResult(Base):
    """A stored backtest of the health model page (server/backtest/stored.py): keyed by the
    settings digest, the period and the horizon, and stamped with the account-metrics rows it
    read (`data_stamp`), so the page can tell when the data changed since. queued -> running
    -> done | failed, with its progress; `result` is the backtest's JSON (docs/backtest.md)
    but its `accounts` list, kept beside it (the page reads only the figures)."""

    __tablename__ = "backtest_results"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    status: Mapped[str] = mapped_column(String(10))
    settings_version: Mapped[str] = mapped_column(String(16))
    start: Mapped[date] = mapped_column(Date)
    end: Mapped[date] = mapped_column(Date)
    horizon: Mapped[int] = mapped_column(Integer)
    data_stamp: Mapped[str | None] = mapped_column(String(80))
    requested_by: Mapped[str] = mapped_column(String(320))
    stage: Mapped[str | None] = mapped_column(String(40))
    done: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int] = mapped_column(Integer, default=0)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON, deferred=True)
    accounts: Mapped[list[Any] | None] = mapped_column(JSON, deferred=True)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    __table_args__ = (Index("ix_backtest_results_key", "settings_version", "start", "end",
                            "horizon"),)
