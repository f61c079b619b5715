"""Tables of the background jobs: the embedded queue's `jobs` (SQLite default; PostgreSQL
deployments use procrastinate's own tables, created by migration 0012) and `imports`, the
large API imports loaded by a job."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from server.models import Base, UtcDateTime


class Job(Base):
    """One deferred job: todo -> doing -> succeeded | failed (todo again between retries)."""

    __tablename__ = "jobs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    task: Mapped[str] = mapped_column(String(60))
    args: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(12), index=True)
    lock: Mapped[str | None] = mapped_column(String(200))
    #: at most one waiting job per key (specs' `queueing_lock`, e.g. one refresh per account).
    queueing_lock: Mapped[str | None] = mapped_column(String(200))
    #: the scheduled time a periodic job was deferred for ("<task>@<epoch>"), unique.
    periodic_key: Mapped[str | None] = mapped_column(String(120), unique=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    scheduled_at: Mapped[datetime] = mapped_column(UtcDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    worker: Mapped[str | None] = mapped_column(String(100))
    error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        # at most one waiting job per queueing lock
        Index("uq_jobs_queueing_lock_todo", "queueing_lock", unique=True,
              sqlite_where=text("status = 'todo'"), postgresql_where=text("status = 'todo'")),
    )


class ImportRun(Base):
    """A large `POST /api/v1/import` body: spooled by the request, loaded by an `import` job,
    its progress at GET /api/v1/imports/<id>."""

    __tablename__ = "imports"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    #: queued -> running -> done (some lines may be rejected) | failed
    status: Mapped[str] = mapped_column(String(12))
    spool: Mapped[str] = mapped_column(Text)
    bytes: Mapped[int] = mapped_column(Integer)
    requested_by: Mapped[str | None] = mapped_column(String(200))
    lines_read: Mapped[int] = mapped_column(Integer, default=0)
    loaded: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    by_type: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    #: the first rejected lines: [{"line", "reason"}]
    errors: Mapped[list[Any] | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
