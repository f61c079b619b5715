"""What the playbooks read of an account beyond its history row: when the account began (the
`new_account` condition) and its signals' reasons as of a day (`{signal.reason}`).

**When an account began** is the earliest of the dates that say so: its CRM created date
(`created_date` of the account record: the CRM connectors fill it, an import may carry it),
its onboarding start, and the close date of its first won deal. An account with none of
these began on the first day it has a stored history row, but only when that is later than
the workspace's first stored day (it appeared after the workspace began, e.g. a company
created in the CRM and synced since); otherwise its start is unknown and it is never new.
So a workspace that imports a year of history has no "new" accounts on its first day.

**Signal reasons** (`{signal.reason}`, `{signal.severity}`) of the day: from the current
metrics rows when they are of that day, else the 360 evaluated as of that day with the
settings its history row was computed with (the settings history), so a past `--as-of`
names the real reason, not the signal code.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server import models as m
from server.rows.models import AccountDay, AccountMetrics

NEW_ACCOUNT_DAYS = 30
CREATED_KEYS = ("created_date", "created_at")
CHUNK = 500


def _as_date(value) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str) and len(value) >= 10:
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def _chunks(ids: list[str]) -> Iterable[list[str]]:
    for i in range(0, len(ids), CHUNK):
        yield ids[i:i + CHUNK]


def account_starts(session: Session, ids: list[str]) -> dict[str, date]:
    """The day each account began (accounts whose start is unknown are left out)."""
    uniq = sorted(set(ids))
    starts: dict[str, date] = {}

    def earliest(acc: str, value) -> None:
        d = _as_date(value)
        if d is not None and (acc not in starts or d < starts[acc]):
            starts[acc] = d

    a, deal = m.Account, m.Deal
    for part in _chunks(uniq):
        for acc, onboarding, attrs in session.execute(
                select(a.id, a.onboarding_start, a.attributes).where(a.id.in_(part))):
            earliest(acc, onboarding)
            for key in CREATED_KEYS:
                earliest(acc, (attrs or {}).get(key))
        for acc, first in session.execute(
                select(deal.account_id, func.min(deal.close_date))
                .where(deal.account_id.in_(part), deal.status == "won")
                .group_by(deal.account_id)):
            earliest(acc, first)
    unknown = [acc for acc in uniq if acc not in starts]
    if unknown:
        began = session.scalar(select(func.min(AccountDay.day)))
        for part in _chunks(unknown):
            for acc, first in session.execute(
                    select(AccountDay.account_id, func.min(AccountDay.day))
                    .where(AccountDay.account_id.in_(part)).group_by(AccountDay.account_id)):
                if began is not None and first is not None and first > began:
                    starts[acc] = first
    return starts


def _settings_of_version(session: Session, store, digest: str | None):
    """The workspace settings a history row was computed with (else the current ones)."""
    from server import settings_history
    from server.rows.build import settings_version

    if not digest or digest == settings_version(store.settings):
        return store.settings
    number = settings_history.number_of(session, digest)
    row = session.get(settings_history.SettingsVersion, number) if number else None
    return settings_history.from_version(row) if row is not None else store.settings


def signal_reasons(session: Session, store, ids: list[str], day: date) -> dict[str, dict]:
    """account -> {code: {"code", "reason", "severity", ...}} of its signals on `day`."""
    from server.services.evaluate import evaluate_many

    uniq = sorted(set(ids))
    out: dict[str, dict] = {}
    for part in _chunks(uniq):
        for acc, signals in session.execute(
                select(AccountMetrics.account_id, AccountMetrics.signals).where(
                    AccountMetrics.account_id.in_(part), AccountMetrics.as_of == day)):
            out[acc] = {s["code"]: s for s in signals or ()}
    rest = [acc for acc in uniq if acc not in out]
    if not rest:
        return out
    by_version: dict[str | None, list[str]] = {}
    for part in _chunks(rest):
        for acc, version in session.execute(
                select(AccountDay.account_id, AccountDay.settings_version)
                .where(AccountDay.account_id.in_(part), AccountDay.day == day)):
            by_version.setdefault(version, []).append(acc)
    for version, accs in by_version.items():
        settings = _settings_of_version(session, store, version)
        for part in _chunks(accs):
            _, evals = evaluate_many(session, part, day, settings)
            for acc, ev in evals.items():
                out[acc] = {s.code: s.to_dict() for s in ev.signals}
    return out
