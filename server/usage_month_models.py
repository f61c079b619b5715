"""Calendar-month rollups of the active users (`usage_user_days`), read by the North Star's
team total by month when it counts active users or seats (server/services/usage_months.py
keeps them: an account's rollup is rebuilt from its user-days whenever its usage stamp
`accounts.usage_changed_at`, which every usage write moves, differs from the one it was built
at, or its seats from those it was built with).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer
from sqlalchemy.orm import Mapped, mapped_column

from server.models import NO_ROWID, Base, UtcDateTime


def _acct_fk() -> ForeignKey:
    return ForeignKey("accounts.id", ondelete="CASCADE")


class UsageMonth(Base):
    """Distinct active users of an account in a calendar month (`month`: its first day), and
    the seats used (those users, at most the account's seats as stamped); `user_days`: how
    many user-days of the month it was counted from."""

    __tablename__ = "usage_months"
    __table_args__ = NO_ROWID
    account_id: Mapped[str] = mapped_column(_acct_fk(), primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    users: Mapped[int] = mapped_column(Integer)
    seats_used: Mapped[int] = mapped_column(Integer)
    user_days: Mapped[int] = mapped_column(Integer)


#: The team's months are one range read of this index (covering).
Index("ix_usage_months_month", UsageMonth.month, UsageMonth.account_id, UsageMonth.users,
      UsageMonth.seats_used)


class UsageMonthEdge(Base):
    """Per account and active day: how many users have their first (`firsts`) and their last
    (`lasts`) active day of that calendar month on it. A period that starts or ends inside a
    month counts that month's users from these (users whose last day is on or after the
    start; whose first day is on or before the end)."""

    __tablename__ = "usage_month_edges"
    __table_args__ = NO_ROWID
    account_id: Mapped[str] = mapped_column(_acct_fk(), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    firsts: Mapped[int] = mapped_column(Integer)
    lasts: Mapped[int] = mapped_column(Integer)


Index("ix_usage_month_edges_day", UsageMonthEdge.day, UsageMonthEdge.account_id,
      UsageMonthEdge.firsts, UsageMonthEdge.lasts)


class UsageMonthStamp(Base):
    """The account's usage stamp (`updated_at`: `accounts.usage_changed_at` as copied) and
    seats its rollup was built with."""

    __tablename__ = "usage_month_stamps"
    account_id: Mapped[str] = mapped_column(_acct_fk(), primary_key=True)
    updated_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    seats: Mapped[int | None] = mapped_column(Integer)
