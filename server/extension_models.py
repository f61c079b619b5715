"""Tables of the extension's account features: aliases (a team-wide "this email / this domain
is that account" set from "Wrong account?" or "Link to an account"), their audit log (who,
when, before/after), and the on-open refresh of one account from its CRM."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.models import Base, UtcDateTime

KINDS = ("email", "domain")


class Alias(Base):
    __tablename__ = "aliases"
    __table_args__ = (UniqueConstraint("kind", "value"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    #: "email" (one address) or "domain" (every address of that domain)
    kind: Mapped[str] = mapped_column(String(10))
    value: Mapped[str] = mapped_column(String(320))
    account_id: Mapped[str] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    created_by: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class AliasChange(Base):
    """One change of an alias: set (new or re-pointed) or deleted, with the accounts before
    and after. Rows are never updated nor deleted."""

    __tablename__ = "alias_changes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    actor: Mapped[str] = mapped_column(String(320))
    action: Mapped[str] = mapped_column(String(10))
    kind: Mapped[str] = mapped_column(String(10))
    value: Mapped[str] = mapped_column(String(320))
    before_account_id: Mapped[str | None] = mapped_column(String(200))
    after_account_id: Mapped[str | None] = mapped_column(String(200))


class AccountRefresh(Base):
    """The latest on-open refresh of one account from one CRM: shared by every user who opens
    the account meanwhile, and the base of its per-account rate limit."""

    __tablename__ = "account_refreshes"
    account_id: Mapped[str] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True)
    system: Mapped[str] = mapped_column(String(20), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    status: Mapped[str] = mapped_column(String(20))
    records: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(String(500))


class EmailTemplate(Base):
    """An email template for Gmail's compose window, with {{ variables }} filled from the
    account's figures (server.services.templates lists them)."""

    __tablename__ = "email_templates"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    subject: Mapped[str | None] = mapped_column(String(500))
    body: Mapped[str] = mapped_column(Text)
    updated_by: Mapped[str] = mapped_column(String(320))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
