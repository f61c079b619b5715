"""Retention and quarterly expansion of a period as grouped SQL sums over the ARR timeline.

Per account of the scope, S = ARR(start - 1 day), E = ARR(end) and the period's ARR
increases, all and cross-sell, come from the rows (the default period, or any period ending
on the rows' day: `server.rows.periods`) or from one grouped pass over `arr_changes` (the
`after` of the last change dated on or before the day, by timeline order). The movements of metrics.md section 1
(expansion, contraction, churn, churned logos, the upsell/cross-sell split) are then summed
per owner in SQL, on whole cents so SQLite and PostgreSQL add exactly. An account whose
expansion is split in proportion (0 < cross-sell increases < all increases) is a group of
its own: that split is a division, done by `server.metrics.movement_from` as for one account.
Quarterly expansion is one grouped pass over the period's increases (the `date` index).
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import BigInteger, and_, case, cast, func, literal, or_, select
from sqlalchemy.orm import Session

from server import metrics as mx
from server.rows import periods
from server.rows.models import AccountMetrics, ArrChangeRow, scoped

am, ch = AccountMetrics, ArrChangeRow
ZERO = Decimal("0")
COUNTS = ("cohort_size", "churned_logos")
SEQ = 10 ** 12  # above any ARR in cents
SUMS = ("start_arr", "end_arr", "expansion", "contraction", "churn", "upsell", "cross_sell")


def cents(value):
    """A money value (a column or a sum of a few) as whole cents: an exact integer on SQLite
    (which stores money as binary floats) and PostgreSQL."""
    return cast(func.round(value * 100), BigInteger)


def from_cents(value) -> Decimal:
    """Whole cents (int or Decimal, None for no rows) back to money."""
    return Decimal(int(value or 0)).scaleb(-2)


def _accounts(start: date, end: date, owner, segment, phase, source: str = "timeline"):
    """Each account of the scope with S > 0: owner, S, E and the period's increases (all and
    cross-sell), in cents.

    `source` (server.rows.periods): ``stored`` and ``ending`` read them from the rows (and
    the period's changes); ``timeline`` reads S and E in one grouped pass over the
    timeline: the largest `seq * 10^12 + cents(after)` among the changes dated on or before
    the day is the last change's, and its `after` the rest.
    """
    if source != "timeline":
        rows = scoped(periods.cohort(source, start, end, owner, segment, phase, cents),
                      owner, segment, phase).subquery()
        return select(rows).where(rows.c.s > 0).cte("cohort").prefix_with("MATERIALIZED")
    up = and_(ch.date >= start, ch.date <= end, ch.after > ch.before)
    grow = ch.after - ch.before
    seq = literal(SEQ, BigInteger)
    keyed = cast(ch.seq, BigInteger) * seq + cents(ch.after)
    per = (select(ch.account_id.label("acc"),
                  func.max(case((ch.date <= start - timedelta(days=1), keyed))).label("s_key"),
                  func.max(case((ch.date <= end, keyed))).label("e_key"),
                  cents(func.sum(case((up, grow), else_=0))).label("inc"),
                  cents(func.sum(case((and_(up, ch.expansion_type == "cross_sell"), grow),
                                      else_=0))).label("cross"))
           .group_by(ch.account_id))
    if owner or segment or phase:   # a scope groups only its accounts' changes
        per = per.where(ch.account_id.in_(scoped(select(am.account_id), owner, segment, phase)))
    per = per.subquery()
    s = func.coalesce(per.c.s_key % seq, 0)
    stmt = (select(per.c.acc, am.owner.label("owner"), s.label("s"),
                   func.coalesce(per.c.e_key % seq, 0).label("e"), per.c.inc, per.c.cross)
            .select_from(per).join(am, am.account_id == per.c.acc)
            .where(s > 0))
    # computed once, not inlined into every aggregate that reads it
    return scoped(stmt, owner, segment, phase).cte("cohort").prefix_with("MATERIALIZED")


def _empty() -> dict:
    return {**{k: 0 for k in COUNTS}, **{k: ZERO for k in SUMS}, "split": []}


def retention_by_owner(session: Session, start: date, end: date, owner, segment, phase,
                       key, source: str | None = None) -> dict[str, dict]:
    """{key(owner): the sums of the cohort's movements} for the period; see `retention_from`.
    `source`: where S, E and the increases come from (server.rows.periods; by default the
    cheapest one that answers the period)."""
    if source is None:
        source = periods.source(session, start, end)
    c = _accounts(start, end, owner, segment, phase, source).c
    grew = c.e > c.s
    partial = and_(grew, c.cross > 0, c.inc > c.cross)
    alone = case((partial, c.acc))
    stmt = select(
        c.owner, alone, func.count(), func.sum(c.s), func.sum(c.e), func.sum(c.inc),
        func.sum(c.cross), func.sum(case((grew, c.e - c.s), else_=0)),
        func.sum(case((and_(c.e > 0, c.s > c.e), c.s - c.e), else_=0)),
        func.sum(case((c.e == 0, c.s), else_=0)), func.count(case((c.e == 0, 1))),
        func.sum(case((and_(grew, or_(c.cross <= 0, c.inc <= 0)), c.e - c.s), else_=0)),
        func.sum(case((and_(grew, c.cross > 0, c.inc > 0, c.cross == c.inc), c.e - c.s),
                      else_=0)),
    ).group_by(c.owner, alone)
    out: dict[str, dict] = {}
    for o, acc, n, s, e, inc, cross, grown, contr, churn, churned, up, all_cross in \
            session.execute(stmt):
        g = out.setdefault(key(o), _empty())
        g["cohort_size"] += n
        g["churned_logos"] += churned
        for name, v in (("start_arr", s), ("end_arr", e), ("expansion", grown),
                        ("contraction", contr), ("churn", churn), ("upsell", up),
                        ("cross_sell", all_cross)):
            g[name] += from_cents(v)
        if acc is not None:  # one account whose expansion splits in proportion
            mv = mx.movement_from(start, end, from_cents(s), from_cents(e), from_cents(inc),
                                  from_cents(cross))
            g["split"].append((mv.upsell, mv.cross_sell))
    return out


def retention_from(groups: list[dict]) -> mx.Retention:
    """The Retention of the union of cohorts summed by `retention_by_owner`."""
    total = _empty()
    for g in groups:
        for k in (*COUNTS, *SUMS):
            total[k] += g[k]
        total["split"] += g["split"]
    return mx.retention_of(
        **{k: total[k] for k in (*COUNTS, *SUMS) if k not in ("upsell", "cross_sell")},
        upsell=sum((u for u, _ in total["split"]), total["upsell"]),
        cross_sell=sum((c for _, c in total["split"]), total["cross_sell"]))


def expansion_by_owner(session: Session, start: date, end: date, owner, segment, phase,
                       key) -> dict[str, dict[str, tuple[Decimal, Decimal]]]:
    """{key(owner): {quarter: (upsell, cross_sell)}}: the period's ARR increases on accounts
    that already had ARR, by calendar quarter."""
    quarters = mx.quarters(start, end)
    if not quarters:
        return {}
    which = case(*((and_(ch.date >= q0, ch.date <= q1), i)
                   for i, (_, q0, q1) in enumerate(quarters)))
    is_cross = case((ch.expansion_type == "cross_sell", 1), else_=0)
    stmt = (select(am.owner, which, is_cross, func.sum(cents(ch.after) - cents(ch.before)))
            .select_from(ch).join(am, am.account_id == ch.account_id)
            .where(ch.date >= start, ch.date <= end, ch.before > 0, ch.after > ch.before)
            .group_by(am.owner, which, is_cross))
    out: dict[str, dict] = {}
    for o, i, crossed, total in session.execute(scoped(stmt, owner, segment, phase)):
        q = out.setdefault(key(o), {})
        label = quarters[i][0]
        up, cross = q.get(label, (ZERO, ZERO))
        q[label] = (up, cross + from_cents(total)) if crossed else \
            (up + from_cents(total), cross)
    return out


def add_quarters(groups) -> dict[str, tuple[Decimal, Decimal]]:
    """The quarter sums of several owners added."""
    out: dict[str, tuple[Decimal, Decimal]] = {}
    for g in groups:
        for label, (up, cross) in g.items():
            u0, c0 = out.get(label, (ZERO, ZERO))
            out[label] = (u0 + up, c0 + cross)
    return out
