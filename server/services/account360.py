"""Builds the customer 360 of an account from stored rows and the metrics engine."""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

from flask import current_app
from sqlalchemy import bindparam, case, func, select
from sqlalchemy.orm import Session

from server import models as m
from server.db_batch import Batch
from server.errors import ApiError
from server.models import utcnow
from server.playbooks.history import nudges_read
from server.rows.build import settings_version
from server.rows.marks import mark
from server.services.evaluate import evaluate, known_score_read, scores_30d_ago, since_read
from server.services.facts import load_facts
from server.settings_models import SettingsVersion


def _task_json(t: m.Task) -> dict:
    return _task_row_json((t.id, t.subject, t.status, t.due_date, t.owner, t.note,
                           t.created_at, t.crm_system, t.crm_id, t.crm_sync_status,
                           t.crm_sync_error, t.crm_sync_attempts))


def _task_row_json(row) -> dict:
    """A task of the 360 from the columns of READS["tasks"]."""
    (tid, subject, status, due, owner, note, created, crm_system, crm_id, sync_status,
     sync_error, attempts) = row
    return {"id": tid, "subject": subject, "status": status, "due_date": due,
            "owner": owner, "note": note, "created_at": created,
            "crm_sync": None if not (crm_system or sync_status) else {
                "system": crm_system, "id": crm_id, "status": sync_status,
                "error": sync_error, "attempts": attempts}}


def _note_json(row) -> dict:
    nid, body, author, created = row
    return {"id": nid, "body": body, "author": author, "created_at": created}


T, N, L, V = m.Task, m.Note, m.CrmLink, SettingsVersion
ONE = bindparam("id")
#: the 360's reads besides the metrics inputs, built once (every value a bound parameter),
#: so that they go in the round trip of the records (server.db_batch)
READS = {
    "tasks": select(T.id, T.subject, T.status, T.due_date, T.owner, T.note, T.created_at,
                    T.crm_system, T.crm_id, T.crm_sync_status, T.crm_sync_error,
                    T.crm_sync_attempts).where(T.account_id == ONE)
    .order_by(case((T.status == "open", 0), else_=1),
              T.due_date.is_(None), T.due_date, T.created_at.desc()),
    "notes": select(N.id, N.body, N.author, N.created_at).where(N.account_id == ONE)
    .order_by(N.created_at.desc(), N.id.desc()).limit(bindparam("limit")),
    "links": select(L.system, L.record_id).where(L.account_id == ONE,
                                                 L.object_type == "account"),
    "freshness": select(m.SourceFreshness.source, m.SourceFreshness.synced_at),
    "settings": select(V.id, V.applied_at, V.applied_by).where(V.id == select(
        func.max(V.id)).where(V.digest == bindparam("digest")).scalar_subquery()),
}


def _read(session: Session, name: str, params: dict) -> list:
    batch = Batch(session)
    handle = batch.add(READS[name], params)
    batch.run()
    return handle.rows


def tasks_of(session: Session, account_id: str) -> list[dict]:
    """The account's tasks, open first, then by due date."""
    return [_task_row_json(r) for r in _read(session, "tasks", {"id": account_id})]


def notes_of(session: Session, account_id: str, limit: int = 50) -> list[dict]:
    return [_note_json(r) for r in _read(session, "notes", {"id": account_id, "limit": limit})]


def freshness(session: Session) -> dict[str, Any]:
    return {f.source: f.synced_at for f in session.scalars(select(m.SourceFreshness))}


def account_json(acc, links) -> dict:
    """The account's part of the 360 (`acc`: its Account or facts.AccountRow); `links`: its
    CRM (system, record id) pairs."""
    return {"id": acc.id, "name": acc.name, "domains": list(acc.domains or []),
            "owner": acc.owner, "segment": acc.segment, "seats": acc.seats,
            "crm": [{"system": system, "id": record_id} for system, record_id in links]}


def _settings_json(digest: str | None, rows) -> dict:
    """settings_history.describe from the statement READS["settings"]."""
    number, applied_at, applied_by = rows[0] if digest and rows else (None, None, None)
    return {"version": number, "digest": digest, "applied_at": applied_at,
            "applied_by": applied_by}


def build_360(session: Session, account_id: str, as_of: date, settings) -> dict:
    """The full 360 JSON of one account as of a day. Every read but the account row goes
    in one batch with the metrics inputs: one round trip on PostgreSQL."""
    cfg, version = settings.metrics, settings_version(settings)
    batch = Batch(session)
    one = {"id": account_id}
    known = known_score_read(batch, account_id, as_of, version)
    since = since_read(batch, account_id, as_of)
    reads = {name: batch.add(READS[name], params) for name, params in (
        ("links", one), ("tasks", one), ("notes", {**one, "limit": 50}), ("freshness", {}),
        ("settings", {"digest": version or ""}))}
    shown = nudges_read(batch, account_id, utcnow())
    accounts, facts = load_facts(session, [account_id], as_of, cfg.first_value_event,
                                 cfg.north_star, batch=batch, plain=True)   # runs the batch
    if account_id not in accounts:
        raise ApiError(404, "not_found", f"No account with id {account_id}",
                       {"account_id": account_id})
    before = scores_30d_ago(session, [account_id], False, as_of, cfg, known())
    acc, ev = accounts[account_id], evaluate(facts[account_id], as_of, cfg,
                                             before.get(account_id))
    history = since()
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
        "account": account_json(acc, reads["links"].rows),
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
                   "settings": _settings_json(version, reads["settings"].rows)},
        "signals": signals,
        "phase": ev.phase,
        "tasks": [_task_row_json(r) for r in reads["tasks"].rows],
        "notes": [_note_json(r) for r in reads["notes"].rows],
        "freshness": {source: at for source, at in reads["freshness"].rows},
        "playbooks": shown(),
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
