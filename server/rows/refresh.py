"""Keeps the account-metrics rows true on every write.

A write path (the Loader behind import and sync, tasks and notes) calls `marks.mark()` with the
accounts it touched and, per account, the earliest day whose figures the write may change.
Before the session commits, `_before_commit` refreshes those accounts' current rows (and
today's history row) in the same transaction. A write touching more than `INLINE_LIMIT`
accounts records them in `metrics_dirty` instead, in the same transaction, and the job right
after it (`refresh_dirty`, run by the import and by every reader first) refreshes them, so a
reader never sees figures older than the last committed write. A write dated before today
marks the account's history stale from that day (`metrics_stale`); the daily job rebuilds it.
"""

from __future__ import annotations

import gc
import logging
import threading
from contextlib import contextmanager
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import bindparam, event, func, or_, select
from sqlalchemy.orm import Session

from server import metrics as mx
from server import models as m
from server.db_batch import Batch
from server.db_upsert import upsert
from server.rows import build, current
from server.rows.mark_rows import write_marks
from server.rows.marks import DIRTY_KEY
from server.rows.models import AccountDay, AccountMetrics, MetricsDirty
from server.rows.write import day_upsert, stored_children, write_current

log = logging.getLogger(__name__)

INLINE_LIMIT = 200
CHUNK = 2000


def today() -> date:
    return datetime.now(timezone.utc).date()


def _upsert(session: Session, model, rows: list[dict], keys: list[str], **kw) -> None:
    for i in range(0, len(rows), 1000):
        upsert(session, model, rows[i:i + 1000], keys, **kw)


def settings_of(session: Session):
    """The workspace settings of the session's store (None when the session has no store)."""
    store = session.info.get("store")
    return None if store is None else store.settings


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    dirty = session.info.pop(DIRTY_KEY, None)
    if not dirty:
        return
    settings = settings_of(session)
    now = datetime.now(timezone.utc)
    day = today()
    existing = set(session.scalars(select(m.Account.id).where(m.Account.id.in_(list(dirty)))))
    stale = {a: max(d, date(1970, 1, 1)) for a, d in dirty.items()
             if d is not None and d < day and a in existing}
    inline = settings is not None and len(existing) <= INLINE_LIMIT
    write_marks(session, [] if inline else list(existing), stale, now)   # one statement each
    if inline:
        refresh(session, sorted(existing), settings, day)


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(DIRTY_KEY, None)


_HISTORY: dict[bool, object] = {}


def _history_stmt(scoped: bool):
    stmt = _HISTORY.get(scoped)
    if stmt is None:
        ad = AccountDay
        stmt = _HISTORY[scoped] = select(
            ad.account_id, ad.day, ad.score, ad.signals, ad.signal_runs).where(
            ad.day.in_([bindparam("d30"), bindparam("d1")]),
            *([ad.account_id.in_(bindparam("ids", expanding=True))] if scoped else []))
    return stmt


def _history(batch: Batch, ids: list[str] | None, day: date):
    """Adds the history read to `batch`; answers the function giving, once it ran:
    ({account: health score 30 days before day}, {account: (signal codes, signal runs) of
    the day before})."""
    d30, d1 = day - timedelta(days=30), day - timedelta(days=1)
    params = {"d30": d30, "d1": d1} if ids is None else {"d30": d30, "d1": d1, "ids": ids}
    read = batch.add(_history_stmt(ids is not None), params)
    return lambda: _split_history(read.rows, d30, d1)


def _split_history(rows, d30: date, d1: date) -> tuple[dict, dict]:
    scores, prev = {}, {}
    for a, d, score, codes, runs in rows:
        if d == d30:
            scores[a] = score
        if d == d1:
            prev[a] = (set(codes or ()), runs)
    return scores, prev


_GC = threading.Lock()
_gc_state = {"holders": 0, "was_enabled": False}


@contextmanager
def gc_paused():
    """The cyclic garbage collector off while a refresh runs (then back as it was).

    A refresh allocates a few hundred thousand short-lived objects per 500 accounts (record
    rows, metric inputs and results, row dicts), freed by reference counting; each
    allocation burst triggered collections, two of them full ones over everything the chunk
    keeps alive: 100-170 ms of a 500-account refresh's 450-600 ms of CPU (SQLite). Nested and
    concurrent refreshes (request threads) share one pause: the last to end restores it."""
    with _GC:
        if _gc_state["holders"] == 0:
            _gc_state["was_enabled"] = gc.isenabled()
            gc.disable()
        _gc_state["holders"] += 1
    try:
        yield
    finally:
        with _GC:
            _gc_state["holders"] -= 1
            if _gc_state["holders"] == 0 and _gc_state["was_enabled"]:
                gc.enable()


def refresh(session: Session, ids: list[str] | None, settings, as_of: date | None = None) -> int:
    """Recompute the current rows, today's history row and the ARR timeline of accounts.

    ids=None refreshes every account. Runs inside the caller's transaction.
    """
    with gc_paused():
        return _refresh(session, ids, settings, as_of)


