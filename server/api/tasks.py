"""Tasks and notes on an account: validated writes that invalidate the cached 360."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timezone

from flask import g, jsonify

from server import models as m
from server.api.common import bp, json_body, state
from server.api.idempotency import idempotent
from server.auth import require_token
from server.errors import ApiError
from server.services import actor
from server.services.account360 import notes_of, tasks_of, touch
from server.services.account360 import _task_json as task_json


def _text(max_len: int):
    def check(value):
        if not isinstance(value, str) or not value.strip():
            raise ValueError("must be a non-empty string")
        if len(value) > max_len:
            raise ValueError(f"must be at most {max_len} characters")
        return value.strip()
    return check


def _opt_text(max_len: int):
    def check(value):
        return None if value in (None, "") else _text(max_len)(value)
    return check


def _due(value):
    if value in (None, ""):
        return None
    if not isinstance(value, str) or len(value) != 10:
        raise ValueError("must be a date YYYY-MM-DD")
    return date.fromisoformat(value)


def _status(value):
    if value not in ("open", "done"):
        raise ValueError("must be open or done")
    return value


def _owner(value):
    if value in (None, ""):
        return None
    if not isinstance(value, str) or value.count("@") != 1 or len(value) > 320:
        raise ValueError("must be an email address")
    return value.strip().lower()


TASK_FIELDS = {"subject": _text(500), "due_date": _due, "note": _opt_text(10_000),
               "owner": _owner, "status": _status}


def _account(session, account_id: str) -> m.Account:
    acc = session.get(m.Account, account_id)
    if acc is None:
        raise ApiError(404, "not_found", f"No account with id {account_id}",
                       {"account_id": account_id})
    return acc


def _check_may_change(task: m.Task) -> None:
    """A CSM's token changes only the CSM's own tasks (owned by, or created with, that user)."""
    caller = g.token
    if caller.user_role != "csm":
        return
    created_by = (task.attributes or {}).get("created_by")
    if caller.user_email in (task.owner, created_by):
        return
    raise ApiError(403, "not_your_task", "A CSM's token can only change the CSM's own tasks",
                   {"task_id": task.id, "owner": task.owner})


@bp.get("/accounts/<account_id>/tasks")
@require_token
def list_tasks(account_id: str):
    """The account's tasks, open first."""
    with state().store.sessions() as s:
        _account(s, account_id)
        return jsonify({"items": tasks_of(s, account_id)})


@bp.post("/accounts/<account_id>/tasks")
@require_token
@idempotent
def create_task(account_id: str):
    """Add a task to the account (queued for CRM write-back when the account is linked).
    Without an owner, the task belongs to the signed-in user the token was issued to."""
    body = json_body(TASK_FIELDS, required=("subject",))
    now = datetime.now(timezone.utc)
    with state().store.session() as s:
        _account(s, account_id)
        user = actor.user_email(s, g.token)
        task = m.Task(id="t_" + uuid.uuid4().hex[:20], account_id=account_id,
                      subject=body["subject"], status=body.get("status", "open"),
                      due_date=body.get("due_date"), note=body.get("note"),
                      owner=body.get("owner") or user, created_at=now, updated_at=now,
                      source="api", crm_sync_attempts=0,
                      attributes={"created_by": user or g.token.name})
        s.add(task)
        touch(s, account_id)
        s.flush()
        out = task_json(task)
    return jsonify(out), 201


@bp.patch("/tasks/<task_id>")
@require_token
def update_task(task_id: str):
    """Change a task's status, subject, due date, note or owner."""
    body = json_body(TASK_FIELDS)
    if not body:
        raise ApiError(400, "validation_error", "Nothing to change", {"body": "empty"})
    with state().store.session() as s:
        task = s.get(m.Task, task_id)
        if task is None:
            raise ApiError(404, "not_found", f"No task with id {task_id}", {"task_id": task_id})
        _check_may_change(task)
        for key, value in body.items():
            setattr(task, key, value)
        task.updated_at = datetime.now(timezone.utc)
        touch(s, task.account_id)
        s.flush()
        out, account_id = task_json(task), task.account_id
    return jsonify(out)


@bp.get("/accounts/<account_id>/notes")
@require_token
def list_notes(account_id: str):
    """The account's notes, newest first."""
    with state().store.sessions() as s:
        _account(s, account_id)
        return jsonify({"items": notes_of(s, account_id, limit=500)})


@bp.post("/accounts/<account_id>/notes")
@require_token
@idempotent
def create_note(account_id: str):
    """Add a note to the account, signed by the token's user (else the token's name)."""
    body = json_body({"body": _text(10_000)}, required=("body",))
    with state().store.session() as s:
        _account(s, account_id)
        note = m.Note(account_id=account_id, body=body["body"], author=actor.label(s, g.token),
                      created_at=datetime.now(timezone.utc))
        s.add(note)
        touch(s, account_id)
        s.flush()
        out = {"id": note.id, "body": note.body, "author": note.author,
               "created_at": note.created_at}
    return jsonify(out), 201
