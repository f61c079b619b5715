"""The figures of one account or many as of a day: the metrics engine over the stored facts.

Used by the 360 (server.services.account360) and by the account-metrics rows
(server.rows), which import it from here so the two import one way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Date, bindparam, select
from sqlalchemy.orm import Session

from server import metrics as mx
from server import models as m
from server.db_batch import Batch
from server.rows.models import AccountDay, AccountMetrics, MetricsDirty
from server.services.facts import load_facts

HISTORY_DAYS = 400


@dataclass(frozen=True)
class Evaluation:
    """Every computed figure of one account as of a day."""

    revenue: Any
    usage: Any
    support: Any
    relationship: Any
    health: Any
    health_30d_ago: float | None
    signals: list
    phase: str
    north_star: Any = None


def evaluate(facts, as_of: date, cfg, health_30d_ago: float | None) -> Evaluation:
    """Compute the 360 figures of one account."""
    fig = mx.account_metrics(facts, cfg, as_of, health_30d_ago)
    return Evaluation(fig.revenue, fig.usage, fig.support, fig.relationship, fig.health,
                      health_30d_ago, list(fig.signals), fig.phase, fig.north_star)


def scores_30d_ago(session: Session, ids: list[str], all_accounts: bool, as_of: date,
                   cfg, known: dict[str, float | None] | None = None) -> dict[str, float | None]:
    """Health 30 days before as_of: the daily snapshot of that day, else recomputed as of then.

    `known`: the snapshot scores of that day already read by the caller."""
    day = as_of - timedelta(days=30)
    if known is None:
        hs = AccountDay
        q = select(hs.account_id, hs.score).where(hs.day == day)
        if not all_accounts:
            q = q.where(hs.account_id.in_(ids))
        known = dict(session.execute(q).all())
    scores = dict(known)
    missing = [i for i in ids if i not in scores]
    if missing:
        scope = None if all_accounts and len(missing) == len(ids) else missing
        # only the score is kept: messages count in it only through the optional
        # sentiment and relationship components
        said = cfg.health.weight("sentiment") > 0 or cfg.health.weight("relationship") > 0
        _, old = load_facts(session, scope, day, cfg.first_value_event, cfg.north_star,
                            activity=False, messages=said, recent=True)
        for i, f in old.items():
            scores.setdefault(i, mx.account_metrics(f, cfg, day).health.score)
    return scores


def known_score_30d_ago(session: Session, account_id: str, as_of: date,
                        version: str) -> dict[str, float | None] | None:
    """One account's health 30 days before as_of without recomputing it, in one statement:
    the daily snapshot of that day, else the score its current account-metrics row holds
    when that row is of as_of and these settings and the account is not marked dirty.

    The row's score is the one `scores_30d_ago` recomputed from the same records (a write
    to the account refreshes its row or marks it dirty in the same transaction) with no
    snapshot of that day, and history rows are never deleted, so it equals a recomputation.
    None: neither is there (the caller recomputes)."""
    batch = Batch(session)
    known = known_score_read(batch, account_id, as_of, version)
    batch.run()
    return known()


def _known_statement():
    ad, am = AccountDay, AccountMetrics
    one, day = bindparam("id"), bindparam("day", type_=Date)
    snap = (ad.account_id == one) & (ad.day == day)
    row = ((am.account_id == one) & (am.as_of == bindparam("as_of", type_=Date))
           & (am.settings_version == bindparam("version")))
    return select(
        select(ad.account_id).where(snap).exists(),
        select(ad.score).where(snap).scalar_subquery(),
        select(am.account_id).where(row).exists(),
        select(am.health_30d_ago).where(row).scalar_subquery(),
        select(MetricsDirty.account_id).where(MetricsDirty.account_id == one).exists())


def known_score_read(batch: Batch, account_id: str, as_of: date, version: str
                     ) -> Callable[[], dict[str, float | None] | None]:
    """`known_score_30d_ago` as a statement of `batch`; answers the function that, once
    the batch has run, gives its answer."""
    handle = batch.add(_STATEMENTS["known"], {"id": account_id, "as_of": as_of,
                                             "day": as_of - timedelta(days=30),
                                             "version": version})

    def known() -> dict[str, float | None] | None:
        has_snap, snap_score, has_row, row_score, dirty = handle.rows[0]
        if has_snap:
            return {account_id: snap_score}
        if has_row and not dirty:
            return {account_id: row_score}
        return None
    return known


def evaluate_many(session: Session, ids: list[str] | None, as_of: date, settings,
                  activity: bool = True, known: dict[str, float | None] | None = None
                  ) -> tuple[dict[str, m.Account], dict[str, Evaluation]]:
    """Evaluate many accounts with bulk queries (None = every account); without `activity`
    the stakeholders carry no product activity (server.services.facts.load_facts).
    `known`: health scores 30 days back already known (scores_30d_ago)."""
    cfg = settings.metrics
    accounts, facts = load_facts(session, ids, as_of, cfg.first_value_event, cfg.north_star,
                                 activity=activity)
    before = scores_30d_ago(session, list(accounts), ids is None, as_of, cfg, known)
    return accounts, {i: evaluate(f, as_of, cfg, before.get(i)) for i, f in facts.items()}


def since_from_history(session: Session, account_id: str, as_of: date) -> dict[str, date]:
    """For each signal code, the first day of its unbroken run of daily rows before as_of."""
    return since_of_rows(session.execute(_STATEMENTS["since"],
                                         _since_params(account_id, as_of)).all(), as_of)


def since_read(batch: Batch, account_id: str, as_of: date) -> Callable[[], dict[str, date]]:
    """`since_from_history` as a statement of `batch`; answers the function that, once the
    batch has run, gives its answer."""
    handle = batch.add(_STATEMENTS["since"], _since_params(account_id, as_of))
    return lambda: since_of_rows(handle.rows, as_of)


def _since_params(account_id: str, as_of: date) -> dict:
    return {"id": account_id, "as_of": as_of, "lo": as_of - timedelta(days=HISTORY_DAYS)}


def since_of_rows(rows, as_of: date) -> dict[str, date]:
    """The runs of `since_from_history` from the account's (day, signals) rows, newest first."""
    since: dict[str, date] = {}
    open_codes: set[str] | None = None
    expected = as_of - timedelta(days=1)
    for day, codes in rows:
        if day != expected:
            break
        codes = set(codes or ())
        open_codes = codes if open_codes is None else open_codes & codes
        if not open_codes:
            break
        for code in open_codes:
            since[code] = day
        expected = day - timedelta(days=1)
    return since


#: statements built once (every value a bound parameter): a batch keeps each one's text
_STATEMENTS = {
    "known": _known_statement(),
    "since": select(AccountDay.day, AccountDay.signals)
    .where(AccountDay.account_id == bindparam("id"),
           AccountDay.day < bindparam("as_of", type_=Date),
           AccountDay.day >= bindparam("lo", type_=Date))
    .order_by(AccountDay.day.desc()),
}
