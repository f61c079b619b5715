"""Stored backtests of the health model page: computed once, read by every view.

A result is keyed by the settings digest, the period and the horizon, and stamped with the
data it read: (rows, latest `computed_at`) of the account-metrics rows, which every write of
an account's records rewrites (server.rows.refresh). So a write after it makes the page say
"data changed since" and compute again; a settings change gives another digest, another key.
Large workspaces compute it in the `backtest.run` job (queued by the page, after the daily
metrics job and after a settings apply), with its progress recorded; the history rows it
evaluated are kept at the end, with the result, in one short transaction. The result is the
backtest's JSON exactly as `account360 backtest --json` prints it (docs/backtest.md), its
per-account list in a column of its own (`full()` joins them), so a view parses only the
figures it shows.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session, undefer

from server.models import utcnow
from server.rows.build import settings_version
from server.rows.models import AccountMetrics
from server.settings_models import BacktestResult as R

from .jobrun import set_run, throttled

KEEP = timedelta(days=7)
ACTIVE = ("queued", "running")
#: a run queued or running longer than this is taken for lost (a worker that died with it):
#: the page queues another instead of waiting on it for ever
STALL = timedelta(hours=1)


def stamp(session: Session) -> str:
    """Names the data a backtest reads: changes with every write of an account's rows."""
    n, latest = session.execute(select(func.count(), func.max(AccountMetrics.computed_at))).one()
    return f"{n}:{latest.isoformat() if latest else '-'}"


def _key(settings, start: date, end: date, horizon: int):
    return (R.settings_version == settings_version(settings), R.start == start, R.end == end,
            R.horizon == horizon)


def latest(session: Session, settings, start: date, end: date, horizon: int,
           with_result: bool = True) -> R | None:
    """The newest finished result for the key (its `result` loaded), or None."""
    q = select(R).where(*_key(settings, start, end, horizon), R.status == "done") \
        .order_by(R.id.desc()).limit(1)
    return session.scalar(q.options(undefer(R.result)) if with_result else q)


def _split(result: dict[str, Any]) -> tuple[dict[str, Any], list[Any]]:
    figures = dict(result)
    return figures, figures.pop("accounts", [])


def full(session: Session, row_id: int) -> dict[str, Any]:
    """A stored result as the backtest gave it: the figures and the `accounts` list."""
    row = session.scalar(select(R).where(R.id == row_id)
                         .options(undefer(R.result), undefer(R.accounts)))
    return {**row.result, "accounts": row.accounts}


def active(session: Session, settings, start: date, end: date, horizon: int) -> R | None:
    """A queued or running computation of the key (asked for within STALL), or None."""
    return session.scalar(select(R).where(*_key(settings, start, end, horizon),
                                          R.status.in_(ACTIVE),
                                          R.created_at > utcnow() - STALL)
                          .order_by(R.id.desc()).limit(1))


def save(session: Session, settings, start: date, end: date, horizon: int,
         result: dict[str, Any], data: str, who: str) -> R:
    """Store a backtest computed in the caller (the page inline, `account360 backtest --store`);
    `data` is the stamp read before it was computed. Older results of the key go."""
    from .report import to_json

    now = utcnow()
    _prune(session, settings, start, end, horizon)
    figures, accounts = _split(json.loads(to_json(result)))
    row = R(status="done", settings_version=settings_version(settings), start=start, end=end,
            horizon=horizon, data_stamp=data, requested_by=who, done=0, total=0,
            result=figures, accounts=accounts, created_at=now, started_at=now, finished_at=now)
    session.add(row)
    session.flush()
    return row


def _prune(session: Session, settings, start: date, end: date, horizon: int) -> None:
    session.execute(delete(R).where(R.status.in_(("done", "failed")), (
        R.created_at < utcnow() - KEEP) | (R.settings_version == settings_version(settings))
        & (R.start == start) & (R.end == end) & (R.horizon == horizon)))


