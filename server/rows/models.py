"""Tables of the account-metrics rows (current figures, daily history, ARR timeline)."""

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
    String,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from server.models import Base, Money, UtcDateTime


def _acct_fk() -> ForeignKey:
    return ForeignKey("accounts.id", ondelete="CASCADE")


class AccountMetrics(Base):
    """One row of current figures per account, as of `as_of` with settings `settings_version`.

    The `*_key` columns are the sort keys of `GET /api/v1/accounts` (lower-cased name and
    owner, health with unknown as -1, renewal with none as 9999-12-31), each indexed with the
    account id so every sort pages on an index. Period columns are the default period
    (trailing 12 months as of `as_of`); `first_response_hours` and `resolution_hours` list
    the per-ticket hours of the last 90 days so team medians pool tickets exactly. The
    relationship figures sort on their `*_key` columns: the figure, or UNKNOWN_KEY.
    """

    __tablename__ = "account_metrics"
    account_id: Mapped[str] = mapped_column(_acct_fk(), primary_key=True)
    as_of: Mapped[date] = mapped_column(Date, index=True)
    settings_version: Mapped[str] = mapped_column(String(16), index=True)
    computed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    name_key: Mapped[str] = mapped_column(String(500))
    owner_key: Mapped[str | None] = mapped_column(String(320), index=True)
    segment: Mapped[str | None] = mapped_column(String(100), index=True)
    # revenue
    arr: Mapped[Decimal] = mapped_column(Money)
    mrr: Mapped[Decimal] = mapped_column(Money)
    had_arr: Mapped[bool] = mapped_column(Boolean)
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    start_arr: Mapped[Decimal] = mapped_column(Money)
    end_arr: Mapped[Decimal] = mapped_column(Money)
    expansion: Mapped[Decimal] = mapped_column(Money)
    contraction: Mapped[Decimal] = mapped_column(Money)
    churn: Mapped[Decimal] = mapped_column(Money)
    new_arr: Mapped[Decimal] = mapped_column(Money)
    upsell: Mapped[Decimal] = mapped_column(Money)
    cross_sell: Mapped[Decimal] = mapped_column(Money)
    # the default period's ARR increases, all and cross-sell (server.rows.periods)
    period_increase: Mapped[Decimal | None] = mapped_column(Money)
    period_cross_increase: Mapped[Decimal | None] = mapped_column(Money)
    # the account's owner as written (the team figures group by it) and how many ticket
    # and reply hours it has in ticket_hours, per kind (server.rows.periods.team_columns)
    owner: Mapped[str | None] = mapped_column(String(320))
    response_count: Mapped[int | None] = mapped_column(Integer)
    resolution_count: Mapped[int | None] = mapped_column(Integer)
    reply_count: Mapped[int | None] = mapped_column(Integer)
    nrr_contribution: Mapped[Decimal | None] = mapped_column(Money)
    renewal_date: Mapped[date | None] = mapped_column(Date)
    days_to_renewal: Mapped[int | None] = mapped_column(Integer)
    renewal_key: Mapped[date] = mapped_column(Date)
    onboarding_start: Mapped[date | None] = mapped_column(Date)
    # health and signals
    health_score: Mapped[float | None] = mapped_column(Float)
    health_key: Mapped[float] = mapped_column(Float)
    band: Mapped[str] = mapped_column(String(10), index=True)
    health_components: Mapped[list[Any]] = mapped_column(JSON)
    health_30d_ago: Mapped[float | None] = mapped_column(Float)
    health_change_30d: Mapped[float | None] = mapped_column(Float)
    signals: Mapped[list[Any]] = mapped_column(JSON)
    signal_count: Mapped[int] = mapped_column(Integer)
    phase: Mapped[str] = mapped_column(String(20), index=True)
    # usage
    active_users_30d: Mapped[int | None] = mapped_column(Integer)
    active_users_prior_30d: Mapped[int | None] = mapped_column(Integer)
    usage_trend: Mapped[float | None] = mapped_column(Float)
    seat_utilization: Mapped[float | None] = mapped_column(Float)
    adoption_breadth: Mapped[float | None] = mapped_column(Float)
    days_since_last_activity: Mapped[int | None] = mapped_column(Integer)
    time_to_first_value_days: Mapped[int | None] = mapped_column(Integer)
    # support
    open_tickets: Mapped[dict[str, Any]] = mapped_column(JSON)
    open_tickets_total: Mapped[int] = mapped_column(Integer)
    first_response_hours: Mapped[list[Any]] = mapped_column(JSON)
    resolution_hours: Mapped[list[Any]] = mapped_column(JSON)
    # relationship
    days_since_last_touchpoint: Mapped[int | None] = mapped_column(Integer)
    touchpoints_90d: Mapped[int] = mapped_column(Integer)
    nps: Mapped[float | None] = mapped_column(Float)
    nps_promoters: Mapped[int] = mapped_column(Integer)
    nps_passives: Mapped[int] = mapped_column(Integer)
    nps_detractors: Mapped[int] = mapped_column(Integer)
    ces_mean: Mapped[float | None] = mapped_column(Float)
    ces_responses: Mapped[int] = mapped_column(Integer)
    onboarding_mean: Mapped[float | None] = mapped_column(Float)
    onboarding_responses: Mapped[int] = mapped_column(Integer)
    advocacy_365d: Mapped[int] = mapped_column(Integer)
    sentiment: Mapped[float | None] = mapped_column(Float)
    sentiment_change_90d: Mapped[float | None] = mapped_column(Float)
    sentiment_messages: Mapped[int] = mapped_column(Integer, default=0)
    relationship_score: Mapped[float | None] = mapped_column(Float)
    engaged_contacts: Mapped[int] = mapped_column(Integer, default=0)
    reply_hours: Mapped[list[Any]] = mapped_column(JSON, default=list)
    replies_unanswered: Mapped[int] = mapped_column(Integer, default=0)
    north_star_value: Mapped[int | None] = mapped_column(Integer)
    north_star_change: Mapped[int | None] = mapped_column(Integer)
    reply_median_hours: Mapped[float | None] = mapped_column(Float)
    # sort keys of the relationship figures (unknown: UNKNOWN_KEY, after every value)
    relationship_key: Mapped[float] = mapped_column(Float)
    sentiment_key: Mapped[float] = mapped_column(Float)
    sentiment_change_key: Mapped[float] = mapped_column(Float)
    reply_key: Mapped[float] = mapped_column(Float)
    north_star_key: Mapped[int] = mapped_column(Integer)


