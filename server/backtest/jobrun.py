"""What the two backtest jobs (the settings preview's and the stored backtest's) share: one
row of their table updated in its own short transaction, and progress written at most once
a second (and always at the end), so the page polling it sees the job move."""

from __future__ import annotations

from time import monotonic
from typing import Any, Callable

from sqlalchemy import update

PROGRESS_EVERY = 1.0


def set_run(store, model, run_id: int, **values: Any) -> None:
    """Update the job's row in a transaction of its own (the job's reads stay open)."""
    with store.session() as s:
        s.execute(update(model).where(model.id == run_id).values(**values))


def throttled(store, model, run_id: int) -> Callable[..., None]:
    """progress(done, total, **more): written when a second has passed, or when done."""
    last = [0.0]

    def progress(done: int, total: int, **more: Any) -> None:
        now = monotonic()
        if done < total and now - last[0] < PROGRESS_EVERY:
            return
        last[0] = now
        set_run(store, model, run_id, done=done, total=total, **more)
    return progress
