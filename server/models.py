"""The store: SQLAlchemy tables for accounts, their records, usage aggregates and sync runs."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    String,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from server.db_types import UtcDateTime, utcnow  # noqa: F401  (models.utcnow, models.UtcDateTime)

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

Money = Numeric(18, 2)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dict[str, Any]: JSON, list[str]: JSON, datetime: UtcDateTime}


def _acct_fk() -> ForeignKey:
    return ForeignKey("accounts.id", ondelete="CASCADE")


class Account(Base):
    __tablename__ = "accounts"
    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    name: Mapped[str] = mapped_column(String(500), index=True)
    domains: Mapped[list[str]] = mapped_column(JSON, default=list)
    owner: Mapped[str | None] = mapped_column(String(320), index=True)
    seats: Mapped[int | None] = mapped_column(Integer)
    renewal_date: Mapped[date | None] = mapped_column(Date)
    onboarding_start: Mapped[date | None] = mapped_column(Date)
    segment: Mapped[str | None] = mapped_column(String(100))
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: bumped by every write that touches the account; part of the 360 cache key
    updated_at: Mapped[datetime | None] = mapped_column(
        UtcDateTime, onupdate=utcnow)
    #: moved only by a write that adds the account's usage (new events): the stamp of its
    #: North Star month rollups (server/services/usage_months.py), so a write of anything
    #: else (a CRM sync re-delivering the account, a task) leaves them valid
    usage_changed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    #: the earliest usage day a write added since the rollups were built (None: none since;
    #: the minimum is kept, the rebuild clears it): months before it stay valid
    usage_changed_from: Mapped[date | None] = mapped_column(Date)


class AccountDomain(Base):
    """One row per (domain, account): the lookup index for email and domain matching."""

    __tablename__ = "account_domains"
    domain: Mapped[str] = mapped_column(String(255), primary_key=True)
    account_id: Mapped[str] = mapped_column(_acct_fk(), primary_key=True, index=True)


class CrmLink(Base):
    """A CRM record id (account, contact, deal, ticket...) that points at an account."""

    __tablename__ = "crm_links"
    system: Mapped[str] = mapped_column(String(20), primary_key=True)
    record_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    object_type: Mapped[str] = mapped_column(String(30))
    account_id: Mapped[str] = mapped_column(_acct_fk(), index=True)


class Contact(Base):
    __tablename__ = "contacts"
    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    account_id: Mapped[str] = mapped_column(_acct_fk(), index=True)
    email: Mapped[str] = mapped_column(String(320), index=True)
    name: Mapped[str | None] = mapped_column(String(500))
    title: Mapped[str | None] = mapped_column(String(500))
    champion: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    inactive_since: Mapped[date | None] = mapped_column(Date)
    #: stakeholder role (server.records ENUMS contact.role); else derived from title/champion
    role: Mapped[str | None] = mapped_column(String(40))
    #: the contact's product user id, when usage events name users by another id than email
    user_id: Mapped[str | None] = mapped_column(String(200))
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Deal(Base):
    __tablename__ = "deals"
    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    account_id: Mapped[str] = mapped_column(_acct_fk(), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(10))
    amount: Mapped[Decimal] = mapped_column(Money)
    close_date: Mapped[date] = mapped_column(Date)
    name: Mapped[str | None] = mapped_column(String(500))
    stage: Mapped[str | None] = mapped_column(String(200))
    expansion_type: Mapped[str | None] = mapped_column(String(20))
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Ticket(Base):
    __tablename__ = "tickets"
    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    account_id: Mapped[str] = mapped_column(_acct_fk(), index=True)
    status: Mapped[str] = mapped_column(String(10))
    priority: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    first_response_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    solved_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    subject: Mapped[str | None] = mapped_column(Text)
    #: The customer's satisfaction rating of the ticket (CSAT): good or bad.
    satisfaction: Mapped[str | None] = mapped_column(String(10))
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Task(Base):
    __tablename__ = "tasks"
    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    account_id: Mapped[str] = mapped_column(_acct_fk(), index=True)
    subject: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(10))
    due_date: Mapped[date | None] = mapped_column(Date)
    owner: Mapped[str | None] = mapped_column(String(320))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    source: Mapped[str] = mapped_column(String(20), default="import")
    crm_system: Mapped[str | None] = mapped_column(String(20))
    crm_id: Mapped[str | None] = mapped_column(String(100))
    crm_sync_status: Mapped[str | None] = mapped_column(String(20))
    crm_sync_error: Mapped[str | None] = mapped_column(Text)
    crm_sync_attempts: Mapped[int] = mapped_column(Integer, default=0)
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Note(Base):
    __tablename__ = "notes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(_acct_fk(), index=True)
    body: Mapped[str] = mapped_column(Text)
    author: Mapped[str | None] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class _Dated:
    """Shared shape of the small dated records (touchpoints, NPS, surveys, advocacy)."""

    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    date: Mapped[date] = mapped_column(Date)
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Touchpoint(_Dated, Base):
    __tablename__ = "touchpoints"
    account_id: Mapped[str] = mapped_column(_acct_fk(), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    owner: Mapped[str | None] = mapped_column(String(320))


class NpsResponse(_Dated, Base):
    __tablename__ = "nps_responses"
    account_id: Mapped[str] = mapped_column(_acct_fk(), index=True)
    score: Mapped[int] = mapped_column(Integer)
    contact_email: Mapped[str | None] = mapped_column(String(320))
    comment: Mapped[str | None] = mapped_column(Text)


class Survey(_Dated, Base):
    __tablename__ = "surveys"
    account_id: Mapped[str] = mapped_column(_acct_fk(), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    score: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    scale: Mapped[Decimal] = mapped_column(Numeric(10, 2))


class Advocacy(_Dated, Base):
    __tablename__ = "advocacy"
    account_id: Mapped[str] = mapped_column(_acct_fk(), index=True)
    kind: Mapped[str] = mapped_column(String(20))


class Message(Base):
    """A message exchanged with the account: its sentiment (-1..1, scored at ingest) and its
    text only as the workspace's message policy allows (`full`, a snippet, or none)."""

    __tablename__ = "messages"
    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    account_id: Mapped[str] = mapped_column(_acct_fk())
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    channel: Mapped[str] = mapped_column(String(10))
    direction: Mapped[str] = mapped_column(String(3))
    sentiment: Mapped[float | None] = mapped_column(Float)
    text: Mapped[str | None] = mapped_column(Text)
    contact_email: Mapped[str | None] = mapped_column(String(320))
    author: Mapped[str | None] = mapped_column(String(320))
    thread_id: Mapped[str | None] = mapped_column(String(200))
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