#: the sort key of an unknown figure: above every value a figure can take, so an unknown
#: figure sorts last ascending (first descending), as the list's other empty values
UNKNOWN_KEY = 10**9

SORT_KEY_COLUMNS = ("name_key", "arr", "health_key", "renewal_key", "signal_count",
                    "relationship_key", "sentiment_key", "sentiment_change_key", "reply_key",
                    "north_star_key")
for _col in SORT_KEY_COLUMNS:
    Index(f"ix_account_metrics_{_col}_id", getattr(AccountMetrics, _col),
          AccountMetrics.account_id)
# the dashboard memo's stamp reads the latest computed_at (server.workspace.memo): a seek
Index("ix_account_metrics_computed_at", AccountMetrics.computed_at)
# a segment scope matches case-blind (`scoped`): a seek on the lowered segment
Index("ix_account_metrics_segment_key", func.lower(AccountMetrics.segment))


#: the rows still without the default period's increases (written before they were stored):
#: a seek tells whether the team retention can read the stored period (server.rows.periods)
_unfilled = AccountMetrics.period_increase.is_(None)
Index("ix_account_metrics_no_period_increase", AccountMetrics.account_id,
      sqlite_where=_unfilled, postgresql_where=_unfilled)


class AccountDay(Base):
    """One row per account and day of history (the daily snapshot).

    `signal_runs` maps each firing code to the first day of its unbroken daily run, so the
    next day's `since` needs only this row. `settings_version` names the settings it was
    computed with. `reply_hours` is the day's email reply median (90 days), `north_star`
    the North Star value (None when the settings name none).
    """

    __tablename__ = "account_days"
    account_id: Mapped[str] = mapped_column(_acct_fk(), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True, index=True)
    score: Mapped[float | None] = mapped_column(Float)
    band: Mapped[str] = mapped_column(String(10))
    components: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    signals: Mapped[list[str]] = mapped_column(JSON, default=list)
    signal_runs: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    phase: Mapped[str | None] = mapped_column(String(20))
    arr: Mapped[Decimal | None] = mapped_column(Money)
    active_users_30d: Mapped[int | None] = mapped_column(Integer)
    usage_trend: Mapped[float | None] = mapped_column(Float)
    days_to_renewal: Mapped[int | None] = mapped_column(Integer)
    settings_version: Mapped[str | None] = mapped_column(String(16))
    relationship: Mapped[float | None] = mapped_column(Float)
    sentiment: Mapped[float | None] = mapped_column(Float)
    sentiment_change_90d: Mapped[float | None] = mapped_column(Float)
    reply_hours: Mapped[float | None] = mapped_column(Float)
    north_star: Mapped[int | None] = mapped_column(Integer)


