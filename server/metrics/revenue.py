"""Revenue (section 1): the ARR timeline of an account, period movements and renewal."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from .common import ZERO, Output, add_years
from .types import AccountFacts, Deal

# Same-day order of ARR effects: the first contract, then a renewal resetting the contract
# value, then amendments on top of it, and terminations last (a churned day ends at 0).
_SAME_DAY_RANK = {"new": 0, "renewal": 1, "expansion": 2, "contraction": 3, "churn": 4}


def _effect(deal: Deal) -> str | None:
    """How a deal moves ARR: "add", "set", "sub", "zero", or None for pipeline."""
    kind, status = deal.kind.lower(), deal.status.lower()
    if status == "won":
        return {"new": "add", "expansion": "add", "renewal": "set",
                "contraction": "sub", "churn": "zero"}.get(kind)
    if status == "lost" and kind == "renewal":
        return "zero"
    return None


def _rank(deal: Deal) -> int:
    if deal.status.lower() == "lost":  # a lost renewal ends the contract like a churn
        return _SAME_DAY_RANK["churn"]
    return _SAME_DAY_RANK[deal.kind.lower()]


def expansion_kind(expansion_type: str | None) -> str:
    """Normalise an expansion type: "cross_sell", else "upsell" (untyped counts as upsell)."""
    norm = (expansion_type or "").strip().lower().replace("-", "_").replace(" ", "_")
    return "cross_sell" if norm in ("cross_sell", "crosssell") else "upsell"


@dataclass(frozen=True)
class ArrChange(Output):
    """One dated ARR change caused by a deal."""

    date: date
    kind: str
    deal_id: str
    before: Decimal
    after: Decimal
    expansion_type: str | None = None
    status: str = "won"

    @property
    def delta(self) -> Decimal:
        """after - before."""
        return self.after - self.before

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready change, with its delta."""
        return {**super().to_dict(), "delta": self.delta}


def arr_changes(deals: Iterable[Deal], as_of: date | None = None) -> list[ArrChange]:
    """The ARR timeline: won deals and lost renewals closed on/before as_of, applied in order."""
    effective = [
        (d, op) for d in deals
        if (op := _effect(d)) and (as_of is None or d.close_date <= as_of)
    ]
    effective.sort(key=lambda item: (item[0].close_date, _rank(item[0]), str(item[0].id)))
    arr, out = ZERO, []
    for deal, op in effective:
        before = arr
        if op == "add":
            arr = arr + deal.amount
        elif op == "set":
            arr = deal.amount
        elif op == "sub":
            arr = max(ZERO, arr - deal.amount)
        else:
            arr = ZERO
        kind = deal.kind.lower()
        out.append(ArrChange(
            date=deal.close_date, kind=kind, deal_id=deal.id, before=before, after=arr,
            expansion_type=expansion_kind(deal.expansion_type) if kind == "expansion" else None,
            status=deal.status.lower(),
        ))
    return out


def arr_at(deals: Iterable[Deal], day: date) -> Decimal:
    """ARR(a, d): the account's ARR after every effect dated on or before day."""
    changes = arr_changes(deals, as_of=day)
    return changes[-1].after if changes else ZERO


def had_arr(deals: Iterable[Deal], as_of: date) -> bool:
    """True when the account had ARR > 0 at some point on or before as_of."""
    return any(c.after > 0 for c in arr_changes(deals, as_of=as_of))


@dataclass(frozen=True)
class Movement(Output):
    """Period movement of one account over [start, end]; upsell + cross_sell = expansion."""

    start: date
    end: date
    start_arr: Decimal
    end_arr: Decimal
    expansion: Decimal
    contraction: Decimal
    churn: Decimal
    new: Decimal
    nrr_contribution: Decimal | None
    upsell: Decimal = ZERO
    cross_sell: Decimal = ZERO


def _split_expansion(expansion: Decimal, cross: Decimal, total: Decimal
                     ) -> tuple[Decimal, Decimal]:
    """Split net expansion into (upsell, cross_sell) in proportion to the period's ARR increases
    (total: all increases, cross: those of cross-sell expansions)."""
    if expansion <= 0:
        return ZERO, ZERO
    if cross <= 0 or total <= 0:
        return expansion, ZERO
    cross_part = expansion if cross == total else expansion * cross / total
    return expansion - cross_part, cross_part


def movements(deals: Iterable[Deal], t0: date, t1: date) -> Movement:
    """Movements of one account over [t0, t1]: S = ARR(t0 - 1 day), E = ARR(t1)."""
    return movement_of(arr_changes(deals, as_of=t1), t0, t1)


