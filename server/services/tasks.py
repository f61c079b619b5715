"""Tasks and notes on an account, for the API and the workspace pages alike: the field rules,
adding a task or a note, changing a task (who may), and a user's open tasks across accounts.

A task made here is `source="api"`: the write-back (server.services.writeback) creates it in
the CRM of a linked account on the next sync or `account360 writeback`. Every write bumps the
account's change stamp (`touch`), so its 360 and metrics rows are fresh at once.
"""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session

from server import models as m
from server.errors import ApiError
from server.models import utcnow
from server.services.account360 import _task_json as task_json
from server.services.account360 import touch


def text(max_len: int):
    def check(value):
        if not isinstance(value, str) or not value.strip():
            raise ValueError("must be a non-empty string")
        if len(value) > max_len:
            raise ValueError(f"must be at most {max_len} characters")
        return value.strip()
    return check


def opt_text(max_len: int):
    def check(value):
        return None if value in (None, "") else text(max_len)(value)
    return check


def due(value):
    if value in (None, ""):
        return None
    if not isinstance(value, str) or len(value) != 10:
        raise ValueError("must be a date YYYY-MM-DD")
    return date.fromisoformat(value)


def status(value):
    if value not in ("open", "done"):
        raise ValueError("must be open or done")
    return value


def owner(value):
    if value in (None, ""):
        return None
    if not isinstance(value, str) or value.count("@") != 1 or len(value) > 320:
        raise ValueError("must be an email address")
    return value.strip().lower()


TASK_FIELDS = {"subject": text(500), "due_date": due, "note": opt_text(10_000),
               "owner": owner, "status": status}
NOTE_FIELDS = {"body": text(10_000)}


def check(fields: dict, values: dict, required=()) -> dict:
    """`values` checked against `fields` (a 400 naming each bad field, unknown ones too)."""
    errors = {k: "unknown field" for k in values if k not in fields}
    for key in required:
        if values.get(key) in (None, ""):
            errors.setdefault(key, "required")
    out = {}
    for key, value in values.items():
        if key in fields and key not in errors:
            try:
                out[key] = fields[key](value)
            except (ValueError, TypeError) as exc:
                errors[key] = str(exc) or "invalid value"
    if errors:
        raise ApiError(400, "validation_error", "Some fields are invalid", errors)
    return out


def account_of(session: Session, account_id: str) -> m.Account:
    acc = session.get(m.Account, account_id)
    if acc is None:
        raise ApiError(404, "not_found", f"No account with id {account_id}",
                       {"account_id": account_id})
    return acc


def add_task(session: Session, account_id: str, body: dict, user: str | None,
             signer: str | None) -> dict:
    """A new task on the account (checked `body`); without an owner it is the user's."""
    account_of(session, account_id)
    now = utcnow()
    task = m.Task(id="t_" + uuid.uuid4().hex[:20], account_id=account_id,
                  subject=body["subject"], status=body.get("status", "open"),
                  due_date=body.get("due_date"), note=body.get("note"),
                  owner=body.get("owner") or user, created_at=now, updated_at=now,
                  source="api", crm_sync_attempts=0,
                  attributes={"created_by": user or signer})
    session.add(task)
    touch(session, account_id)
    session.flush()
    return task_json(task)


def may_change(task: m.Task, role: str | None, email: str | None) -> bool:
    """A CSM changes only their own tasks (owned by, or created by, them); others any."""
    if role != "csm":
        return True
    return email in (task.owner, (task.attributes or {}).get("created_by"))


def change_task(session: Session, task_id: str, changes: dict, role: str | None,
                email: str | None, account_id: str | None = None) -> dict:
    """Apply checked `changes` to a task (404 unknown or on another account, 403 not yours)."""
    if not changes:
        raise ApiError(400, "validation_error", "Nothing to change", {"body": "empty"})
    task = session.get(m.Task, task_id)
    if task is None or (account_id is not None and task.account_id != account_id):
        raise ApiError(404, "not_found", f"No task with id {task_id}", {"task_id": task_id})
    if not may_change(task, role, email):
        raise ApiError(403, "not_your_task", "A CSM's token can only change the CSM's own tasks",
                       {"task_id": task.id, "owner": task.owner})
    for key, value in changes.items():
        setattr(task, key, value)
    task.updated_at = utcnow()
    touch(session, task.account_id)
    session.flush()
    return task_json(task)


def add_note(session: Session, account_id: str, body: str, author: str | None) -> dict:
    account_of(session, account_id)
    note = m.Note(account_id=account_id, body=body, author=author, created_at=utcnow())
    session.add(note)
    touch(session, account_id)
    session.flush()
    return {"id": note.id, "body": note.body, "author": note.author,
            "created_at": note.created_at}


def _open_of(owner: str | None):
    """The open tasks of the accounts an owner has (None: every account) and those the owner
    holds on other accounts."""
    q = (select(m.Task, m.Account.name).join(m.Account, m.Account.id == m.Task.account_id)
         .where(m.Task.status == "open"))
    if owner:
        key = owner.strip().lower()
        q = q.where(or_(func.lower(m.Account.owner) == key, func.lower(m.Task.owner) == key))
    return q


def open_tasks(session: Session, owner: str | None, today: date, limit: int = 500,
               offset: int = 0, role: str | None = None, email: str | None = None
               ) -> list[dict]:
    """Open tasks of an owner's accounts and of the tasks the owner holds elsewhere, overdue
    first (oldest due first), then by due date, undated last; each with its account's id and
    name, whether it is overdue and whether this user may tick it (`may_change`)."""
    q = _open_of(owner).order_by(case((m.Task.due_date < today, 0), else_=1),
                                 m.Task.due_date.is_(None), m.Task.due_date, m.Task.created_at,
                                 m.Task.id).offset(offset).limit(limit)
    return [{**task_json(t), "account_id": t.account_id, "account_name": name,
             "overdue": t.due_date is not None and t.due_date < today,
             "may_change": may_change(t, role, email)}
            for t, name in session.execute(q)]


def count_open(session: Session, owner: str | None, today: date) -> tuple[int, int]:
    """(open, overdue) tasks of `open_tasks` for an owner, however many pages they fill."""
    sub = _open_of(owner).subquery()
    overdue = func.count(case((sub.c.due_date < today, 1)))
    return tuple(session.execute(select(func.count(), overdue).select_from(sub)).one())


def mark_may_change(session: Session, items: list[dict], role: str | None,
                    email: str | None) -> list[dict]:
    """Set `may_change` on each task item (of task_json): may this user tick it."""
    ids = [i["id"] for i in items]
    rows = {t.id: t for t in session.scalars(select(m.Task).where(m.Task.id.in_(ids)))} \
        if ids else {}
    for item in items:
        row = rows.get(item["id"])
        item["may_change"] = row is not None and may_change(row, role, email)
    return items