def request(session: Session, store, settings, start: date, end: date, horizon: int,
            who: str) -> R:
    """Queue the `backtest.run` job for the key, unless one is already queued or running
    (that one is returned). A bad period or horizon is refused first (BacktestError)."""
    from server.jobs.queue import defer

    from .service import check

    check(start, end, horizon, utcnow().date())
    waiting = active(session, settings, start, end, horizon)
    if waiting is not None:
        return waiting
    session.execute(delete(R).where(R.created_at < utcnow() - KEEP))   # lost runs too
    row = R(status="queued", settings_version=settings_version(settings), start=start, end=end,
            horizon=horizon, requested_by=who, done=0, total=0, created_at=utcnow())
    session.add(row)
    session.flush()
    defer(session, "backtest.run", store=store, run_id=row.id)
    return row


def large(session: Session, inline_max: int) -> bool:
    """More accounts than the page computes within a request."""
    from server.models import Account

    return session.scalar(select(func.count()).select_from(Account)) > inline_max


def request_default(session: Session, store, settings, who: str, inline_max: int) -> R | None:
    """Queue the page's default backtest (the trailing year, horizon 90) on a workspace with
    more than `inline_max` accounts, unless a result of the same data is stored already."""
    from .preview import default_period

    if not large(session, inline_max):
        return None
    start, end = default_period(utcnow().date())
    done = latest(session, settings, start, end, 90, with_result=False)
    if done is not None and done.data_stamp == stamp(session):
        return None
    return request(session, store, settings, start, end, 90, who)


def for_page(session: Session, store, settings, start: date, end: date, horizon: int,
             who: str, inline_max: int) -> dict[str, Any]:
    """What the page shows: {bt, row, stale, running, failed}. A stored result of the same
    data is read; else a small workspace computes (and stores) it within the request, a large
    one queues the job (or joins the one queued) and shows the stored result of older data,
    marked stale, meanwhile. After a failed run nothing is queued until asked (`request`)."""
    from .service import backtest

    data = stamp(session)
    done = latest(session, settings, start, end, horizon)
    out: dict[str, Any] = {"bt": done.result if done else None, "row": done, "stale": False,
                           "running": None, "failed": None}
    if done is not None and done.data_stamp == data:
        return out
    if not large(session, inline_max):
        row = save(session, settings, start, end, horizon,
                   backtest(session, settings, start, end, horizon), data, who)
        return {**out, "bt": row.result, "row": row}
    out["stale"] = done is not None
    out["running"] = active(session, settings, start, end, horizon)
    if out["running"] is None:
        newest = session.scalar(select(R).where(*_key(settings, start, end, horizon))
                                .order_by(R.id.desc()).limit(1))
        if newest is not None and newest.status == "failed":
            out["failed"] = newest
        else:
            out["running"] = request(session, store, settings, start, end, horizon, who)
    return out


def run(store, settings, run_id: int) -> str:
    """The job: compute the backtest of `settings` for the run's key, recording progress."""
    from .observe import keeper
    from .report import to_json
    from .service import backtest

    with store.sessions() as s:
        row = s.get(R, run_id)
        if row is None or row.status not in ACTIVE:
            return "nothing to do"
        start, end, horizon = row.start, row.end, row.horizon
    set_run(store, R, run_id, status="running", started_at=utcnow(), stage="backtest",
            settings_version=settings_version(settings))
    progress = throttled(store, R, run_id)

    rows: list[dict] = []
    try:
        with store.sessions() as s:      # reads only: the progress commits meanwhile
            data = stamp(s)
            result, accounts = _split(json.loads(to_json(backtest(
                s, settings, start, end, horizon, progress=progress, keep=rows.extend))))
    except Exception as exc:
        set_run(store, R, run_id, status="failed", error=str(exc)[:2000], finished_at=utcnow())
        raise
    with store.session() as s:       # the evaluated history rows, kept with the result
        if rows:
            keeper(s)(rows)
        s.execute(delete(R).where(*_key(settings, start, end, horizon), R.id != run_id,
                                  R.status.in_(("done", "failed"))))
        s.execute(update(R).where(R.id == run_id).values(
            status="done", data_stamp=data, result=result, accounts=accounts,
            finished_at=utcnow()))
    return "done"
