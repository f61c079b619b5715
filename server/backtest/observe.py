"""The health of each cohort account on its observation day, and where its signals' runs began.

Only the days the backtest reads are evaluated: the observation day of each account (with the
health of 30 days before, for `health_drop`), read from the daily history when a row of the
same settings version is stored. For a churned account the first day of each firing signal's
run is needed too (its lead time): the signal's own `since` when its data tells it (the day an
account became inactive, the last touchpoint + N days...), else traced back day by day over the
stored history of the same version and, where it has no row, over evaluated blocks of days, at
most LEAD_LOOKBACK days before the observation day. With `write`, the evaluated rows are kept.

Accounts whose days lie close together (at most SPAN days apart) are evaluated together:
one load of their records as of the latest of their days, each day reading its own usage
windows, messages and North Star period (server.rows.bulk.DayFacts), as the backfill does.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from server import metrics as mx
from server.rows import build
from server.rows.bulk import DayFacts, UsageSeries
from server.rows.models import AccountDay
from server.rows.refresh import _upsert

LEAD_LOOKBACK = 365
BLOCK = 60
CHUNK = 250
SPAN = 90
DAY = timedelta(days=1)
MONTH = timedelta(days=30)

Spans = dict[str, tuple[date, date]]


@dataclass
class Seen:
    """One account on its observation day: score, band, firing codes and their run starts."""

    score: float | None
    band: str
    codes: list[str]
    runs: dict[str, date | None] = field(default_factory=dict)


def batches(spans: Spans, limit: int = SPAN) -> Iterator[Spans]:
    """The accounts in groups of at most CHUNK whose days lie within `limit` days."""
    batch: Spans = {}
    low = None
    for acc, (first, last) in sorted(spans.items(), key=lambda kv: (kv[1][1], kv[0])):
        low = first if low is None else min(low, first)
        if batch and (len(batch) >= CHUNK or (last - low).days > limit):
            yield batch
            batch, low = {}, first
        batch[acc] = (first, last)
    if batch:
        yield batch


def evaluate_spans(session: Session, settings, spans: Spans
                   ) -> dict[str, list[tuple[date, object]]]:
    """(day, Evaluation) of every day of each account's [first, last], computed with
    `settings` alone: the health of the 30 days before `first` is evaluated too, nothing
    stored is read."""
    from server.services.evaluate import evaluate
    from server.services.facts import MESSAGE_DAYS, load_facts

    cfg = settings.metrics
    out: dict[str, list[tuple[date, object]]] = {}
    for batch in batches(spans):
        top = max(last for _, last in batch.values())
        low = min(first for first, _ in batch.values())
        accounts, facts = load_facts(session, sorted(batch), top, cfg.first_value_event,
                                     cfg.north_star,
                                     message_days=MESSAGE_DAYS + (top - low).days + 30)
        series = UsageSeries(session, sorted(accounts), low - MONTH, top, cfg.first_value_event,
                             cfg.north_star)
        for acc in sorted(accounts):
            first, last = batch[acc]
            per_day, scores, days = DayFacts(facts[acc], series.star_counts(acc)), {}, []
            span = [first + timedelta(days=n) for n in range((last - first).days + 1)]
            wanted = {*span, *(d - MONTH for d in span)}       # the span and the days it reads
            for day, stats in series.stats(acc, wanted):
                if day > last:
                    break
                if day < first:
                    if day in wanted:
                        scores[day] = mx.account_metrics(per_day.on(day, stats), cfg,
                                                         day).health.score
                    continue
                ev = evaluate(per_day.on(day, stats), day, cfg, scores.get(day - MONTH))
                scores[day] = ev.health.score
                days.append((day, ev))
            out[acc] = days
    return out


def _rows(acc: str, days: list[tuple[date, object]], version: str) -> list[dict]:
    """History rows of consecutive evaluated days, runs chained from the first of them."""
    out, codes, runs = [], None, None
    for day, ev in days:
        fired = [s.code for s in ev.signals]
        runs = build.signal_runs(fired, codes, runs, day)
        codes = set(fired)
        out.append(build.day_row(acc, ev, day, version, runs))
    return out


def _stored(session: Session, spans: Spans, version: str) -> dict[tuple[str, date], tuple]:
    out = {}
    for batch in batches(spans, LEAD_LOOKBACK + BLOCK):
        low = min(first for first, _ in batch.values())
        top = max(last for _, last in batch.values())
        for a, d, score, band, codes in session.execute(
                select(AccountDay.account_id, AccountDay.day, AccountDay.score,
                       AccountDay.band, AccountDay.signals)
                .where(AccountDay.account_id.in_(list(batch)), AccountDay.day.between(low, top),
                       AccountDay.settings_version == version)):
            if batch[a][0] <= d <= batch[a][1]:
                out[(a, d)] = (score, band, list(codes or ()))
    return out


def _stored_on(session: Session, days: dict[str, date], version: str) -> dict[str, tuple]:
    """(score, band, codes) of each account's stored row of its day and this version."""
    by_day: dict[date, list[str]] = defaultdict(list)
    for acc, d in days.items():
        by_day[d].append(acc)
    out = {}
    for d, ids in by_day.items():
        for i in range(0, len(ids), CHUNK):
            out.update({a: (score, band, list(codes or ())) for a, score, band, codes in
                        session.execute(
                            select(AccountDay.account_id, AccountDay.score, AccountDay.band,
                                   AccountDay.signals)
                            .where(AccountDay.day == d, AccountDay.account_id.in_(ids[i:i + CHUNK]),
                                   AccountDay.settings_version == version))})
    return out