# the accounts per health band at month ends (services.trends): index-only, by day
Index("ix_account_days_day_band", AccountDay.day, AccountDay.band, AccountDay.account_id)


class ArrChangeRow(Base):
    """The ARR timeline of an account (metrics.md section 1), rebuilt when its deals change."""

    __tablename__ = "arr_changes"
    account_id: Mapped[str] = mapped_column(_acct_fk(), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    date: Mapped[date] = mapped_column(Date, index=True)
    kind: Mapped[str] = mapped_column(String(20))
    deal_id: Mapped[str] = mapped_column(String(200))
    before: Mapped[Decimal] = mapped_column(Money)
    after: Mapped[Decimal] = mapped_column(Money)
    expansion_type: Mapped[str | None] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(10))


#: the increases of accounts that already had ARR: the quarterly expansion reads this index
#: alone (server.rows.retention.expansion_by_owner)
_increase = text("before > 0 AND after > before")
Index("ix_arr_changes_increases", ArrChangeRow.date, ArrChangeRow.account_id,
      ArrChangeRow.before, ArrChangeRow.after, ArrChangeRow.expansion_type,
      sqlite_where=_increase, postgresql_where=_increase)


class MetricsCounter(Base):
    """A counter moved by the transactions that change what it counts (server.rows.stamps):
    `arr_timeline` by every write of some account's ARR timeline, `accounts_deleted` by every
    account deleted. Its row stays locked until the writing transaction commits, so the
    values are taken in commit order."""

    __tablename__ = "metrics_counters"
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger)


class TimelineVersion(Base):
    """The `arr_timeline` counter's value of the last write of an account's ARR timeline (no
    row: unchanged since before the counter), so a reader that knows the timelines of value v
    re-reads only the accounts above it."""

    __tablename__ = "arr_timeline_versions"
    account_id: Mapped[str] = mapped_column(_acct_fk(), primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, index=True)


class MetricsDirty(Base):
    """Accounts written since their current row was computed (the job right after a write)."""

    __tablename__ = "metrics_dirty"
    account_id: Mapped[str] = mapped_column(_acct_fk(), primary_key=True)
    marked_at: Mapped[datetime] = mapped_column(UtcDateTime)


class MetricsStale(Base):
    """Accounts whose daily history from `from_day` on no longer matches their records."""

    __tablename__ = "metrics_stale"
    account_id: Mapped[str] = mapped_column(_acct_fk(), primary_key=True)
    from_day: Mapped[date] = mapped_column(Date)
    marked_at: Mapped[datetime] = mapped_column(UtcDateTime)


class MetricsJob(Base):
    """Progress of a long metrics job (the backfill), so an interrupted run resumes."""

    __tablename__ = "metrics_jobs"
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    state: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class AccountSignal(Base):
    """One firing signal of an account's current row (indexed: who has signal X, counts)."""

    __tablename__ = "account_signals"
    account_id: Mapped[str] = mapped_column(_acct_fk(), primary_key=True)
    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    severity: Mapped[str] = mapped_column(String(10))
    owner: Mapped[str | None] = mapped_column(String(320))


Index("ix_account_signals_code_owner", AccountSignal.code, AccountSignal.owner)
# the team's warnings by owner, code and severity read the index alone (server.rows.team)
Index("ix_account_signals_owner_code_severity", AccountSignal.owner, AccountSignal.code,
      AccountSignal.severity)


class TicketHours(Base):
    """Hours to first response / to resolution of an account's last-90-day tickets, so team
    medians pool tickets with indexed SQL (kind: "response" or "resolution"; "reply": hours
    from an inbound email to our reply, server.metrics.replies)."""

    __tablename__ = "ticket_hours"
    account_id: Mapped[str] = mapped_column(_acct_fk(), primary_key=True)
    kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    hours: Mapped[float] = mapped_column(Float)
    owner: Mapped[str | None] = mapped_column(String(320))


Index("ix_ticket_hours_kind_hours", TicketHours.kind, TicketHours.hours)
Index("ix_ticket_hours_kind_owner_hours", TicketHours.kind, TicketHours.owner, TicketHours.hours)


def scoped(stmt, owner: str | None, segment: str | None, phase: str | None,
           band: str | None = None):
    """`stmt` narrowed to one owner, segment, phase or band of the current rows (when given)."""
    am = AccountMetrics
    if owner:
        stmt = stmt.where(am.owner_key == owner.strip().lower())
    if segment:
        stmt = stmt.where(func.lower(am.segment) == segment.strip().lower())
    if phase:
        stmt = stmt.where(am.phase == phase)
    if band:
        stmt = stmt.where(am.band == band)
    return stmt
