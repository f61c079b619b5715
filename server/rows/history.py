"""The daily history rows: the daily job, the backfill and the rebuild of stale history."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from server import metrics as mx
from server import models as m
from server.metrics.account import health_only, history_metrics
from server.rows import build
from server.rows.bulk import ArrDays, DayFacts, Parts, UsageSeries
from server.rows.models import AccountDay, MetricsJob, MetricsStale
from server.rows.refresh import _upsert, gc_paused, refresh, today
from server.rows.write import insert_rows, write_current

log = logging.getLogger(__name__)
CHUNK = 250


def evaluate_days(session: Session, settings, ids: list[str], first: date, last: date,
                  with_current: bool = False) -> int:
    """Rebuild the history rows of accounts for every day of [first, last] in one pass.

    Each account's records are loaded once; usage windows slide day by day. The health of
    30 days before comes from this run, or from the stored row of that day. With
    with_current (last = today) the current rows are written from the same evaluation.
    """
    with gc_paused():     # the refresh's reason: short-lived objects by the hundred thousand
        days_out, current, timeline, accounts = evaluate_rows(session, settings, ids, first,
                                                              last, with_current)
        # the range's rows replaced: one delete, then a plain insert (COPY on PostgreSQL)
        session.execute(delete(AccountDay).where(AccountDay.account_id.in_(sorted(accounts)),
                                                 AccountDay.day.between(first, last)))
        insert_rows(session, AccountDay.__table__, days_out)
        if current:
            write_current(session, sorted(accounts), current, timeline, accounts)
    return len(days_out)


def evaluate_rows(session: Session, settings, ids: list[str], first: date, last: date,
                  with_current: bool = False, stored: bool = True):
    """The history rows of [first, last] (and current rows), computed without writing.

    With stored=False nothing stored is read: the health of the 30 lead-in days is computed
    with these settings and signal runs start inside the range (a proposed settings file).
    """
    from server.services.evaluate import Evaluation, evaluate, since_from_history
    from server.services.facts import MESSAGE_DAYS, load_facts

    cfg = settings.metrics
    version = build.settings_version(settings)
    head = first - timedelta(days=30)
    accounts, facts = load_facts(session, ids, last, cfg.first_value_event, cfg.north_star,
                                 message_days=MESSAGE_DAYS + (last - head).days,
                                 activity=False)
    ids = sorted(accounts)
    if not ids:
        return [], [], [], accounts
    series = UsageSeries(session, ids, head, last, cfg.first_value_event, cfg.north_star)
    kept, prev = {}, {}
    if stored:
        kept = {(a, d): s for a, d, s in session.execute(
            select(AccountDay.account_id, AccountDay.day, AccountDay.score)
            .where(AccountDay.account_id.in_(ids),
                   AccountDay.day.between(head, first - timedelta(1))))}
        prev = {a: (set(c or ()), r) for a, c, r in session.execute(
            select(AccountDay.account_id, AccountDay.signals, AccountDay.signal_runs)
            .where(AccountDay.account_id.in_(ids), AccountDay.day == first - timedelta(days=1)))}
    now = datetime.now(timezone.utc)
    days_out, current, timeline = [], [], []
    full = {last} if with_current else ()
    for acc_id in ids:
        base = facts[acc_id]
        per_day = DayFacts(base, series.star_counts(acc_id))
        arr_days, parts = ArrDays(base.deals), Parts(base, cfg, per_day)
        scores: dict[date, float | None] = {}
        codes, runs = prev.get(acc_id, (None, None))
        for day, stats in series.stats(acc_id, daily=full):
            if day < first:
                if day > last - timedelta(days=30):
                    continue          # no day of the range looks back at it
                key = (acc_id, day)
                if key in kept:
                    scores[day] = kept[key]
                    continue
                f = per_day.on(day, stats, trim=True)
                arr, _ = arr_days.on(day)
                scores[day] = health_only(f, cfg, day, arr, mx.renewal(f, day, arr),
                                          parts.on(day)).score
                continue
            f = per_day.on(day, stats, trim=day not in full)
            before = scores.get(day - timedelta(days=30))
            if day in full:
                ev = evaluate(f, day, cfg, before)
            else:
                arr, had = arr_days.on(day)
                fig = history_metrics(f, cfg, day, before, arr, had, mx.renewal(f, day, arr),
                                      parts.on(day))
                ev = Evaluation(fig.revenue, fig.usage, fig.support, fig.relationship,
                                fig.health, before, list(fig.signals), fig.phase, fig.north_star)
            scores[day] = ev.health.score
            fired = [s.code for s in ev.signals]
            runs = build.signal_runs(fired, codes, runs, day, walk=(
                lambda a=acc_id, d=day: since_from_history(session, a, d)) if stored else None)
            codes = set(fired)
            days_out.append(build.day_row(acc_id, ev, day, version, runs))
            if day in full:
                current.append(build.current_row(accounts[acc_id], f, ev, day, version, runs, now))
                timeline += build.timeline_rows(acc_id, mx.arr_changes(base.deals))
            runs = {c: d.isoformat() for c, d in runs.items()}
    return days_out, current, timeline, accounts


def rebuild_stale(session: Session, settings, day: date) -> int:
    """Recompute the stale history of accounts (from their stale day to yesterday)."""
    stale = session.execute(select(MetricsStale.account_id, MetricsStale.from_day)).all()
    if not stale:
        return 0
    first_kept = dict(session.execute(
        select(AccountDay.account_id, func.min(AccountDay.day))
        .where(AccountDay.account_id.in_([a for a, _ in stale]), AccountDay.day < day)
        .group_by(AccountDay.account_id)).all())
    groups: dict[date, list[str]] = {}
    for acc, from_day in stale:
        if acc in first_kept:
            groups.setdefault(max(from_day, first_kept[acc]), []).append(acc)
    n = 0
    for start, accs in sorted(groups.items()):
        for i in range(0, len(accs), CHUNK):
            n += evaluate_days(session, settings, accs[i:i + CHUNK], start,
                               day - timedelta(days=1))
    session.execute(delete(MetricsStale).where(
        MetricsStale.account_id.in_([a for a, _ in stale])))
    if groups:
        refresh(session, sorted(a for accs in groups.values() for a in accs), settings)
    return n


def daily(session: Session, settings, day: date | None = None) -> int:
    """The daily job (idempotent): stale history rebuilt, then the day's row of every account.

    For today it refreshes every current row too (the rows then read as of today).
    """
    day = day or today()
    rebuilt = rebuild_stale(session, settings, min(day, today()))
    if rebuilt:
        log.info("rebuilt %d stale history rows", rebuilt)
    if day == today():
        return refresh(session, None, settings, day)
    from server.services.evaluate import evaluate_many

    version = build.settings_version(settings)
    _, evals = evaluate_many(session, None, day, settings, activity=False)
    prev = {a: (set(c or ()), r) for a, c, r in session.execute(
        select(AccountDay.account_id, AccountDay.signals, AccountDay.signal_runs)
        .where(AccountDay.day == day - timedelta(days=1)))}
    rows = []
    for acc_id, ev in evals.items():
        codes, runs = prev.get(acc_id, (None, None))
        runs = build.signal_runs([s.code for s in ev.signals], codes, runs, day)
        rows.append(build.day_row(acc_id, ev, day, version, runs))
    _upsert(session, AccountDay, rows, ["account_id", "day"])
    return len(rows)


def backfill(store, settings, days: int, end: date | None = None,
             progress: Callable[[int, int], None] | None = None, restart: bool = False) -> dict:
    """Rebuild the history of the past `days` days for every account, resumably.

    Accounts are done in id order, CHUNK at a time, each chunk in its own transaction with
    the job's position; a rerun with the same range and settings continues after it.
    """
    end = end or today()
    first = end - timedelta(days=days - 1)
    version = build.settings_version(settings)
    want = {"first": first.isoformat(), "last": end.isoformat(), "version": version}
    with store.session() as s:
        job = s.get(MetricsJob, "backfill")
        state = dict(job.state) if job is not None else {}
        if restart or any(state.get(k) != v for k, v in want.items()) or state.get("finished"):
            state = {**want, "after": "", "rows": 0, "finished": False}
        ids = list(s.scalars(select(m.Account.id).where(m.Account.id > state["after"])
                             .order_by(m.Account.id)))
        total = s.scalar(select(func.count()).select_from(m.Account))
    done = total - len(ids)
    if progress:
        progress(done, total)
    for i in range(0, len(ids), CHUNK):
        chunk = ids[i:i + CHUNK]
        with store.session() as s:
            state["rows"] += evaluate_days(s, settings, chunk, first, end,
                                           with_current=end == today())
            state["after"] = chunk[-1]
            _save(s, state)
        done += len(chunk)
        if progress:
            progress(done, total)
    state["finished"] = True
    with store.session() as s:
        _save(s, state)
    return state


def _save(session: Session, state: dict) -> None:
    _upsert(session, MetricsJob, [{"name": "backfill", "state": dict(state),
                                   "updated_at": datetime.now(timezone.utc)}], ["name"])
