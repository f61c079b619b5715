"""What the service has already seen: signed webhook deliveries (replay protection) and
idempotent API requests (a retried POST answers the first result). Both live in the
database, so every server process shares them, and both expire."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import ForeignKey, Integer, String, Text, delete
from sqlalchemy.orm import Mapped, Session, mapped_column

from server.db_upsert import dialect_insert
from server.models import Base, UtcDateTime

WEBHOOK_TTL = timedelta(days=1)


class WebhookReceipt(Base):
    """A webhook delivery signature or event id already accepted."""

    __tablename__ = "webhook_receipts"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)


class IdempotentRequest(Base):
    """The first answer to a request sent with an Idempotency-Key, per token."""

    __tablename__ = "idempotent_requests"
    token_id: Mapped[int] = mapped_column(
        ForeignKey("api_tokens.id", ondelete="CASCADE"), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    #: SHA-256 of method, path and body: the same key with another request is refused.
    fingerprint: Mapped[str] = mapped_column(String(64))
    #: None while the first request is still being answered.
    status: Mapped[int | None] = mapped_column(Integer)
    body: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)


def first_seen(session: Session, keys: list[str]) -> set[str]:
    """Record `keys` as received; return those not received before (atomic: of two
    processes recording the same key, exactly one gets it back)."""
    now = datetime.now(timezone.utc)
    session.execute(delete(WebhookReceipt).where(WebhookReceipt.received_at < now - WEBHOOK_TTL))
    if not keys:
        return set()
    insert = dialect_insert(session)
    todo, fresh = sorted(set(keys)), set()
    for i in range(0, len(todo), 500):
        stmt = insert(WebhookReceipt).values(
            [{"key": k, "received_at": now} for k in todo[i:i + 500]])
        stmt = stmt.on_conflict_do_nothing(index_elements=["key"]).returning(WebhookReceipt.key)
        fresh.update(session.scalars(stmt))
    return fresh
