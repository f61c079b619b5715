"""Input rows for the metrics engine: frozen dataclasses the store layer builds per account."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

DEAL_KINDS = ("new", "expansion", "renewal", "contraction", "churn")
DEAL_STATUSES = ("open", "won", "lost")
TICKET_STATUSES = ("open", "pending", "solved", "closed")
OPEN_TICKET_STATUSES = ("open", "pending")
TICKET_PRIORITIES = ("low", "normal", "high", "urgent")
URGENT_PRIORITIES = ("high", "urgent")
TOUCHPOINT_KINDS = ("email", "call", "meeting", "qbr", "note")
SURVEY_KINDS = ("ces", "onboarding")
MESSAGE_CHANNELS = ("email", "ticket", "chat", "call", "meeting", "note")
ADVOCACY_KINDS = ("referral", "review", "case_study", "reference")


@dataclass(frozen=True)
class Deal:
    """A CRM deal; amount is annual, in the workspace currency."""

    id: str
    kind: str
    status: str
    amount: Decimal
    close_date: date
    expansion_type: str | None = None
    name: str | None = None
    stage: str | None = None


@dataclass(frozen=True)
class UsageStats:
    """Usage aggregates the store computes from per-day rows for one account and one as_of."""

    active_30d: int
    active_prior_30d: int
    dau_sum_30d: int
    features_used_30d: frozenset[str]
    sessions_30d: int
    session_seconds_30d: int
    last_event_day: date | None
    first_value_day: date | None
    daily_active: tuple[tuple[date, int], ...] = ()


@dataclass(frozen=True)
class Ticket:
    """A support ticket; datetimes are timezone-aware UTC."""

    id: str
    status: str
    priority: str
    created_at: datetime
    first_response_at: datetime | None = None
    solved_at: datetime | None = None
    subject: str | None = None
    satisfaction: str | None = None  # the customer's CSAT rating: "good" or "bad"


@dataclass(frozen=True)
class Touchpoint:
    """A CSM touchpoint: email, call, meeting or qbr."""

    kind: str
    date: date


@dataclass(frozen=True)
class NpsResponse:
    """One NPS answer (0-10)."""

    score: int
    date: date
    contact_email: str | None = None
    id: str | None = None


@dataclass(frozen=True)
class Survey:
    """A CES or onboarding survey score on its own scale."""

    kind: str
    score: Decimal
    scale: Decimal
    date: date


@dataclass(frozen=True)
class Advocacy:
    """An advocacy activity: referral, review, case_study or reference."""

    kind: str
    date: date


@dataclass(frozen=True)
class Contact:
    """A contact of the account; inactive_since is the day it became inactive or was removed."""

    email: str
    champion: bool = False
    active: bool = True
    inactive_since: date | None = None
    name: str | None = None
    title: str | None = None
    role: str | None = None
    user_id: str | None = None


@dataclass(frozen=True)
class Message:
    """A message with the account; sentiment is the scorer's -1..1 (None: not scored) and
    text what the message policy kept (None: nothing)."""

    id: str
    at: datetime
    channel: str
    direction: str
    sentiment: float | None = None
    contact_email: str | None = None
    author: str | None = None
    thread_id: str | None = None
    text: str | None = None


@dataclass(frozen=True)
class UserActivity:
    """A product user's activity: the last active day and active days in the last 30."""

    last_active_day: date
    active_days_30d: int


@dataclass(frozen=True)
class AccountFacts:
    """Everything the engine needs about one account.

    former_champions: champion contacts no longer linked to the account (removed in the CRM);
    the store keeps them from history so champion_left can fire.
    """

    seats: int | None = None
    renewal_date: date | None = None
    onboarding_start: date | None = None
    deals: tuple[Deal, ...] = ()
    tickets: tuple[Ticket, ...] = ()
    touchpoints: tuple[Touchpoint, ...] = ()
    nps: tuple[NpsResponse, ...] = ()
    surveys: tuple[Survey, ...] = ()
    advocacy: tuple[Advocacy, ...] = ()
    contacts: tuple[Contact, ...] = ()
    usage: UsageStats | None = None
    former_champions: tuple[Contact, ...] = ()
    messages: tuple[Message, ...] = ()
    #: product activity of users who are contacts, by user id (a contact's user_id or email)
    user_activity: dict[str, UserActivity] | None = None
    #: the North Star's (current, prior) period counts (server.metrics.north_star.windows)
    north_star_counts: tuple[int, int] | None = None
