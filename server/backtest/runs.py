"""A settings preview run as a job (large workspaces): requested from the page, computed by
the `settings.preview` job with its progress recorded, its result kept for the page to show.

Nothing of the proposal is saved (no settings version, no history row); the run keeps the
proposed text, the period, how far it got and the preview's JSON (docs/backtest.md). The
history rows the current settings' backtest evaluated are kept at the end, in the
transaction that records the result (no write lock is held while the preview computes).
"""

from __future__ import annotations

import json
from datetime import date, timedelta

from sqlalchemy import delete, update
from sqlalchemy.orm import Session

from server.models import utcnow
from server.settings_models import SettingsPreview

from .jobrun import set_run, throttled

KEEP = timedelta(days=7)


def request(session: Session, store, text: str, start: date, end: date, horizon: int,
            who: str) -> SettingsPreview:
    """Queue the preview of `text`; a bad file (SettingsError, the key named) or period
    (BacktestError) is refused before anything is queued. Runs older than KEEP go."""
    from server.jobs.queue import defer
    from server.settings_history import parse_text

    from .service import check

    parse_text(text, "the proposed settings")
    check(start, end, horizon, utcnow().date())
    session.execute(delete(SettingsPreview).where(SettingsPreview.created_at < utcnow() - KEEP,
                                                  SettingsPreview.status.in_(("done", "failed"))))
    row = SettingsPreview(status="queued", requested_by=who, body=text, start=start, end=end,
                          horizon=horizon, done=0, total=0, created_at=utcnow())
    session.add(row)
    session.flush()
    defer(session, "settings.preview", store=store, run_id=row.id)
    return row


def run(store, settings, run_id: int) -> str:
    """The job: compute the preview against the current `settings`, recording progress."""
    from server.settings_history import parse_text

    from .observe import keeper
    from .preview import preview
    from .report import to_json

    with store.sessions() as s:
        row = s.get(SettingsPreview, run_id)
        if row is None or row.status in ("done", "failed"):
            return "nothing to do"
        text, start, end, horizon = row.body, row.start, row.end, row.horizon
    set_run(store, SettingsPreview, run_id, status="running", started_at=utcnow())
    tick = throttled(store, SettingsPreview, run_id)

    def progress(stage: str, done: int, total: int) -> None:
        tick(done, total, stage=stage)

    rows: list[dict] = []
    try:
        proposed = parse_text(text, "the proposed settings")
        with store.sessions() as s:      # reads only: the progress commits meanwhile
            result = json.loads(to_json(preview(s, settings, proposed, start, end, horizon,
                                                utcnow().date(), progress, keep=rows.extend)))
    except Exception as exc:
        set_run(store, SettingsPreview, run_id, status="failed", error=str(exc)[:2000],
                finished_at=utcnow())
        raise
    with store.session() as s:       # the current settings' evaluated days, kept at the end
        if rows:
            keeper(s)(rows)
        s.execute(update(SettingsPreview).where(SettingsPreview.id == run_id).values(
            status="done", result=result, finished_at=utcnow()))
    return "done"


def load(session: Session, run_id: int) -> SettingsPreview | None:
    return session.get(SettingsPreview, run_id)
