"""Ticket and reply medians, team and per owner: one statement for every account
(`offset_medians`) or for a scope on PostgreSQL (`grouped_medians`).

Every account: the count per kind and owner comes with the team sums (the rows' per-kind
counts, `server.rows.team`); one statement then reads each group's middle values at their
offset on the (kind, owner, hours) index and the team's on the (kind, hours) index (a
UNION ALL of the offset reads: no round trip per owner).

A scope on PostgreSQL: one scan of `ticket_hours` grouped by GROUPING SETS ((kind, owner),
(kind)) gives, per kind and owner and per kind for the whole scope, the count and the two
middle values: the lower one is `percentile_disc(0.5)` over the hours ascending (the
ceil(n / 2)-th value), the upper one the same over the hours descending (the
(n - ceil(n / 2) + 1)-th). The median is the middle value (n odd) or their mean (n even),
as `server.metrics.median`. A scope on SQLite pools its hours in memory
(`server.rows.team`): its sort passes are slow.
"""

from __future__ import annotations

from sqlalchemy import func, literal, select, tuple_, union_all
from sqlalchemy.orm import Session

from server.rows.models import AccountMetrics, TicketHours, scoped

th, am = TicketHours, AccountMetrics
KINDS = ("response", "resolution", "reply")


def _median(n: int, low, high):
    if not n:
        return None
    return low if n % 2 else (low + high) / 2


def grouped_medians(session: Session, owner, segment, phase, spellings: list[str] | None,
                    key) -> dict[str, tuple[tuple, dict]]:
    """{kind: ((team median, n), {key(owner): (median, n)})} of the accounts in scope."""
    low = func.percentile_disc(0.5).within_group(th.hours)
    high = func.percentile_disc(0.5).within_group(th.hours.desc())
    stmt = (select(th.kind, th.owner, func.grouping(th.owner), func.count(), low, high)
            .where(th.kind.in_(KINDS))
            .group_by(func.grouping_sets(tuple_(th.kind, th.owner), tuple_(th.kind))))
    if spellings is not None:   # one CSM: its spellings, on the (kind, owner, hours) index
        stmt = stmt.where(th.owner.in_(spellings))
    elif owner or segment or phase:
        stmt = stmt.where(th.account_id.in_(
            scoped(select(am.account_id), owner, segment, phase)))
    out = {k: ((None, 0), {}) for k in KINDS}
    for kind, o, whole, n, lo, hi in session.execute(stmt):
        team, per = out[kind]
        if whole:
            out[kind] = ((_median(n, lo, hi), n), per)
        else:
            per[key(o)] = (_median(n, lo, hi), n)
    return out


def offset_medians(session: Session, key, hours: dict, team=None,
                   each=None) -> dict[str, tuple[tuple, dict]]:
    """{kind: ((team median, n), {key(owner): (median, n)})} of the accounts in scope;
    `hours`: {(kind, owner): n} (the scope's per-kind counts summed by owner); `team` and
    `each`: the scope's condition on `ticket_hours` for the team's reads and for each
    owner's (None: every account)."""
    counts = [(k, o, n) for (k, o), n in hours.items() if n]
    groups = []   # (kind, owner or None, is the team, n)
    for kind in KINDS:
        mine = [(o, n) for k, o, n in counts if k == kind]
        groups.append((kind, None, True, sum(n for _, n in mine)))
        groups += [(kind, o, False, n) for o, n in mine]
    reads = []
    for i, (kind, o, whole, n) in enumerate(groups):
        if not n:
            continue
        q = select(th.hours).where(th.kind == kind)
        if not whole:
            q = q.where(th.owner.is_(None) if o is None else th.owner == o)
        if (team if whole else each) is not None:
            q = q.where(team if whole else each)
        sub = q.order_by(th.hours).offset((n - 1) // 2).limit(1 if n % 2 else 2).subquery()
        reads.append(select(literal(i).label("i"), sub.c.hours))
    middle: dict[int, list] = {}
    if reads:
        for i, h in session.execute(union_all(*reads)):
            middle.setdefault(i, []).append(h)
    out = {k: ((None, 0), {}) for k in KINDS}
    for i, (kind, o, whole, n) in enumerate(groups):
        vals = sorted(middle.get(i, ()))
        value = _median(n, vals[0], vals[-1]) if n else None
        if whole:
            out[kind] = ((value, n), out[kind][1])
        else:
            out[kind][1][key(o)] = (value, n)
    return out
