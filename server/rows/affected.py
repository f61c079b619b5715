"""The first day a write changes: compares buffered records with the stored ones.

A record that is new or differs in a field the metrics read changes every day from its
earliest date on (old and new versions both count); an unchanged record changes nothing.
An account whose seats, renewal date or onboarding start change is affected on every day.
"""

from __future__ import annotations

from datetime import date, datetime, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from server import models as m

ALWAYS = date(1970, 1, 1)

#: record type -> (model, fields the metrics read, date fields)
TRACKED = {
    "deal": (m.Deal, ("kind", "status", "amount", "close_date", "expansion_type"),
             ("close_date",)),
    "ticket": (m.Ticket, ("status", "priority", "created_at", "first_response_at", "solved_at",
                          "satisfaction"),
               ("created_at", "first_response_at", "solved_at")),
    "touchpoint": (m.Touchpoint, ("kind", "date"), ("date",)),
    "nps": (m.NpsResponse, ("score", "date", "contact_email"), ("date",)),
    "survey": (m.Survey, ("kind", "score", "scale", "date"), ("date",)),
    "advocacy": (m.Advocacy, ("kind", "date"), ("date",)),
    "contact": (m.Contact, ("champion", "active", "inactive_since", "role"), ("inactive_since",)),
    "message": (m.Message, ("at", "channel", "direction", "sentiment", "contact_email",
                            "thread_id"), ("at",)),
}
ACCOUNT_FIELDS = ("seats", "renewal_date", "onboarding_start")


def _day(value) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    return value


def _norm(value):
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=timezone.utc)).timestamp()
    if isinstance(value, float):
        return round(value, 6)
    try:
        return float(value) if value is not None and not isinstance(value, (str, bool, date)) \
            else value
    except (TypeError, ValueError):
        return value


def record_day(rtype: str, row) -> date:
    """The earliest day a stored record affects (ALWAYS when it has no date)."""
    if rtype not in TRACKED:
        return ALWAYS
    _, _, dates = TRACKED[rtype]
    days = [_day(getattr(row, f)) for f in dates if getattr(row, f, None) is not None]
    return min(days) if days else ALWAYS


def _lower(out: dict[str, date], account_id: str, day: date) -> None:
    old = out.get(account_id)
    out[account_id] = day if old is None or day < old else old


def affected_days(session: Session, rows: dict[str, dict[tuple, dict]]) -> dict[str, date]:
    """Per account, the first day the buffered records change (absent = no change to the past)."""
    out: dict[str, date] = {}
    accounts = rows.get("account")
    if accounts:
        stored = {a.id: a for a in session.scalars(
            select(m.Account).where(m.Account.id.in_([r["id"] for r in accounts.values()])))}
        for r in accounts.values():
            old = stored.get(r["id"])
            if old is not None and any(_norm(getattr(old, f)) != _norm(r[f])
                                       for f in ACCOUNT_FIELDS):
                _lower(out, r["id"], ALWAYS)
    for rtype, (model, fields, dates) in TRACKED.items():
        batch = rows.get(rtype)
        if not batch:
            continue
        stored = {o.id: o for o in session.scalars(
            select(model).where(model.id.in_([r["id"] for r in batch.values()])))}
        for r in batch.values():
            old = stored.get(r["id"])
            if old is not None and old.account_id == r["account_id"] and all(
                    _norm(getattr(old, f)) == _norm(r[f]) for f in fields):
                continue
            days = [_day(r[f]) for f in dates if r.get(f) is not None]
            if rtype == "contact" and not days:
                days = [ALWAYS] if old is not None or r["champion"] or r["role"] else []
            if old is not None:
                days.append(record_day(rtype, old))
                if old.account_id != r["account_id"]:
                    _lower(out, old.account_id, record_day(rtype, old))
            if days:
                _lower(out, r["account_id"], min(days))
    return out


def merge(a: dict[str, date], b: dict[str, date]) -> dict[str, date]:
    out = dict(a)
    for k, v in b.items():
        _lower(out, k, v)
    return out
