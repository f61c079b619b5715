"""The dashboard's memo: the team figures of a scope, kept per process while the
account-metrics rows have not changed (the NRR/GRR series is kept by its own reads,
server.services.retention_series).

Every write that can move them rewrites the current rows of the accounts it touched, each
with a new `computed_at` (`server.rows.refresh.write_current`: the ARR timeline, signals,
ticket and reply hours, owner, segment, phase), and the page reads only after the rows are
fresh (`rows_answer`); deleting an account drops its row. So (number of rows, latest
`computed_at`) names the data they were computed from: a write makes the next view compute
again. An entry also ages out after TTL seconds, so a clock that steps back between
processes cannot keep one longer than that.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.rows.models import AccountMetrics
from server.services import retention_series
from server.services.cache import SharedCache

TTL = 300
_MEMO = SharedCache(maxsize=256, ttl=TTL)


def stamp(session: Session) -> tuple:
    """(rows, latest computed_at) of the current rows: changes with every write of them."""
    am = AccountMetrics
    return tuple(session.execute(select(  # a count on an index, the latest on its own index
        select(func.count()).select_from(am).scalar_subquery(),
        select(func.max(am.computed_at)).scalar_subquery())).one())


def remembered(session: Session, key: tuple[Hashable, ...], compute: Callable[[], Any],
               data: tuple | None = None) -> Any:
    """compute(), or its answer for the same key and database while the rows are unchanged."""
    bind = session.get_bind()
    full = (str(bind.url), id(bind), *key, data if data is not None else stamp(session))
    hit = _MEMO.get(full)
    if hit is None:
        hit = compute()
        _MEMO.put(full, hit)
    return hit


def clear() -> None:
    """Forget every entry and the kept NRR/GRR points (a process's first view)."""
    _MEMO.clear()
    retention_series.forget()
