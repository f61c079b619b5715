"""What the playbooks did: the firings with their actions and outcomes (GET
/api/v1/playbooks/runs and the admin page), the runs, and the nudges an account's 360 shows
("Playbook: Usage drop rescue, task created 2 days ago")."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from server import models as m
from server.db_batch import Batch
from server.playbooks.models import PlaybookAction, PlaybookDigest, PlaybookFiring, PlaybookRun

NUDGE_DAYS = 30
DONE = {"task": "task created", "slack": "Slack message sent", "email": "email sent"}
TRYING = {"task": "task pending", "slack": "Slack message pending", "email": "email pending"}


def _action_json(a: PlaybookAction) -> dict:
    d = {k: v for k, v in (a.detail or {}).items() if k != "sealed"}   # never the secret
    return {"index": a.action_index, "kind": a.kind, "status": a.status,
            "attempts": a.attempts, "retried": a.attempts > 1, "error": a.last_error,
            "next_attempt_at": a.next_attempt_at, "created_at": a.created_at,
            "updated_at": a.updated_at, "detail": d, "log": list(a.log or [])}


def firings(session: Session, limit: int = 50, before_id: int | None = None,
            playbook: str | None = None, account_id: str | None = None,
            status: str | None = None) -> tuple[list[dict], int | None]:
    """Firings newest first with their actions; the id to page on (or None at the end)."""
    f = PlaybookFiring
    q = select(f, m.Account.name).join(m.Account, m.Account.id == f.account_id)
    if before_id is not None:
        q = q.where(f.id < before_id)
    if playbook:
        q = q.where(f.playbook == playbook)
    if account_id:
        q = q.where(f.account_id == account_id)
    if status:
        q = q.where(f.id.in_(select(PlaybookAction.firing_id)
                             .where(PlaybookAction.status == status)))
    rows = session.execute(q.order_by(f.id.desc()).limit(limit + 1)).all()
    page = rows[:limit]
    acts: dict[int, list[dict]] = {}
    if page:
        for a in session.scalars(select(PlaybookAction).where(
                PlaybookAction.firing_id.in_([r[0].id for r in page]))
                .order_by(PlaybookAction.action_index)):
            acts.setdefault(a.firing_id, []).append(_action_json(a))
    items = [{"id": r[0].id, "playbook": r[0].playbook, "account_id": r[0].account_id,
              "account_name": r[1], "episode_start": r[0].episode_start,
              "first_seen": r[0].first_seen, "last_seen": r[0].last_seen,
              "run_id": r[0].run_id, "created_at": r[0].created_at,
              "actions": acts.get(r[0].id, [])} for r in page]
    return items, (page[-1][0].id if len(rows) > limit else None)


def digests(session: Session, limit: int = 50) -> list[dict]:
    """The recent daily digests, newest day first: CSM, channel, outcome, attempts, the
    vendor's error and the next attempt (never the text's secrets: there are none)."""
    d = PlaybookDigest
    return [{"csm": r.csm, "day": r.day, "channel": r.channel, "status": r.status,
             "attempts": r.attempts, "error": r.error, "next_attempt_at": r.next_attempt_at,
             "sent_at": r.sent_at, "updated_at": r.updated_at, "log": list(r.log or [])}
            for r in session.scalars(select(d).order_by(d.day.desc(), d.csm, d.channel)
                                     .limit(limit))]


def runs(session: Session, limit: int = 20) -> list[dict]:
    return [{"id": r.id, "as_of": r.as_of, "trigger": r.trigger, "started_at": r.started_at,
             "finished_at": r.finished_at, "counts": dict(r.counts or {}), "error": r.error}
            for r in session.scalars(select(PlaybookRun).order_by(PlaybookRun.id.desc())
                                     .limit(limit))]


def ago(then: datetime, now: datetime) -> str:
    days = (now.date() - then.date()).days
    return "today" if days <= 0 else "yesterday" if days == 1 else f"{days} days ago"


def nudges(session: Session, account_id: str, now: datetime) -> list[dict]:
    """The account's playbook firings of the last 30 days, newest first, each with one
    line of text for the widget and the workspace."""
    batch = Batch(session)
    shown = nudges_read(batch, account_id, now)
    batch.run()
    return shown()


def _nudge_statements():
    f, a = PlaybookFiring, PlaybookAction
    recent = (f.account_id == bindparam("id")) & (f.created_at >= bindparam(
        "since", type_=f.created_at.type))
    shown = (select(f.id).where(recent).order_by(f.created_at.desc(), f.id.desc())
             .limit(NUDGE_LIMIT))
    return (select(f.id, f.playbook, f.episode_start, f.created_at).where(recent)
            .order_by(f.created_at.desc(), f.id.desc()).limit(NUDGE_LIMIT),
            select(a.firing_id, a.kind, a.status)
            .where(a.firing_id.in_(shown.scalar_subquery())).order_by(a.action_index))


NUDGE_LIMIT = 10
_NUDGES = _nudge_statements()


def nudges_read(batch: Batch, account_id: str, now: datetime) -> Callable[[], list[dict]]:
    """`nudges` as two statements of `batch` (the firings, their actions); answers the
    function that, once the batch has run, gives its answer."""
    from datetime import timedelta

    params = {"id": account_id, "since": now - timedelta(days=NUDGE_DAYS)}
    fired, done_by = (batch.add(q, params) for q in _NUDGES)
    return lambda: _nudges_of(fired.rows, done_by.rows, now)


def _nudges_of(fired: list, actions: list, now: datetime) -> list[dict]:
    acts: dict[int, list[tuple[str, str]]] = {}
    for firing_id, kind, status in actions:
        acts.setdefault(firing_id, []).append((kind, status))
    out = []
    for fid, playbook, episode_start, created_at in fired:
        done = acts.get(fid, [])
        words = []
        for kind, status in done:
            w = DONE[kind] if status == "sent" else (
                f"{kind} failed" if status == "failed" else TRYING[kind])
            if w not in words:
                words.append(w)
        text = f"Playbook: {playbook}, {', '.join(words) or 'fired'} {ago(created_at, now)}"
        out.append({"playbook": playbook, "episode_start": episode_start,
                    "fired_at": created_at, "text": text,
                    "actions": [{"kind": k, "status": st} for k, st in done]})
    return out
