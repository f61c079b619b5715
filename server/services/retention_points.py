"""Every account's ARR in cents on the NRR/GRR windows' days, kept as one column per day.

`services.retention_series` keeps these between changes of the ARR timeline. A column is a
list over the accounts (their positions in `index`), so a whole-team sum is a few C-level
passes over ten thousand ints instead of a Python loop per account, and building them holds
a handful of lists rather than a tuple per account: a build in a large process no longer
feeds the garbage collector tens of thousands of containers (it ran several full
collections per build). The build reads the timeline unordered through the driver's cursor,
row by row, and files each change under the first window day on or after it; a day's column
is the previous one with that day's changes applied (the latest change of an account wins,
as in `trends.account_points`, whatever order the rows arrive in).

Σmin(S, E) needs a per-account minimum only where E < S is possible: an account whose ARR
never goes down over the days (most) has min(S, E) = S. `falls` holds the positions of the
accounts whose points go down somewhere (a superset is fine: their minimum is taken
exactly), so the sums stay whole cents and exact.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass
from itertools import chain, compress
from operator import itemgetter

from sqlalchemy import Float, String, cast, select, type_coerce
from sqlalchemy.orm import Session

from server.rows.models import ArrChangeRow
from server.services import trends


@dataclass(frozen=True)
class Points:
    index: dict  # account -> its position in every column
    cols: tuple  # per day of keys.days: a list of ARR in cents, one per position
    counts: list  # per position: the account's number of timeline rows
    falls: frozenset  # positions whose points go down somewhere (min(S, E) may be E)

    def of(self, account: str) -> tuple[int, ...] | None:
        i = self.index.get(account)
        return None if i is None else tuple(col[i] for col in self.cols)


def _statement():
    ch = ArrChangeRow  # days as the driver returns them (ISO text on SQLite, dates on PostgreSQL)
    return select(ch.account_id, ch.seq, type_coerce(ch.date, String), cast(ch.after, Float))


def build(session: Session, keys_of) -> tuple[Points, trends.Keys]:
    """The points of every account with a stored timeline; `keys_of(kind)` gives the window
    days in the type the driver returns days in (known from the first row)."""
    conn = session.connection()
    cur = conn.connection.cursor()  # the driver's cursor, in the session's transaction
    try:
        cur.execute(str(_statement().compile(dialect=conn.dialect)))
        first = cur.fetchone()
        keys = keys_of(type(first[2]) if first else str)
        days, n = keys.days, len(keys.days)
        index: dict[str, int] = {}
        counts: list[int] = []
        filed = [[] for _ in range(n)]  # per day: position, seq, cents, flat
        # row by row: each row is freed before the next, so the collector is not woken
        for acc, seq, day, after in chain((first,) if first else (), cur):
            i = index.get(acc)
            if i is None:
                i = index[acc] = len(counts)
                counts.append(0)
            counts[i] += 1
            k = bisect_left(days, day)
            if k < n:
                filed[k] += (i, seq, round(after * 100))
    finally:
        cur.close()
    col, last = [0] * len(counts), [-1] * len(counts)
    cols, falls = [], set()
    for flat in filed:
        col = col.copy()
        for j in range(0, len(flat), 3):
            i, seq, cents = flat[j], flat[j + 1], flat[j + 2]
            if seq > last[i]:
                last[i] = seq
                if cents < col[i]:
                    falls.add(i)
                col[i] = cents
        cols.append(col)
    return Points(index, tuple(cols), counts, frozenset(falls)), keys


def _falls(points: tuple[int, ...]) -> bool:
    return any(b < a for a, b in zip(points, points[1:]))


def updated(kept: Points, lines: dict, changed: list[str], keys: trends.Keys) -> tuple:
    """`kept` with the accounts of `changed` given their timelines in `lines` (an account
    not in it has none left), and [(old points or None, new points or None)] per account."""
    index, counts = dict(kept.index), list(kept.counts)
    cols = [list(col) for col in kept.cols]
    falls = set(kept.falls)
    moves = []
    for acc in changed:
        i = index.get(acc)
        old = None if i is None else tuple(col[i] for col in cols)
        if acc in lines:
            acc_days, arrs = lines[acc]
            new, rows = trends.account_points(acc_days, arrs, keys), len(acc_days)
        else:
            new, rows = None, 0
        if i is None:
            if new is None:
                continue
            i = index[acc] = len(counts)
            counts.append(0)
            for col in cols:
                col.append(0)
        for col, value in zip(cols, new or (0,) * len(cols)):
            col[i] = value
        counts[i] = rows
        if new is not None and _falls(new):
            falls.add(i)
        moves.append((old, new))
    return Points(index, tuple(cols), counts, frozenset(falls)), moves


def sums(points: Points, keys: trends.Keys, positions: list[int] | None = None) -> list:
    """Per window [ΣS, ΣE, Σmin(S, E), cohort] over the accounts with S > 0: all of them, or
    those at `positions`."""
    cols, falls = points.cols, points.falls
    if positions is not None:
        if not positions:
            return trends.empty_totals()
        pick = itemgetter(*positions)
        many = len(positions) > 1
        cols = [list(pick(col)) if many else [pick(col)] for col in cols]
        falls = [j for j, i in enumerate(positions) if i in points.falls]
    else:
        falls = sorted(falls)
    fall = itemgetter(*falls) if falls else None
    out = []
    for si, ei in zip(keys.s, keys.e):
        s, e = cols[si], cols[ei]
        s_sum, low = sum(s), 0
        if fall is not None:  # min(S, E) = S but where the ARR may have gone down
            fs, fe = (fall(s), fall(e)) if len(falls) > 1 else ((fall(s),), (fall(e),))
            low = sum(fs) - sum(map(min, fs, fe))
        out.append([s_sum, sum(compress(e, s)), s_sum - low, len(s) - s.count(0)])
    return out