def movement_of(timeline: Iterable[ArrChange], t0: date, t1: date) -> Movement:
    """Movements over [t0, t1] from an account's ARR timeline (changes in order, any end)."""
    changes = [c for c in timeline if c.date <= t1]
    start_day = t0 - timedelta(days=1)
    s = next((c.after for c in reversed(changes) if c.date <= start_day), ZERO)
    e = changes[-1].after if changes else ZERO
    ups = [c for c in changes if c.date >= t0 and c.delta > 0]
    return movement_from(t0, t1, s, e, sum((c.delta for c in ups), ZERO),
                         sum((c.delta for c in ups if c.expansion_type == "cross_sell"), ZERO))


def movement_from(t0: date, t1: date, s: Decimal, e: Decimal, increases: Decimal = ZERO,
                  cross_increases: Decimal = ZERO) -> Movement:
    """Movements from S = ARR(t0 - 1 day), E = ARR(t1) and the sums of the ARR increases inside
    the period (all, and those of cross-sell expansions)."""
    expansion = max(ZERO, e - s) if s > 0 else ZERO
    upsell, cross_sell = _split_expansion(expansion, cross_increases, increases)
    return Movement(
        start=t0, end=t1, start_arr=s, end_arr=e,
        expansion=expansion,
        contraction=max(ZERO, s - e) if s > 0 and e > 0 else ZERO,
        churn=s if s > 0 and e == 0 else ZERO,
        new=e if s == 0 and e > 0 else ZERO,
        nrr_contribution=e - s if s > 0 else None,
        upsell=upsell, cross_sell=cross_sell,
    )


@dataclass(frozen=True)
class PipelineDeal(Output):
    """An open renewal or expansion deal."""

    id: str
    name: str | None
    kind: str
    stage: str | None
    amount: Decimal
    close_date: date


@dataclass(frozen=True)
class Renewal(Output):
    """Renewal date (from the CRM or derived), days to it, onboarding start and open pipeline."""

    renewal_date: date | None
    days_to_renewal: int | None
    onboarding_start: date | None
    pipeline: tuple[PipelineDeal, ...] = ()
    renewal_date_source: str | None = None  # "crm" | "derived" | None


def renewal(facts: AccountFacts, as_of: date, arr: Decimal | None = None) -> Renewal:
    """Renewal as of a day: CRM renewal date, else one year after the latest won new/renewal.

    The pipeline lists the open renewal and expansion deals, and the open `new` deals of an
    account that already has ARR on `as_of` (`arr`, computed when not given): a CRM's
    default "new business" type on a customer's deal is an expansion in effect (won, it adds
    to the ARR like one), so it is not left out of the customer's pipeline."""
    if arr is None:
        changes = arr_changes(facts.deals, as_of=as_of)
        arr = changes[-1].after if changes else ZERO
    pipeline_kinds = ("renewal", "expansion", "new") if arr > 0 else ("renewal", "expansion")
    won = [d for d in facts.deals if d.status.lower() == "won" and d.close_date <= as_of]
    source = None
    renewal_date = facts.renewal_date
    if renewal_date is not None:
        source = "crm"
    else:
        base = max((d.close_date for d in won if d.kind.lower() in ("new", "renewal")),
                   default=None)
        if base is not None:
            renewal_date, source = add_years(base, 1), "derived"
    onboarding_start = facts.onboarding_start or min(
        (d.close_date for d in won if d.kind.lower() == "new"), default=None)
    pipeline = tuple(
        PipelineDeal(id=d.id, name=d.name, kind=d.kind.lower(), stage=d.stage,
                     amount=d.amount, close_date=d.close_date)
        for d in sorted(facts.deals, key=lambda d: (d.close_date, str(d.id)))
        if d.status.lower() == "open" and d.kind.lower() in pipeline_kinds
    )
    return Renewal(
        renewal_date=renewal_date,
        days_to_renewal=(renewal_date - as_of).days if renewal_date else None,
        onboarding_start=onboarding_start,
        pipeline=pipeline,
        renewal_date_source=source,
    )


@dataclass(frozen=True)
class Revenue(Output):
    """Revenue block of an account: ARR, MRR, trailing-12-month movement, renewal and timeline."""

    as_of: date
    arr: Decimal
    mrr: Decimal
    had_arr_before: bool
    movements: Movement
    renewal: Renewal
    changes: tuple[ArrChange, ...] = ()


def trailing_year(as_of: date) -> tuple[date, date]:
    """The trailing-12-month period [as_of - 1 year + 1 day, as_of]."""
    return add_years(as_of, -1) + timedelta(days=1), as_of


def revenue(facts: AccountFacts, as_of: date) -> Revenue:
    """ARR, MRR (ARR / 12), trailing-12-month movements and renewal of one account as of a day."""
    changes = arr_changes(facts.deals, as_of=as_of)
    arr = changes[-1].after if changes else ZERO
    t0, t1 = trailing_year(as_of)
    return Revenue(
        as_of=as_of, arr=arr, mrr=arr / 12,
        had_arr_before=any(c.after > 0 for c in changes),
        movements=movement_of(changes, t0, t1),   # = movements(facts.deals, t0, t1)
        renewal=renewal(facts, as_of, arr),
        changes=tuple(changes),
    )
