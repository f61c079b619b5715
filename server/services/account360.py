"""Builds the customer 360 of an account from stored rows and the metrics engine."""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

from flask import current_app
from sqlalchemy import case, select
from sqlalchemy.orm import Session

from server import models as m
from server import settings_history
from server.errors import ApiError
from server.models import utcnow
from server.playbooks.history import nudges
from server.rows.build import settings_version
from server.rows.marks import mark
from server.services.evaluate import evaluate_many, known_score_30d_ago, since_from_history


def _task_json(t: m.Task) -> dict:
    return {"id": t.id, "subject": t.subject, "status": t.status, "due_date": t.due_date,
            "owner": t.owner, "note": t.note, "created_at": t.created_at,
            "crm_sync": None if not (t.crm_system or t.crm_sync_status) else {
                "system": t.crm_system, "id": t.crm_id, "status": t.crm_sync_status,
                "error": t.crm_sync_error, "attempts": t.crm_sync_attempts}}


def tasks_of(session: Session, account_id: str) -> list[dict]:
    """The account's tasks, open first, then by due date."""
    q = (select(m.Task).where(m.Task.account_id == account_id)
         .order_by(case((m.Task.status == "open", 0), else_=1),
                   m.Task.due_date.is_(None), m.Task.due_date, m.Task.created_at.desc()))
    return [_task_json(t) for t in session.scalars(q)]


def notes_of(session: Session, account_id: str, limit: int = 50) -> list[dict]:
    q = (select(m.Note).where(m.Note.account_id == account_id)
         .order_by(m.Note.created_at.desc(), m.Note.id.desc()).limit(limit))
    return [{"id": n.id, "body": n.body, "author": n.author, "created_at": n.created_at}
            for n in session.scalars(q)]


def freshness(session: Session) -> dict[str, Any]:
    return {f.source: f.synced_at for f in session.scalars(select(m.SourceFreshness))}


def account_json(acc: m.Account, session: Session) -> dict:
    links = session.scalars(select(m.CrmLink).where(
        m.CrmLink.account_id == acc.id, m.CrmLink.object_type == "account"))
    return {"id": acc.id, "name": acc.name, "domains": list(acc.domains or []),
            "owner": acc.owner, "segment": acc.segment, "seats": acc.seats,
            "crm": [{"system": link.system, "id": link.record_id} for link in links]}


def build_360(session: Session, account_id: str, as_of: date, settings) -> dict:
    """The full 360 JSON of one account as of a day."""
    known = known_score_30d_ago(session, account_id, as_of, settings_version(settings))
    accounts, evals = evaluate_many(session, [account_id], as_of, settings, known=known)
    if account_id not in accounts:
        raise ApiError(404, "not_found", f"No account with id {account_id}",
                       {"account_id": account_id})
    acc, ev = accounts[account_id], evals[account_id]
    history = since_from_history(session, account_id, as_of)
    signals = []
    for s in ev.signals:
        item = s.to_dict()
        if item.get("since") is None:
            item["since"] = (history.get(s.code) or as_of).isoformat()
        signals.append(item)
    rev = ev.revenue
    change = None
    if ev.health.score is not None and ev.health_30d_ago is not None:
        change = ev.health.score - ev.health_30d_ago
    usage = ev.usage.to_dict()
    usage["north_star"] = ev.north_star.to_dict() if ev.north_star is not None else None
    return {
        "as_of": as_of,
        "account": account_json(acc, session),
        "revenue": {
            "currency": settings.currency, "arr": rev.arr, "mrr": rev.mrr,
            "movements": rev.movements.to_dict(),
            "renewal_date": rev.renewal.renewal_date,
            "renewal_date_source": rev.renewal.renewal_date_source,
            "days_to_renewal": rev.renewal.days_to_renewal,
            "onboarding_start": rev.renewal.onboarding_start,
            "pipeline": [p.to_dict() for p in rev.renewal.pipeline],
        },
        "usage": usage,
        "support": ev.support.to_dict(),
        "relationship": ev.relationship.to_dict(),
        "health": {**ev.health.to_dict(), "change_30d": change,
                   "score_30d_ago": ev.health_30d_ago,
                   "settings": settings_history.describe(session, settings_version(settings))},
        "signals": signals,
        "phase": ev.phase,
        "tasks": tasks_of(session, account_id),
        "notes": notes_of(session, account_id),
        "freshness": freshness(session),
        "playbooks": nudges(session, account_id, utcnow()),
    }


def stamp_of(account_id: str):
    """The account's change stamp as a scalar subquery (NULL when there is no such account):
    the key of its cached 360, read with the request's token check."""
    return select(m.Account.updated_at).where(m.Account.id == account_id).scalar_subquery()


_UNREAD = object()


def cached_360(st, session: Session, account_id: str, as_of: date, stamp=_UNREAD) -> bytes:
    """The 360 as JSON bytes behind the TTL cache; a write to the account changes its key.
    `stamp`: the account's change stamp when the caller read it already (stamp_of)."""
    version = stamp if stamp is not _UNREAD else session.scalar(
        select(m.Account.updated_at).where(m.Account.id == account_id))
    if version is None and session.get(m.Account, account_id) is None:
        raise ApiError(404, "not_found", f"No account with id {account_id}",
                       {"account_id": account_id})
    key = (account_id, as_of, version)
    hit = st.cache.get(key)
    if hit is None:
        hit = current_app.json.dumps(build_360(session, account_id, as_of, st.settings)).encode()
        st.cache.put(key, hit)
    return hit


def touch(session: Session, account_id: str) -> None:
    """Mark an account as changed: cached 360s are not served again, its row is refreshed."""
    acc = session.get(m.Account, account_id)
    if acc is not None:
        acc.updated_at = datetime.now(timezone.utc)
        mark(session, [account_id])


def snapshot(session: Session, as_of: date, settings) -> int:
    """Write every account's history row for the day (the daily job)."""
    from server.rows.history import daily

    return daily(session, settings, as_of)