def _refresh(session: Session, ids: list[str] | None, settings, as_of: date | None) -> int:
    from server.services.evaluate import evaluate, scores_30d_ago, since_from_history
    from server.services.facts import load_facts

    as_of = as_of or today()
    cfg = settings.metrics
    version = build.settings_version(settings)
    if ids is None:
        ids = list(session.scalars(select(m.Account.id).order_by(m.Account.id)))
        everyone = True
    else:
        everyone = False
    done = 0
    for i in range(0, len(ids), CHUNK):
        chunk = ids[i:i + CHUNK]
        scope = None if everyone and len(ids) <= CHUNK else chunk
        batch = Batch(session)    # the reads of the refresh: one round trip on PostgreSQL
        history = _history(batch, None if scope is None else chunk, as_of)
        stored = stored_children(batch, chunk)
        stored_days = batch.add(current.days_read(), {"ids": chunk, "day": as_of})
        accounts, facts = load_facts(session, scope, as_of, cfg.first_value_event,
                                     cfg.north_star, activity=False, batch=batch,
                                     recent=True)
        known, prev = history()
        before = scores_30d_ago(session, list(accounts), scope is None, as_of, cfg, known)
        now = datetime.now(timezone.utc)
        rows, days, timeline = [], [], []
        for acc_id, f in facts.items():
            ev = evaluate(f, as_of, cfg, before.get(acc_id))
            codes, runs_before = prev.get(acc_id, (None, None))
            runs = build.signal_runs(
                [s.code for s in ev.signals], codes, runs_before, as_of,
                walk=lambda a=acc_id: since_from_history(session, a, as_of))
            rows.append(build.current_row(accounts[acc_id], f, ev, as_of, version, runs, now))
            days.append(build.day_row(acc_id, ev, as_of, version, runs))
            # the stored timeline has every deal's effect, later ones too: the revenue's
            # (those up to as_of) when there is none after it
            later = any(d.close_date > as_of for d in f.deals)
            timeline += build.timeline_rows(
                acc_id, mx.arr_changes(f.deals) if later else ev.revenue.changes)
        write_current(session, chunk, rows, timeline, accounts, stored)
        dialect = session.get_bind().dialect
        fresh, changed, _ = current.DAYS.changes(dialect, days, stored_days.rows)
        days = fresh + [r for diff, group in changed.items() if diff for r in group]
        for i in range(0, len(days), 1000):   # only the day rows that changed
            session.execute(day_upsert(dialect.name), days[i:i + 1000])
        done += len(rows)
    return done


def pending(session: Session, settings, as_of: date) -> list[str]:
    """Accounts whose current row is missing, dirty, of another day or other settings."""
    version = build.settings_version(settings)
    am = AccountMetrics
    stale = select(m.Account.id).outerjoin(am, am.account_id == m.Account.id).where(
        (am.account_id.is_(None)) | (am.as_of != as_of) | (am.settings_version != version))
    ids = set(session.scalars(stale))
    ids |= set(session.scalars(select(MetricsDirty.account_id)))
    return sorted(ids)


def ensure_fresh(store, settings, as_of: date | None = None) -> int:
    """Refresh every pending account, CHUNK accounts per transaction (so the work of an
    interrupted run is kept); returns how many were refreshed."""
    as_of = as_of or today()
    with store.sessions() as s:
        ids = pending(s, settings, as_of)
    if ids:
        log.info("refreshing the metrics rows of %d accounts", len(ids))
    for i in range(0, len(ids), CHUNK):
        with store.session() as s:
            refresh(s, ids[i:i + CHUNK], settings, as_of)
    return len(ids)


def refresh_dirty(store, settings=None) -> int:
    """The job right after a large write: refresh the accounts it recorded as dirty."""
    settings = settings or store.settings
    with store.sessions() as s:
        ids = sorted(s.scalars(select(MetricsDirty.account_id)))
    for i in range(0, len(ids), CHUNK):
        with store.session() as s:
            refresh(s, ids[i:i + CHUNK], settings)
    return len(ids)


def is_fresh(session: Session, settings, as_of: date) -> bool:
    """True when every account's current row is as of as_of, with these settings, not dirty.

    One statement of index seeks: no dirty account, as many rows as accounts, and no row of
    another day or other settings (range seeks on the as_of and settings_version indexes).
    """
    version = build.settings_version(settings)
    am = AccountMetrics
    other = or_(am.as_of < as_of, am.as_of > as_of, am.settings_version < version,
                am.settings_version > version)
    dirty, total, ready, stale = session.execute(select(
        select(MetricsDirty.account_id).exists(),
        select(func.count()).select_from(m.Account).scalar_subquery(),
        select(func.count()).select_from(am).scalar_subquery(),
        select(am.account_id).where(other).exists())).one()
    return not dirty and not stale and total == ready
