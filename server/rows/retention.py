"""Retention and quarterly expansion of a period as grouped SQL sums over the ARR timeline.

Per account of the scope, S = ARR(start - 1 day), E = ARR(end) and the period's ARR
increases, all and cross-sell, come from the rows (the default period, or any period ending
on the rows' day: `server.rows.periods`) or from one grouped pass over `arr_changes` (the
`after` of the last change dated on or before the day, by timeline order). The movements of
metrics.md section 1 (expansion, contraction, churn, churned logos, the upsell/cross-sell
split) are then summed per owner in SQL (`movement_columns`), on whole cents so SQLite and
PostgreSQL add exactly. An account whose expansion is split in proportion (0 < cross-sell
increases < all increases) comes back as its own `s:e:inc:cross` text in the owner's row:
that split is a division, done by `server.metrics.movement_from` as for one account.

The team figures' pass over the current rows (`server.rows.team`) carries these sums for the
stored period (`row_columns`), so the cohort costs no scan of its own; for a period ending on
the rows' day it carries each owner's "nothing changed" sums (S = E) and only the accounts
with changes inside the period are read again (`retention_of_pass`).
Quarterly expansion is one grouped pass over the period's increases (the `date` index).
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    String,
    and_,
    case,
    cast,
    func,
    literal,
    literal_column,
    or_,
    select,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.functions import FunctionElement

from server import metrics as mx
from server.rows import periods
from server.rows.models import AccountMetrics, ArrChangeRow, scoped

am, ch = AccountMetrics, ArrChangeRow
ZERO = Decimal("0")
COUNTS = ("cohort_size", "churned_logos")
SEQ = 10 ** 12  # above any ARR in cents
SUMS = ("start_arr", "end_arr", "expansion", "contraction", "churn", "upsell", "cross_sell")
#: the integer sums of `movement_columns`, in order (cents, or a count)
_SUMMED = ("cohort_size", "start_arr", "end_arr", "expansion", "contraction", "churn",
           "churned_logos", "upsell", "cross_sell")
WIDTH = len(_SUMMED) + 1     # and the split accounts' text
#: an ARR increase of an account that already had ARR (the condition of the partial index
#: `ix_arr_changes_increases`, written out so the planners match it: no bound parameter)
INCREASE = and_(ch.before > literal_column("0"), ch.after > ch.before)


class cents(FunctionElement):
    """A money value (a column or a sum of a few) as whole cents: an exact integer on SQLite
    (which stores money as binary floats: rounded, then cast) and PostgreSQL (whose money
    columns are exact decimals of scale 2: times 100 is already whole, and a round and a
    cast on every row of an aggregate cost more than the sums themselves)."""

    name = "cents"
    type = BigInteger()
    inherit_cache = True


@compiles(cents)
def _cents(element, compiler, **kw):
    return f"CAST(round(({compiler.process(element.clauses, **kw)}) * 100) AS BIGINT)"


@compiles(cents, "postgresql")
def _cents_pg(element, compiler, **kw):
    return f"(({compiler.process(element.clauses, **kw)}) * 100)"


def _int(value) -> int:
    """Whole cents as read back (an int, or a Decimal or its text on PostgreSQL)."""
    return int(Decimal(value)) if isinstance(value, str) else int(value or 0)


def from_cents(value) -> Decimal:
    """Whole cents (int or Decimal, None for no rows) back to money."""
    return Decimal(_int(value)).scaleb(-2)


def movement_columns(s, e, inc, cross) -> list:
    """The aggregates of the movements of the accounts with S > 0 (the cohort) among those
    grouped, from per-account S, E and increases in cents (see `_SUMMED`), then the
    `s:e:inc:cross` texts of those whose expansion splits in proportion (NULL: none)."""
    cohort = s > 0
    grew = and_(cohort, e > s)
    partial = and_(grew, cross > 0, inc > cross)
    text = cast(s, String) + ":" + cast(e, String) + ":" + cast(inc, String) + ":" + \
        cast(cross, String)
    return [
        func.count(case((cohort, 1))), func.sum(case((cohort, s), else_=0)),
        func.sum(case((cohort, e), else_=0)), func.sum(case((grew, e - s), else_=0)),
        func.sum(case((and_(cohort, e > 0, s > e), s - e), else_=0)),
        func.sum(case((and_(cohort, e == 0), s), else_=0)),
        func.count(case((and_(cohort, e == 0), 1))),
        func.sum(case((and_(grew, or_(cross <= 0, inc <= 0)), e - s), else_=0)),
        func.sum(case((and_(grew, cross > 0, inc > 0, cross == inc), e - s), else_=0)),
        func.aggregate_strings(case((partial, text)), ";"),
    ]


def period_pass(source: str, start: date, end: date, owner, segment, phase):
    """What the team pass over the current rows (server.rows.team) reads for the retention
    of the period: (its FROM: the rows, joined for an ``ending`` source to their changes
    dated in the period, summed per account; its `movement_columns` for a ``stored`` or
    ``ending`` source, none for ``timeline``)."""
    if source == "stored":
        return am.__table__, movement_columns(
            cents(am.start_arr), cents(am.end_arr), cents(am.period_increase),
            cents(am.period_cross_increase))
    if source == "ending":    # S = E minus the period's changes (periods.changes_in)
        per = periods.changes_in(start, end, owner, segment, phase, cents)
        e = cents(am.end_arr)
        return am.__table__.outerjoin(per, per.c.acc == am.account_id), movement_columns(
            e - func.coalesce(per.c.delta, 0), e, func.coalesce(per.c.inc, 0),
            func.coalesce(per.c.cross, 0))
    return am.__table__, []


def _timeline(start: date, end: date, owner, segment, phase):
    """Each account of the scope with a timeline: owner, S, E and the period's increases, in
    cents, in one grouped pass over the timeline: the largest `seq * 10^12 + cents(after)`
    among the changes dated on or before the day is the last change's, and its `after` the
    rest."""
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
    stmt = (select(am.owner.label("owner"), func.coalesce(per.c.s_key % seq, 0).label("s"),
                   func.coalesce(per.c.e_key % seq, 0).label("e"), per.c.inc, per.c.cross)
            .select_from(per).join(am, am.account_id == per.c.acc))
    # computed once, not inlined into every aggregate that reads it
    return scoped(stmt, owner, segment, phase).cte("cohort").prefix_with("MATERIALIZED")


def _add(acc: dict, values) -> None:
    """Add one owner's `movement_columns` values (cents) to `acc`."""
    for name, v in zip(_SUMMED, values, strict=False):
        acc[name] = acc.get(name, 0) + _int(v)
    if values[len(_SUMMED)]:
        acc.setdefault("texts", []).append(values[len(_SUMMED)])


