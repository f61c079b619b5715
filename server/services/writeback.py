"""Task write-back: tasks created in account360 become tasks in the CRM of their account.

A server service: it reads and updates `Task` rows and calls the connector's
`create_task(task, crm_account_id)` (the CRM client's one write), which knows nothing
of the store.

A task made through the API (`source="api"`) or by a playbook (`source="playbook"`) on an
account linked to a CRM record is created there (HubSpot: a task associated to the company;
Salesforce: a Task with `WhatId`). Its CRM id is stored on the row (`crm_sync_status="synced"`). A failure is
kept on the row (`failed`, the error, the attempt count) and retried by the next
`account360 sync` or `account360 writeback`: a task is never dropped.
Before each call the row is marked `pending` with its attempt counted, in its own
transaction, so a crash mid-call leaves a visible row that the next run retries. A create is
never re-sent blindly after a timeout or a 5xx (it may have been carried out); a later
attempt first asks the CRM for the task an earlier one may have made (`find_task`).
"""

from __future__ import annotations

import logging
import typing as t
from datetime import datetime, timezone

from sqlalchemy import and_, or_, select

from connectors.errors import AuthError, ConfigError, ConnectorError, RateLimitError
from server import models as m
from server.db import Store

log = logging.getLogger(__name__)

RETRYABLE = (None, "failed", "pending")
#: Task sources created in account360 and so written back to the CRM.
WRITTEN_BACK = ("api", "playbook")


class TaskWriter(t.Protocol):
    """A connector that can create tasks (HubSpot, Salesforce)."""

    name: str

    def create_task(self, task: dict, crm_account_id: str) -> str: ...


def pending_tasks(store: Store, system: str, limit: int = 1000) -> list[tuple[str, str]]:
    """(task id, CRM account id) of API and playbook tasks on linked accounts not yet in
    that CRM."""
    q = (select(m.Task.id, m.CrmLink.record_id)
         .join(m.CrmLink, and_(m.CrmLink.account_id == m.Task.account_id,
                               m.CrmLink.system == system, m.CrmLink.object_type == "account"))
         .where(m.Task.source.in_(WRITTEN_BACK), m.Task.crm_id.is_(None),
                or_(m.Task.crm_sync_status.is_(None),
                    m.Task.crm_sync_status.in_(["failed", "pending"])))
         .order_by(m.Task.created_at, m.Task.id).limit(limit))
    out: dict[str, str] = {}
    with store.sessions() as s:
        for task_id, record_id in s.execute(q):
            out.setdefault(task_id, record_id)
    return list(out.items())


def _begin(store: Store, task_id: str) -> dict | None:
    with store.session() as s:
        task = s.get(m.Task, task_id)
        if task is None or task.crm_id or task.crm_sync_status not in RETRYABLE:
            return None
        task.crm_sync_status = "pending"
        task.crm_sync_attempts = (task.crm_sync_attempts or 0) + 1
        return {"id": task.id, "subject": task.subject, "note": task.note,
                "due_date": task.due_date, "status": task.status, "owner": task.owner,
                "created_at": task.created_at, "attempts": task.crm_sync_attempts}


def _finish(store: Store, task_id: str, system: str, crm_id: str | None,
            error: str | None) -> None:
    with store.session() as s:
        task = s.get(m.Task, task_id)
        if task is None:
            return
        if crm_id is not None:
            task.crm_system, task.crm_id = system, crm_id
            task.crm_sync_status, task.crm_sync_error = "synced", None
        else:
            task.crm_system = system
            task.crm_sync_status, task.crm_sync_error = "failed", (error or "")[:2000]
        account = s.get(m.Account, task.account_id)
        if account is not None:
            account.updated_at = datetime.now(timezone.utc)  # the cached 360 shows the new state


def _earlier(connector: TaskWriter, task: dict, crm_account_id: str) -> str | None:
    """On a retry, the CRM task an earlier attempt may have created though its answer was
    lost (a timeout, a 5xx, a crash): found first, so a retry never duplicates it."""
    finder = getattr(connector, "find_task", None)
    if finder is None or (task.get("attempts") or 0) <= 1:
        return None
    return finder(task, crm_account_id)


def run_writeback(store: Store, connector: TaskWriter, limit: int = 1000) -> dict:
    """Create every pending or failed task in the connector's CRM; returns counts and errors."""
    result = {"connector": connector.name, "attempted": 0, "synced": 0, "failed": 0,
              "errors": []}
    for task_id, crm_account_id in pending_tasks(store, connector.name, limit):
        task = _begin(store, task_id)
        if task is None:
            continue
        result["attempted"] += 1
        try:
            crm_id = _earlier(connector, task, crm_account_id) or connector.create_task(
                task, crm_account_id)
        except ConnectorError as exc:
            _finish(store, task_id, connector.name, None, str(exc))
            result["failed"] += 1
            result["errors"].append({"task_id": task_id, "error": str(exc)})
            log.warning("%s: task %s not written back: %s", connector.name, task_id, exc)
            if isinstance(exc, (AuthError, ConfigError)) or (
                    isinstance(exc, RateLimitError) and exc.quota_exhausted):
                break  # the next tasks would fail the same way; they stay queued
            continue
        except Exception as exc:
            _finish(store, task_id, connector.name, None, f"{type(exc).__name__}: {exc}")
            raise
        _finish(store, task_id, connector.name, crm_id, None)
        result["synced"] += 1
        log.info("%s: task %s written back as %s", connector.name, task_id, crm_id)
    return result
