"""Team and per-CSM totals from the account-metrics rows with grouped, indexed SQL.

Sums, counts and pooled means are SQL aggregates grouped by owner; ticket medians are read
at their offset on the (kind, owner, hours) index (SQLite) or in one grouped statement
(PostgreSQL, server.rows.medians); retention and quarterly expansion over any
period are grouped sums over the stored ARR timeline (server.rows.retention).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from server import metrics as mx
from server.rows.medians import KINDS, grouped_medians, offset_medians
from server.rows.models import AccountMetrics, AccountSignal, TicketHours, scoped
from server.rows.periods import source as period_source
from server.rows.retention import (
    add_quarters,
    cents,
    expansion_by_owner,
    from_cents,
    period_pass,
    retention_from,
    retention_of_pass,
)

am, th, sig = AccountMetrics, TicketHours, AccountSignal
UNASSIGNED = "(unassigned)"


def _scope(stmt, owner, segment, phase, account_col):
    if not (owner or segment or phase):
        return stmt
    stmt = stmt.join(am, am.account_id == account_col) if account_col is not am.account_id \
        else stmt
    return scoped(stmt, owner, segment, phase)


def _ids(owner, segment, phase):
    """The ids of the accounts in scope, as a subquery."""
    return scoped(select(am.account_id), owner, segment, phase)


def scope_ids(session: Session, owner, segment, phase) -> list[str] | None:
    """The ids of the accounts in scope (None: every account)."""
    if not (owner or segment or phase):
        return None
    return list(session.scalars(_ids(owner, segment, phase)))


def _key(owner: str | None) -> str:
    return owner or UNASSIGNED


def _pooled(session: Session, owner, segment, phase) -> dict:
    """A scope's medians on SQLite: its hours of every kind read once (by account key),
    pooled in memory."""
    q = select(th.kind, th.owner, th.hours).where(
        th.kind.in_(KINDS), th.account_id.in_(_ids(owner, segment, phase)))
    per: dict[str, dict[str, list]] = {k: defaultdict(list) for k in KINDS}
    for kind, o, h in session.execute(q):
        per[kind][_key(o)].append(h)
    out = {}
    for kind, per_owner in per.items():
        every = [h for v in per_owner.values() for h in v]
        out[kind] = (mx.median(every), len(every)), {
            o: (mx.median(v), len(v)) for o, v in per_owner.items()}
    return out


def _scope_medians(session: Session, hours: dict, owner, segment, phase,
                   owners: list) -> dict:
    """{kind: ((team median, n), {key(owner): (median, n)})} of the scope: every account
    and one CSM (its spellings `owners`, the team pass's groups) read their middle values at
    their offsets (server.rows.medians); a segment or phase scope in one grouped statement on
    PostgreSQL, pooled on SQLite."""
    if not (owner or segment or phase):
        return offset_medians(session, _key, hours)
    if not (segment or phase):
        return offset_medians(session, _key, hours, team=th.owner.in_(owners))
    if session.get_bind().dialect.name == "postgresql":
        return grouped_medians(session, owner, segment, phase, None, _key)
    return _pooled(session, owner, segment, phase)


def team_totals(session: Session, start: date, end: date, owner: str | None,
                segment: str | None, phase: str | None):
    """(team Totals, {owner: Totals}) of the accounts in scope for the period [start, end]."""
    from server.services.totals import Totals

    reached = and_(am.onboarding_start.isnot(None), am.time_to_first_value_days.isnot(None))
    waiting = and_(am.onboarding_start.isnot(None), am.time_to_first_value_days.is_(None))
    has_onb, has_ces = am.onboarding_mean.isnot(None), am.ces_mean.isnot(None)
    band_names = list(mx.band_counts(()))
    source = period_source(session, start, end)
    base = [  # the team sums; then the retention's columns of the period's source
        am.owner, func.count(), func.sum(cents(am.arr)), func.sum(am.touchpoints_90d),
        func.sum(am.advocacy_365d), func.sum(am.nps_promoters), func.sum(am.nps_passives),
        func.sum(am.nps_detractors),
        func.sum(case((has_onb, am.onboarding_mean * am.onboarding_responses))),
        func.sum(case((has_onb, am.onboarding_responses), else_=0)),
        func.sum(case((has_ces, am.ces_mean * am.ces_responses))),
        func.sum(case((has_ces, am.ces_responses), else_=0)),
        func.sum(case((reached, am.time_to_first_value_days))),
        func.count(case((reached, 1))), func.count(case((waiting, 1))),
        *(func.count(case((am.band == b, 1))) for b in band_names),
        func.sum(am.response_count), func.sum(am.resolution_count), func.sum(am.reply_count)]
    frm, ret = period_pass(source, start, end, owner, segment, phase)
    width, nb = len(base), len(band_names)
    agg = session.execute(_scope(select(*base, *ret).select_from(frm), owner,
                                 segment, phase, am.account_id).group_by(am.owner)).all()
    groups = {_key(r[0]): list(r[1:15]) for r in agg}
    bands = {_key(r[0]): dict(zip(band_names, r[15:15 + nb], strict=True)) for r in agg}
    hours = {(kind, r[0]): r[15 + nb + i] or 0 for r in agg for i, kind in enumerate(KINDS)}
    moves = retention_of_pass(session, source, start, end, owner, segment, phase, _key,
                              {r[0]: list(r[width:]) for r in agg})
    exp = expansion_by_owner(session, start, end, owner, segment, phase, _key)
    warn: dict[str, dict] = defaultdict(lambda: defaultdict(int))
    sev: dict[str, dict] = defaultdict(lambda: defaultdict(int))
    signals = select(sig.owner, sig.code, sig.severity, func.count()) \
        .group_by(sig.owner, sig.code, sig.severity)
    if owner or segment or phase:   # the scope's ids, then their signals by key
        signals = signals.where(sig.account_id.in_(_ids(owner, segment, phase)))
    for o, code, severity, n in session.execute(signals):
        warn[_key(o)][code] += n
        sev[_key(o)][severity] += n
    med = _scope_medians(session, hours, owner, segment, phase, [r[0] for r in agg])
    (resp_team, resp), (res_team, res), (rep_team, rep) = (med[k] for k in KINDS)

    def make(o: str | None, v: list, band: dict, w: dict, sv: dict, mv: list, ex: dict,
             rp: tuple, rs: tuple, ry: tuple) -> Totals:
        n, arr, tps, adv, p, pa, d, onb_s, onb_n, ces_s, ces_n, ttfv_s, ttfv_n, ttfv_w = v
        return Totals(
            accounts=n, loaded_arr=from_cents(arr), retention=retention_from(mv),
            expansion_by_quarter=mx.quarter_rows(start, end, ex),
            ttfv={"mean_days": ttfv_s / ttfv_n if ttfv_n else None, "reached": ttfv_n,
                  "not_reached": ttfv_w},
            onboarding={"mean": onb_s / onb_n if onb_n else None, "responses": onb_n},
            ces={"mean": ces_s / ces_n if ces_n else None, "responses": ces_n},
            touchpoints_90d=tps or 0, advocacy_365d=adv or 0,
            nps=mx.team_nps([mx.Nps(score=None, promoters=p or 0, passives=pa or 0,
                                    detractors=d or 0, responses=0)]),
            response=rp, resolution=rs, bands=dict(band), warnings=dict(w),
            by_severity=dict(sv), reply=ry)

    per = {o: make(o, v, bands[o], warn[o], sev[o], [moves[o]] if o in moves else [],
                   exp.get(o, {}), resp.get(o, (None, 0)), res.get(o, (None, 0)),
                   rep.get(o, (None, 0))) for o, v in groups.items()}
    total = [sum((v[i] or 0) for v in groups.values()) for i in range(14)]
    team_band = mx.band_counts(())
    for b in bands.values():
        for k, n in b.items():
            team_band[k] += n
    team_warn, team_sev = defaultdict(int), defaultdict(int)
    for o in warn:
        for k, n in warn[o].items():
            team_warn[k] += n
        for k, n in sev[o].items():
            team_sev[k] += n
    team = make(None, total, team_band, team_warn, team_sev,
                list(moves.values()), add_quarters(exp.values()),
                resp_team, res_team, rep_team)
    return team, per