def _group(acc: dict, start: date, end: date) -> dict:
    """The movement sums of one owner's cohort as money (retention_from's input)."""
    g = {k: acc.get(k, 0) for k in COUNTS}
    for name in SUMS:
        g[name] = ZERO + from_cents(acc.get(name, 0))
    g["split"] = []
    for text in acc.get("texts", ()):
        for one in text.split(";"):
            s, e, inc, cross = (from_cents(x) for x in one.split(":"))
            mv = mx.movement_from(start, end, s, e, inc, cross)
            g["split"].append((mv.upsell, mv.cross_sell))
    return g


def retention_of_pass(session: Session, source: str, start: date, end: date, owner, segment,
                      phase, key, passed: dict) -> dict[str, dict]:
    """{key(owner): the sums of the cohort's movements}, from the team pass's retention
    columns `passed` ({raw owner: values}; see `period_pass`), or, for ``timeline``, from
    one grouped pass over the scope's timeline."""
    totals: dict[str, dict] = {}
    if source == "timeline":
        c = _timeline(start, end, owner, segment, phase).c
        stmt = select(c.owner, *movement_columns(c.s, c.e, c.inc, c.cross)).group_by(c.owner)
        passed = {o: values for o, *values in session.execute(stmt)}
    for o, values in passed.items():
        _add(totals.setdefault(key(o), {}), values)
    return {k: _group(acc, start, end) for k, acc in totals.items() if acc.get("cohort_size")}


def retention_by_owner(session: Session, start: date, end: date, owner, segment, phase,
                       key, source: str | None = None) -> dict[str, dict]:
    """{key(owner): the sums of the cohort's movements} for the period; see `retention_from`.
    `source`: where S, E and the increases come from (server.rows.periods; by default the
    cheapest one that answers the period)."""
    if source is None:
        source = periods.source(session, start, end)
    passed = {}
    if source != "timeline":
        frm, cols = period_pass(source, start, end, owner, segment, phase)
        stmt = scoped(select(am.owner, *cols).select_from(frm), owner, segment, phase)
        passed = {o: values for o, *values in session.execute(stmt.group_by(am.owner))}
    return retention_of_pass(session, source, start, end, owner, segment, phase, key, passed)


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


def _empty() -> dict:
    return {**{k: 0 for k in COUNTS}, **{k: ZERO for k in SUMS}, "split": []}


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
            .where(ch.date >= start, ch.date <= end, INCREASE)
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