def _step(open_codes: set[str], fired: set[str], d: date, runs: dict) -> set[str]:
    """One day back: a code still firing on `d` moves its run start to `d`; the others are
    done (their run started the day after)."""
    still = open_codes & fired
    for c in open_codes - still:
        runs[c] = d + DAY
    for c in still:
        runs[c] = d
    return still


class Observer:
    """Observes the cohort with one settings version; `keep` receives the evaluated rows."""

    def __init__(self, session: Session, settings, keep: Callable[[list[dict]], None] | None,
                 progress: Callable[[int, int], None] | None = None) -> None:
        self.session, self.settings, self.keep = session, settings, keep
        self.version = build.settings_version(settings)
        self.progress = progress or (lambda done, total: None)

    def observe(self, days: dict[str, date], traced: set[str]) -> dict[str, Seen]:
        """Every account on its day (id -> day); run starts traced for the `traced` ones."""
        total = len(days)
        stored = _stored_on(self.session, {a: d for a, d in days.items() if a not in traced},
                            self.version)
        out = {a: Seen(*row, runs={c: None for c in row[2]}) for a, row in stored.items()}
        wanted = {a: (d, d) for a, d in days.items() if a not in out}
        rows, evs = [], {}
        for batch in batches(wanted):
            for acc, evaluated in evaluate_spans(self.session, self.settings, batch).items():
                evs[acc] = evaluated[-1][1]
                if acc not in traced:
                    rows += _rows(acc, evaluated, self.version)
                    codes = sorted(s.code for s in evs[acc].signals)
                    out[acc] = Seen(evs[acc].health.score, evs[acc].health.band, codes,
                                    {c: None for c in codes})
            self.progress(len(out), total)
        self._keep(rows)
        out.update(self._trace({a: days[a] for a in traced if a in evs}, evs))
        self.progress(total, total)
        return out

    def _keep(self, rows: list[dict]) -> None:
        if self.keep and rows:
            self.keep(rows)

    def _trace(self, days: dict[str, date], evs: dict) -> dict[str, Seen]:
        """Run starts of each churned account's firing signals: their own since, else the
        stored history walked back, else evaluated blocks of days."""
        runs = {a: {s.code: s.since for s in evs[a].signals} for a in days}
        open_codes = {a: {c for c, since in r.items() if since is None} for a, r in runs.items()}
        floor = {a: d - timedelta(days=LEAD_LOOKBACK) for a, d in days.items()}
        stored = _stored(self.session, {a: (floor[a], d - DAY) for a, d in days.items()
                                        if open_codes[a]}, self.version)
        at = {}
        for acc, d in days.items():
            d -= DAY
            while open_codes[acc] and d >= floor[acc] and (acc, d) in stored:
                open_codes[acc] = _step(open_codes[acc], set(stored[(acc, d)][2]), d, runs[acc])
                d -= DAY
            at[acc] = d                 # the day the walk goes on from, by evaluation
        back: dict[str, list] = defaultdict(list)
        while True:
            spans = {a: (max(floor[a], at[a] - timedelta(days=BLOCK - 1)), at[a])
                     for a in days if open_codes[a] and at[a] >= floor[a]}
            if not spans:
                break
            done = evaluate_spans(self.session, self.settings, spans)
            for acc in set(spans) - set(done):       # gone meanwhile: nothing to trace
                open_codes[acc] = set()
            for acc, evaluated in done.items():
                fired = {d: {s.code for s in ev.signals} for d, ev in evaluated}
                first, d = spans[acc]
                while open_codes[acc] and d >= first:
                    open_codes[acc] = _step(open_codes[acc], fired.get(d, set()), d, runs[acc])
                    d -= DAY
                at[acc] = first - DAY
                back[acc][:0] = evaluated
        out, rows = {}, []
        for acc, d in days.items():
            rows += _rows(acc, back[acc], self.version) if back[acc] else []
            found = {c: v or d for c, v in sorted(runs[acc].items())}
            row = _rows(acc, [(d, evs[acc])], self.version)[0]
            row["signal_runs"] = {c: v.isoformat() for c, v in found.items()}
            rows.append(row)
            out[acc] = Seen(evs[acc].health.score, evs[acc].health.band, sorted(found), found)
        self._keep(rows)
        return out


def keeper(session: Session) -> Callable[[list[dict]], None]:
    """Writes evaluated history rows (an upsert by account and day)."""
    def keep(rows: list[dict]) -> None:
        _upsert(session, AccountDay, rows, ["account_id", "day"])
        session.flush()
    return keep
