"""Tables of the playbooks: firings (one per playbook, account and episode), their actions
(one per action index, unique, so no two runs carry one out twice), runs, the daily digest
deliveries, the file's versions and the encrypted secrets."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.models import Base, UtcDateTime


def _acct_fk() -> ForeignKey:
    return ForeignKey("accounts.id", ondelete="CASCADE")


class PlaybookRun(Base):
    """One run of the playbooks (CLI, after a sync, daily, admin page)."""

    __tablename__ = "playbook_runs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    as_of: Mapped[date] = mapped_column(Date)
    trigger: Mapped[str] = mapped_column(String(20))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    error: Mapped[str | None] = mapped_column(Text)


class PlaybookFiring(Base):
    """A playbook firing on an account: one row per episode (first day of the condition's
    unbroken run of stored days)."""

    __tablename__ = "playbook_firings"
    __table_args__ = (UniqueConstraint("playbook", "account_id", "episode_start",
                                       name="uq_playbook_firings_episode"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    playbook: Mapped[str] = mapped_column(String(200))
    account_id: Mapped[str] = mapped_column(_acct_fk(), index=True)
    episode_start: Mapped[date] = mapped_column(Date)
    first_seen: Mapped[date] = mapped_column(Date)
    last_seen: Mapped[date] = mapped_column(Date)
    run_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)


class PlaybookAction(Base):
    """One action of a firing. The row is inserted (claimed) before the action is carried
    out; the unique key makes a second run's insert fail, so it never acts twice."""

    __tablename__ = "playbook_actions"
    __table_args__ = (UniqueConstraint("playbook", "account_id", "episode_start",
                                       "action_index", name="uq_playbook_actions_episode"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    firing_id: Mapped[int] = mapped_column(
        ForeignKey("playbook_firings.id", ondelete="CASCADE"), index=True)
    playbook: Mapped[str] = mapped_column(String(200))
    account_id: Mapped[str] = mapped_column(_acct_fk(), index=True)
    episode_start: Mapped[date] = mapped_column(Date)
    action_index: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(10))
    #: what it was: the rendered text, the recipient, the masked webhook, the task id.
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: pending (claimed), sent, retrying (failed, due again at next_attempt_at), failed.
    status: Mapped[str] = mapped_column(String(10), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    #: every attempt: {"at", "outcome", "error"}.
    log: Mapped[list[Any]] = mapped_column(JSON, default=list)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime, index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class PlaybookDigest(Base):
    """A daily digest to one CSM on one channel: claimed by its key before it is sent, so it
    goes out once a day; a failed send is retried with backoff like an action."""

    __tablename__ = "playbook_digests"
    csm: Mapped[str] = mapped_column(String(320), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    channel: Mapped[str] = mapped_column(String(10), primary_key=True)
    #: pending (claimed), sent, retrying (due again at next_attempt_at), failed.
    status: Mapped[str] = mapped_column(String(10))
    error: Mapped[str | None] = mapped_column(Text)
    #: when it was claimed (the first attempt)
    sent_at: Mapped[datetime] = mapped_column(UtcDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime, index=True)
    updated_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    log: Mapped[list[Any] | None] = mapped_column(JSON)
    #: the text sent (a retry sends the same digest), the Slack token sealed, the result
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class PlaybookVersion(Base):
    """A saved version of the playbooks file: who, when, and the text (Vault ciphertext:
    webhook URLs written inline are secrets). `parent_id` is the version it follows (0 for
    the first), unique: two readers noticing the same edit at once record it once."""

    __tablename__ = "playbook_versions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    parent_id: Mapped[int | None] = mapped_column(Integer, unique=True)
    sealed: Mapped[str] = mapped_column(Text)
    digest: Mapped[str] = mapped_column(String(64))
    author: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    summary: Mapped[str | None] = mapped_column(String(500))


class PlaybookSecret(Base):
    """A named secret (`secret:NAME` in the file): a webhook URL, a bot token, the SMTP
    password; Vault ciphertext only."""

    __tablename__ = "playbook_secrets"
    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    sealed: Mapped[str] = mapped_column(Text)
    updated_by: Mapped[str] = mapped_column(String(320))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
