"""Sync requests: "Connect", "Sync now", webhooks and the per-connector schedule each record
a SyncRequest (why, which streams, full or not) and defer the connector's `sync` job in the
same transaction (server.jobs). The job, one per connector at a time on any worker, runs
every unfinished request of its connector as one sync run."""

from __future__ import annotations

import typing as t

from sqlalchemy import select

from server.admin.models import SyncRequest
from server.jobs.queue import defer
from server.models import utcnow


def enqueue(store: t.Any, connector: str, reason: str, streams: list[str] | None = None,
            full: bool = False, detail: dict | None = None) -> int:
    """Record a sync request and queue its job; the request's id."""
    with store.session() as s:
        req = SyncRequest(connector=connector, reason=reason, streams=streams, full=full,
                          detail=detail, requested_at=utcnow())
        s.add(req)
        s.flush()
        defer(s, "sync", store=store, connector=connector)
        return req.id


def pending(store: t.Any, connector: str) -> list[SyncRequest]:
    with store.sessions() as s:
        return list(s.scalars(select(SyncRequest).where(
            SyncRequest.connector == connector, SyncRequest.finished_at.is_(None))
            .order_by(SyncRequest.id)))
