"""The NRR/GRR series kept per process between changes of the ARR timeline.

The series reads only the stored ARR timeline (and, for a scope, which accounts the current
rows put in it), so a task, a note or a usage import does not move it. Per database and day
the process keeps every account's points (its ARR in cents at the start and end of each
trailing window, one column per day: services.retention_points) and their sums, tagged with the `arr_timeline` counter
(server.rows.stamps). On a read, one statement gives the counters and the timeline's row
count:

- unchanged: the kept sums are the series (a scope sums the points of its accounts);
- the timeline counter moved: only the accounts stamped above the kept value are re-read
  (their old points taken out of the sums, the new ones added; cents, so exact);
- an account deleted, the row count not the one expected, more than REREAD_LIMIT accounts
  changed, another day, or the kept state older than MAX_AGE seconds (a bound for a write
  that bypasses the rows' writer, such as a database restored under a running server):
  everything is read again, by a whole-team read; a scope's read (a CSM's book, a segment)
  then folds only its own accounts' timelines and leaves the build to the next team read.

So each answer equals `trends.retention_by_month` over the committed timeline.
"""

from __future__ import annotations

import threading
import time
import weakref
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.rows import stamps
from server.rows.models import ArrChangeRow, MetricsCounter, TimelineVersion
from server.services import retention_points, trends

REREAD_LIMIT = 2000
MAX_AGE = 3600.0


@dataclass(frozen=True)
class Kept:
    as_of: date
    version: int
    deleted: int
    rows: int
    kind: type
    keys: trends.Keys
    points: retention_points.Points  # every account's ARR in cents on each of keys.days
    totals: tuple  # per window (ΣS, ΣE, Σmin(S, E), cohort) over every account
    built: float


_KEPT: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # engine -> Kept
_LOCK = threading.Lock()


def _counters(session: Session) -> tuple[int, int, int]:
    """(arr_timeline counter, accounts_deleted counter, timeline rows) in one statement."""
    c = MetricsCounter
    def value(name):
        return select(func.coalesce(func.max(c.value), 0)).where(c.name == name) \
            .scalar_subquery()
    rows = select(func.count()).select_from(ArrChangeRow).scalar_subquery()
    return tuple(session.execute(select(value(stamps.TIMELINE), value(stamps.DELETED),
                                        rows)).one())


def _build(session: Session, as_of: date, version: int, deleted: int) -> Kept:
    points, keys = retention_points.build(session, lambda kind: trends.bounds_keys(as_of, kind))
    kind = type(keys.days[0])
    totals = retention_points.sums(points, keys)
    return Kept(as_of, version, deleted, sum(points.counts), kind, keys, points,
                tuple(map(tuple, totals)), time.monotonic())


def _advance(session: Session, kept: Kept, version: int) -> Kept | None:
    """`kept` with the accounts stamped above its version re-read (None: too many)."""
    changed = list(session.scalars(select(TimelineVersion.account_id).where(
        TimelineVersion.version > kept.version).limit(REREAD_LIMIT + 1)))
    if len(changed) > REREAD_LIMIT:
        return None
    lines, kind = trends.timelines(session, ids=changed) if changed else ({}, kept.kind)
    if lines and kind is not kept.kind:
        return None
    keys = kept.keys
    points, moves = retention_points.updated(kept.points, lines, changed, keys)
    totals = [list(row) for row in kept.totals]
    for old, new in moves:
        if old is not None:
            trends.add_points(totals, old, keys, -1)
        if new is not None:
            trends.add_points(totals, new, keys)
    return Kept(kept.as_of, version, kept.deleted, sum(points.counts), kept.kind, keys,
                points, tuple(map(tuple, totals)), kept.built)


def kept_points(session: Session, as_of: date, build: bool = True) -> Kept | None:
    """The per-account points and sums of the committed timeline (see the module doc); with
    `build` false, None where they would have to be built from the whole timeline."""
    bind = session.get_bind()
    version, deleted, rows = _counters(session)
    with _LOCK:
        kept = _KEPT.get(bind)
    fresh = kept is not None and kept.as_of == as_of and kept.deleted == deleted \
        and time.monotonic() - kept.built < MAX_AGE and version >= kept.version
    if fresh and kept.version == version and kept.rows == rows:
        return kept
    new = _advance(session, kept, version) if fresh else None
    if new is None or new.rows != rows:
        if not build:
            return None
        new = _build(session, as_of, version, deleted)
    with _LOCK:
        _KEPT[bind] = new
    return new


def retention_by_month(session: Session, as_of: date, owner: str | None = None,
                       segment: str | None = None, phase: str | None = None) -> list[dict]:
    """trends.retention_by_month from the kept points: the kept sums for the whole team, the
    points of the scope's accounts (owner, segment, phase of the current rows) otherwise. A
    scope does not build the kept points (a CSM's first view of a process): while there are
    none, it folds its own accounts' timelines."""
    if not (owner or segment or phase):
        kept = kept_points(session, as_of)
        return trends.series_of([list(row) for row in kept.totals], as_of)
    kept = kept_points(session, as_of, build=False)
    if kept is None:
        return trends.retention_by_month(session, as_of, owner, segment, phase)
    index = kept.points.index
    mine = [i for acc in session.scalars(trends.in_scope(owner, segment, phase))
            if (i := index.get(acc)) is not None]
    return trends.series_of(retention_points.sums(kept.points, kept.keys, mine), as_of)


def forget() -> None:
    """Drop every kept state (the next read builds it again)."""
    with _LOCK:
        _KEPT.clear()
