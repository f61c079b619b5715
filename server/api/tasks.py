"""Tasks and notes on an account: validated writes (server.services.tasks, shared with the
workspace's account page) that invalidate the cached 360."""

from __future__ import annotations

from flask import g, jsonify

from server.api.common import bp, json_body, state
from server.api.idempotency import idempotent
from server.auth import require_token
from server.services import actor
from server.services import tasks as svc
from server.services.account360 import notes_of, tasks_of


@bp.get("/accounts/<path:account_id>/tasks")
@require_token
def list_tasks(account_id: str):
    """The account's tasks, open first."""
    with state().store.sessions() as s:
        svc.account_of(s, account_id)
        return jsonify({"items": tasks_of(s, account_id)})


@bp.post("/accounts/<path:account_id>/tasks")
@require_token
@idempotent
def create_task(account_id: str):
    """Add a task to the account (queued for CRM write-back when the account is linked).
    Without an owner, the task belongs to the signed-in user the token was issued to."""
    body = json_body(svc.TASK_FIELDS, required=("subject",))
    with state().store.session() as s:
        out = svc.add_task(s, account_id, body, actor.user_email(s, g.token), g.token.name)
    return jsonify(out), 201


@bp.patch("/tasks/<task_id>")
@require_token
def update_task(task_id: str):
    """Change a task's status, subject, due date, note or owner."""
    body = json_body(svc.TASK_FIELDS)
    with state().store.session() as s:
        out = svc.change_task(s, task_id, body, g.token.user_role, g.token.user_email)
    return jsonify(out)


@bp.get("/accounts/<path:account_id>/notes")
@require_token
def list_notes(account_id: str):
    """The account's notes, newest first."""
    with state().store.sessions() as s:
        svc.account_of(s, account_id)
        return jsonify({"items": notes_of(s, account_id, limit=500)})


@bp.post("/accounts/<path:account_id>/notes")
@require_token
@idempotent
def create_note(account_id: str):
    """Add a note to the account, signed by the token's user (else the token's name)."""
    body = json_body(svc.NOTE_FIELDS, required=("body",))
    with state().store.session() as s:
        out = svc.add_note(s, account_id, body["body"], actor.label(s, g.token))
    return jsonify(out), 201
