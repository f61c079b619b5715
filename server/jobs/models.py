"""Tables of the background jobs: the embedded queue's `jobs` (SQLite default; PostgreSQL
deployments use procrastinate's own tables, created by migration 0012), `imports`, the
large API imports loaded by a job, and `import_chunks`, their bodies."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, LargeBinary, String, Text, text
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
    #: receiving (the body arrives) -> queued -> running -> done (some lines may be
    #: rejected) | failed
    status: Mapped[str] = mapped_column(String(12))
    #: "database": the body is in import_chunks (a file path: spooled by an older release)
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


class ImportChunk(Base):
    """One piece (up to 1 MiB) of a large import's body, in order: any job worker reads it
    from the database, so web and job workers share no directory."""

    __tablename__ = "import_chunks"
    import_id: Mapped[int] = mapped_column(Integer, ForeignKey("imports.id", ondelete="CASCADE"),
                                           primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