Index("ix_messages_account_at", Message.account_id, Message.at)

NO_ROWID = {"sqlite_with_rowid": False}


class UsageUserDay(Base):
    """One row per account, UTC day and active user: exact distinct counts over any window."""

    __tablename__ = "usage_user_days"
    __table_args__ = NO_ROWID
    account_id: Mapped[str] = mapped_column(_acct_fk(), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    user_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    events: Mapped[int] = mapped_column(Integer, default=0)


#: A user's days in order: a contact's product activity is index seeks (facts.py)
Index("ix_usage_user_days_account_user_day", UsageUserDay.account_id, UsageUserDay.user_id,
      UsageUserDay.day)


class UsageEventDay(Base):
    """Event counts per account, day and event name (key features, first value)."""

    __tablename__ = "usage_event_days"
    __table_args__ = NO_ROWID
    account_id: Mapped[str] = mapped_column(_acct_fk(), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    events: Mapped[int] = mapped_column(Integer, default=0)


#: The team's North Star total by month reads one event's days across accounts (covering).
Index("ix_usage_event_days_name_day", UsageEventDay.name, UsageEventDay.day,
      UsageEventDay.account_id, UsageEventDay.events)


class UsageSession(Base):
    """A user session: from the vendor's session id, or events with gaps under 30 minutes."""

    __tablename__ = "usage_sessions"
    __table_args__ = NO_ROWID
    account_id: Mapped[str] = mapped_column(_acct_fk(), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    session_key: Mapped[str] = mapped_column(String(200), primary_key=True)
    start_ts: Mapped[int] = mapped_column(BigInteger)
    end_ts: Mapped[int] = mapped_column(BigInteger)
    day: Mapped[date] = mapped_column(Date)


Index("ix_usage_sessions_account_day", UsageSession.account_id, UsageSession.day)


class EventDigests(Base):
    """The 64-bit identity digests of the events ingested per account and UTC day, so
    re-imports never double count.

    A digest covers (account_id, user_id, name, time in microseconds); `digests` holds them
    as 8-byte little-endian signed integers, appended as new events arrive (see
    server.usage_ingest). One row per account-day instead of one per event keeps the write
    of an import to a few rows per session; two different events would have to share an
    account, a day and a 64-bit digest to be taken as one.
    """

    __tablename__ = "event_digests"
    __table_args__ = NO_ROWID
    account_id: Mapped[str] = mapped_column(_acct_fk(), primary_key=True)
    day: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    digests: Mapped[bytes] = mapped_column(LargeBinary)


class SourceFreshness(Base):
    """When each source (import, hubspot, mixpanel...) last delivered data."""

    __tablename__ = "source_freshness"
    source: Mapped[str] = mapped_column(String(40), primary_key=True)
    synced_at: Mapped[datetime] = mapped_column(UtcDateTime)
    records: Mapped[int] = mapped_column(BigInteger, default=0)


class ApiToken(Base):
    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    #: space-separated scopes (server.auth.SCOPES); tokens made before scopes existed: admin
    scopes: Mapped[str] = mapped_column(String(100), default="admin", server_default="admin")
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class SyncRun(Base):
    """One sync of one connector: when, how it ended, counts per stream."""

    __tablename__ = "sync_runs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    connector: Mapped[str] = mapped_column(String(40), index=True)
    status: Mapped[str] = mapped_column(String(20))
    full: Mapped[bool] = mapped_column(Boolean, default=False)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    host: Mapped[str | None] = mapped_column(String(255))
    pid: Mapped[int | None] = mapped_column(Integer)
    streams: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    error: Mapped[str | None] = mapped_column(Text)
    #: Records still parked when the run ended, by record type (server.sync.parking).
    parked: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class ParkedRecord(Base):
    """A connector's record whose account (its parent) is not in the store yet: kept here,
    it lands when the account does, in the same run or a later one (server.sync.parking)."""

    __tablename__ = "parked_records"
    source: Mapped[str] = mapped_column(String(40), primary_key=True)
    record_type: Mapped[str] = mapped_column(String(20), primary_key=True)
    record_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    parent_id: Mapped[str] = mapped_column(String(200), index=True)
    stream: Mapped[str] = mapped_column(String(100))
    record: Mapped[dict[str, Any]] = mapped_column(JSON)
    parked_at: Mapped[datetime] = mapped_column(UtcDateTime)


class SyncState(Base):
    """The resumable cursor of one stream, saved in the transaction of the page it covers."""

    __tablename__ = "sync_state"
    connector: Mapped[str] = mapped_column(String(40), primary_key=True)
    stream: Mapped[str] = mapped_column(String(100), primary_key=True)
    state: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    run_id: Mapped[int | None] = mapped_column(Integer)
