"""Which accounts each playbook fires on for a day, and since when (the episode).

A playbook's conditions are read from the history rows (`account_days`) of the day and the
stored day before it. An **episode** is an unbroken run of stored days on which the
conditions hold (a day without a stored row neither breaks nor extends it); its first day,
`episode_start`, names it: a signal that fires on days 1..5 is one episode (start day 1),
and when it clears on day 6 and fires again on day 9 that is a new one (start day 9). The
start comes from the rows alone (the firing recorded by an earlier run only saves the walk
back), so two runs reading the same rows always name the same episode.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from urllib.parse import quote

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server import models as m
from server.playbooks.asof import account_starts, signal_reasons
from server.playbooks.models import PlaybookFiring
from server.playbooks.spec import TEMPLATE_FIELDS, Playbook
from server.playbooks.template import fields
from server.rows.models import AccountDay

LOOKBACK_DAYS = 400
CHUNK = 500


@dataclass
class Day:
    """What the conditions read of one stored day of one account."""

    day: date
    signals: frozenset[str]
    band: str | None
    phase: str | None
    days_to_renewal: int | None
    score: float | None
    usage_trend: float | None = None
    active_users_30d: int | None = None


@dataclass
class Match:
    """A playbook firing on an account on the day: the episode and the template values."""

    playbook: Playbook
    account_id: str
    episode_start: date
    values: dict[str, str] = field(default_factory=dict)


def prepare(store, day: date) -> None:
    """For today, the rows are brought up to date first (the day's history rows included)."""
    from server.rows.refresh import ensure_fresh, today

    if day == today():
        ensure_fresh(store, store.settings, day)


def _day(r) -> Day:
    return Day(r.day, frozenset(r.signals or ()), r.band, r.phase, r.days_to_renewal, r.score,
               r.usage_trend, r.active_users_30d)


def holds(pb: Playbook, d: Day, score_30d_before: float | None, overdue_dues: list[Due],
          started: date | None = None) -> bool:
    """The playbook's conditions on one stored day (`overdue_dues`: the account's tasks with
    a due date; `started`: the day the account began, server.playbooks.asof)."""
    w = pb.when
    if w.signal and not d.signals & set(w.signal):
        return False
    if w.band and d.band not in w.band:
        return False
    if w.phase and d.phase not in w.phase:
        return False
    if w.days_to_renewal is not None and not (
            d.days_to_renewal is not None and 0 <= d.days_to_renewal <= w.days_to_renewal):
        return False
    if w.health_drop is not None and not (
            d.score is not None and score_30d_before is not None
            and score_30d_before - d.score >= w.health_drop - 1e-9):
        return False
    if w.new_account is not None and not (
            started is not None and 0 <= (d.day - started).days < w.new_account):
        return False
    return not (w.task_overdue and not overdue_on(overdue_dues, d.day))


def _passes_filters(pb: Playbook, owner: str | None, segment: str | None) -> bool:
    w = pb.when
    if w.owner and (owner or "").lower() not in w.owner:
        return False
    return not (w.segment and (segment or "").lower() not in w.segment)


COLS = (AccountDay.account_id, AccountDay.day, AccountDay.signals, AccountDay.band,
        AccountDay.phase, AccountDay.days_to_renewal, AccountDay.score, AccountDay.usage_trend,
        AccountDay.active_users_30d)


Due = tuple[date, date | None]     # an open task's due date and the day it was created


def overdue_on(dues: list[Due], day: date) -> int:
    """How many of the open tasks were past due on `day` (and created by then). A done
    task is left out: the store does not know when it was done (an import sets no such
    time), so a past day never counts a task that may have been done by then."""
    return sum(1 for due, created in dues if due < day and (created is None or created <= day))


def _task_dues(session: Session) -> dict[str, list[Due]]:
    """Every account's open tasks with a due date."""
    t = m.Task
    out: dict[str, list[Due]] = defaultdict(list)
    for acc, due, created in session.execute(
            select(t.account_id, t.due_date, t.created_at)
            .where(t.status == "open", t.due_date.is_not(None))):
        out[acc].append((due, created.date() if created else None))
    return out


def matches(session: Session, playbooks: list[Playbook], day: date,
            base_url: str = "") -> list[Match]:
    """Every (enabled playbook, account) firing on `day`, with its episode start and values."""
    playbooks = [pb for pb in playbooks if pb.enabled]
    if not playbooks:
        return []
    a = m.Account
    rows = session.execute(select(*COLS, a.name, a.owner, a.segment, a.renewal_date)
                           .join(a, a.id == AccountDay.account_id)
                           .where(AccountDay.day == day).order_by(AccountDay.account_id)).all()
    if not rows:
        return []
    prev_day = dict(session.execute(
        select(AccountDay.account_id, func.max(AccountDay.day))
        .where(AccountDay.day < day).group_by(AccountDay.account_id)).all())
    dues = _task_dues(session) if any(pb.when.task_overdue for pb in playbooks) or any(
        "tasks.overdue" in _used(pb) for pb in playbooks) else {}
    started = account_starts(session, [r.account_id for r in rows]) if any(
        pb.when.new_account is not None for pb in playbooks) else {}
    need_30 = any(pb.when.health_drop is not None for pb in playbooks)
    before = dict(session.execute(select(AccountDay.account_id, AccountDay.score).where(
        AccountDay.day == day - timedelta(days=30))).all()) if need_30 else {}
    found: list[tuple[Playbook, object]] = []
    for r in rows:
        d = _day(r)
        for pb in playbooks:
            if _passes_filters(pb, r.owner, r.segment) and holds(
                    pb, d, before.get(r.account_id), dues.get(r.account_id, []),
                    started.get(r.account_id)):
                found.append((pb, r))
    if not found:
        return []
    starts = _episode_starts(session, found, day, prev_day, dues, started)
    out = []
    for pb, r in found:
        start = starts[(pb.name, r.account_id)]
        out.append(Match(pb, r.account_id, start,
                         _values(pb, r, start, day, dues.get(r.account_id, []), base_url)))
    return out


def _used(pb: Playbook) -> set[str]:
    """The template keys the playbook's actions use."""
    return {k for act in pb.action for key in TEMPLATE_FIELDS[act.kind]
            if getattr(act.body, key) for k in fields(getattr(act.body, key))}


def _uses_reason(pb: Playbook) -> bool:
    """Whether a template of the playbook shows {signal.reason} or {signal.severity}."""
    return bool({"signal.reason", "signal.severity"} & _used(pb))


def fill_reasons(session: Session, store, found: list[Match], day: date) -> None:
    """Set `{signal.reason}` and `{signal.severity}` of these firings as of `day`."""
    todo = [x for x in found if "signal.code" in x.values and _uses_reason(x.playbook)]
    if not todo:
        return
    reasons = signal_reasons(session, store, [x.account_id for x in todo], day)
    for x in todo:
        sig = reasons.get(x.account_id, {}).get(x.values["signal.code"]) or {}
        x.values["signal.reason"] = sig.get("reason") or x.values["signal.code"]
        x.values["signal.severity"] = sig.get("severity") or ""


def _episode_starts(session: Session, found, day: date, prev_day: dict[str, date],
                    dues: dict[str, list[Due]], started: dict[str, date]
                    ) -> dict[tuple[str, str], date]:
    """The first day of each firing's episode: the day itself when the stored day before
    does not hold; else the known firing's start, or a walk back over the stored days."""
    out: dict[tuple[str, str], date] = {}
    known: dict[tuple[str, str], tuple[date, date]] = {}
    f = PlaybookFiring
    names = sorted({pb.name for pb, _ in found})
    accs = sorted({r.account_id for _, r in found})
    for i in range(0, len(accs), CHUNK):
        for name, acc, start, last in session.execute(
                select(f.playbook, f.account_id, f.episode_start, f.last_seen)
                .where(f.playbook.in_(names), f.account_id.in_(accs[i:i + CHUNK]),
                       f.episode_start <= day).order_by(f.episode_start)):
            known[(name, acc)] = (start, last)         # the latest episode wins
    walk: list[tuple[Playbook, str]] = []
    for pb, r in found:
        key = (pb.name, r.account_id)
        prev = prev_day.get(r.account_id)
        if prev is None:
            out[key] = day
            continue
        k = known.get(key)
        if k is not None and prev <= k[1] <= day:
            out[key] = k[0]
            continue
        walk.append((pb, r.account_id))
    if walk:
        out.update(_walk_back(session, walk, day, dues, started))
    return out


def _walk_back(session: Session, todo: list[tuple[Playbook, str]], day: date,
               dues: dict[str, list[Due]], started: dict[str, date]
               ) -> dict[tuple[str, str], date]:
    need_30 = any(pb.when.health_drop is not None for pb, _ in todo)
    first = day - timedelta(days=LOOKBACK_DAYS + (30 if need_30 else 0))
    accs = sorted({a for _, a in todo})
    history: dict[str, list[Day]] = defaultdict(list)
    for i in range(0, len(accs), CHUNK):
        for r in session.execute(select(*COLS).where(
                AccountDay.account_id.in_(accs[i:i + CHUNK]),
                AccountDay.day.between(first, day - timedelta(days=1)))
                .order_by(AccountDay.account_id, AccountDay.day)):
            history[r.account_id].append(_day(r))
    out = {}
    for pb, acc in todo:
        days = history[acc]
        scores = {d.day: d.score for d in days}
        start = day
        for d in reversed(days):
            if d.day < day - timedelta(days=LOOKBACK_DAYS):
                break
            if not holds(pb, d, scores.get(d.day - timedelta(days=30)), dues.get(acc, []),
                         started.get(acc)):
                break
            start = d.day
        out[(pb.name, acc)] = start
    return out


def _num(value: float | None, fmt: str = "{:.1f}") -> str:
    return "n/a" if value is None else fmt.format(value)


def _values(pb: Playbook, r, start: date, day: date, dues: list[Due],
            base_url: str) -> dict[str, str]:
    values = {
        "account.id": r.account_id, "account.name": r.name or r.account_id,
        "account.owner": r.owner or "", "account.segment": r.segment or "",
        "account.phase": r.phase or "",
        "account.url": f"{base_url}/app/accounts/{quote(r.account_id, safe='')}",
        "health.score": _num(r.score), "health.band": r.band or "",
        "usage.trend": _num(None if r.usage_trend is None else r.usage_trend * 100,
                            "{:+.1f}%"),
        "usage.active_users_30d": _num(r.active_users_30d, "{}"),
        "renewal.days": _num(r.days_to_renewal, "{}"),
        "renewal.date": r.renewal_date.isoformat() if r.renewal_date else "",
        "playbook.name": pb.name, "episode.start": start.isoformat(),
        "tasks.overdue": str(overdue_on(dues, day)),
    }
    if pb.when.signal:
        code = next((c for c in pb.when.signal if c in (r.signals or ())), pb.when.signal[0])
        values.update({"signal.code": code, "signal.reason": code, "signal.severity": "",
                       "signal.since": start.isoformat()})     # reasons: fill_reasons()
    return values
