"""Account search and list with headline figures, filters, sorting and cursor paging."""

from __future__ import annotations

import base64
import json
from datetime import date
from decimal import Decimal

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from server import models as m
from server.errors import ApiError
from server.rows.read import BAND_ORDER, PHASE_ORDER, SORT_KEYS, escape_like, list_rows, \
    rows_answer
from server.services.evaluate import evaluate_many

#: Sorts of the list (prefix - for descending): one per column of the accounts table.
SORTS = tuple(f"{d}{k}" for k in SORT_KEYS for d in ("", "-"))
BANDS = ("good", "watch", "at_risk", "unknown")
MAX_OFFSET = 10**9
PHASES = ("onboarding", "adoption", "value_realization", "renewal", "advocacy", "churned")
#: Range filters of the list: field of a summary -> (parameter prefix, kind).
RANGES = {"arr": ("arr", "number"), "health_score": ("health", "number"),
          "renewal_date": ("renewal", "date"), "days_to_renewal": ("days", "int"),
          "signals": ("signals", "int"), "relationship_score": ("relationship", "number"),
          "sentiment": ("sentiment", "number"),
          "sentiment_change_90d": ("sentiment_change", "number"),
          "email_reply_hours_median": ("reply_hours", "number"),
          "north_star": ("north_star", "int")}
LIMIT_NUMBER = 10**16


def _bound(name: str, kind: str, raw: str):
    value = None
    try:
        if kind == "date":
            return date.fromisoformat(raw)
        value = int(raw) if kind == "int" else Decimal(raw)
    except (ValueError, ArithmeticError):
        value = None
    if value is None or (isinstance(value, Decimal) and not value.is_finite()) \
            or abs(value) > LIMIT_NUMBER:
        want = {"date": "a date YYYY-MM-DD", "int": "a whole number"}.get(kind, "a number")
        raise ApiError(400, "invalid_parameter", f"'{name}' must be {want}", {name: raw})
    return value


def parse_ranges(args) -> dict[str, tuple]:
    """{field: (low or None, high or None)} from `<prefix>_min`/`_max` parameters (dates:
    `renewal_from`/`renewal_to`), both ends included; a 400 for a bad or reversed bound."""
    out = {}
    for field, (prefix, kind) in RANGES.items():
        lo_name, hi_name = (f"{prefix}_from", f"{prefix}_to") if kind == "date" else (
            f"{prefix}_min", f"{prefix}_max")
        raw = [(args.get(n) or "").strip() for n in (lo_name, hi_name)]
        lo, hi = (_bound(n, kind, r) if r else None for n, r in zip((lo_name, hi_name), raw,
                                                                      strict=True))
        if lo is not None and hi is not None and lo > hi:
            raise ApiError(400, "invalid_parameter", f"'{lo_name}' is after '{hi_name}'",
                           {lo_name: raw[0], hi_name: raw[1]})
        if lo is not None or hi is not None:
            out[field] = (lo, hi)
    return out


def in_ranges(item: dict, ranges: dict[str, tuple]) -> bool:
    """Does a summary fall inside every range (an empty value never does)?"""
    for field, (lo, hi) in ranges.items():
        value = item.get(field)
        if value is None or (lo is not None and value < lo) or (hi is not None and value > hi):
            return False
    return True


def _cursor_offset(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        offset = json.loads(base64.urlsafe_b64decode(cursor.encode()))["o"]
    except (ValueError, KeyError, TypeError, RecursionError):
        offset = None
    if type(offset) is not int or not 0 <= offset <= MAX_OFFSET:
        raise ApiError(400, "invalid_parameter", "'cursor' is not valid",
                       {"cursor": "use next_cursor from a previous page"})
    return offset


def _cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"o": offset}).encode()).decode()


def summary(acc: m.Account, ev) -> dict:
    rel = ev.relationship
    return {"id": acc.id, "name": acc.name, "owner": acc.owner, "domains": acc.domains or [],
            "segment": acc.segment, "arr": ev.revenue.arr, "health_score": ev.health.score,
            "band": ev.health.band, "phase": ev.phase,
            "renewal_date": ev.revenue.renewal.renewal_date,
            "days_to_renewal": ev.revenue.renewal.days_to_renewal,
            "signals": len(ev.signals), "relationship_score": rel.score,
            "sentiment": rel.sentiment.score, "sentiment_change_90d": rel.sentiment.change_90d,
            "email_reply_hours_median": rel.response_time.median_hours,
            "north_star": ev.north_star.value if ev.north_star is not None else None}


def _last(value) -> tuple:
    """An empty value after every other one (as the rows' ORDER BY puts it)."""
    return (value is None, value if value is not None else 0)


def _rank(order: tuple, value) -> int:
    return order.index(value) if value in order else len(order)


def sort_key(sort: str):
    """The ordering of `server.rows.read.SORT_KEYS` over summaries (the records' answer)."""
    field = sort.lstrip("-")
    name = lambda x: x["name"].lower()  # noqa: E731
    keys = {
        "name": lambda x: (name(x), x["id"]),
        "arr": lambda x: (x["arr"], x["id"]),
        "health": lambda x: (x["health_score"] if x["health_score"] is not None else -1,
                             x["id"]),
        "renewal": lambda x: (x["renewal_date"] or date.max, x["id"]),
        "owner": lambda x: (*_last((x["owner"] or "").lower() or None), name(x), x["id"]),
        "segment": lambda x: (*_last(x["segment"] and x["segment"].lower()), name(x), x["id"]),
        "band": lambda x: (_rank(BAND_ORDER, x["band"]), name(x), x["id"]),
        "phase": lambda x: (_rank(PHASE_ORDER, x["phase"]), name(x), x["id"]),
        "days": lambda x: (*_last(x["days_to_renewal"]), x["id"]),
        "signals": lambda x: (x["signals"], x["id"]),
        "relationship": lambda x: (*_last(x["relationship_score"]), x["id"]),
        "sentiment": lambda x: (*_last(x["sentiment"]), x["id"]),
        "sentiment_change": lambda x: (*_last(x["sentiment_change_90d"]), x["id"]),
        "reply_hours": lambda x: (*_last(x["email_reply_hours_median"]), x["id"]),
        "north_star": lambda x: (*_last(x["north_star"]), x["id"]),
    }
    return keys[field]


def list_accounts(st, session: Session, q: str | None, owner: str | None, band: str | None,
                  phase: str | None, sort: str, limit: int, cursor: str | None,
                  as_of: date, segment: str | None = None,
                  ranges: dict[str, tuple] | None = None) -> dict:
    """One page of accounts matching the filters (as of today: from the metrics rows)."""
    if sort not in SORTS:
        raise ApiError(400, "invalid_parameter", f"'sort' must be one of {', '.join(SORTS)}",
                       {"sort": sort})
    if band and band not in BANDS:
        raise ApiError(400, "invalid_parameter", f"'band' must be one of {', '.join(BANDS)}",
                       {"band": band})
    if phase and phase not in PHASES:
        raise ApiError(400, "invalid_parameter", f"'phase' must be one of {', '.join(PHASES)}",
                       {"phase": phase})
    offset = _cursor_offset(cursor)
    if rows_answer(st, as_of):
        items, more = list_rows(session, q, owner, band, phase, segment, sort, limit, offset,
                                ranges)
        return {"items": items, "next_cursor": _cursor(offset + limit) if more else None}
    stmt = select(m.Account.id)
    if q:
        like = f"%{escape_like(q.strip().lower())}%"
        stmt = stmt.where(or_(func.lower(m.Account.name).like(like, escape="\\"),
                              m.Account.id.in_(select(m.AccountDomain.account_id).where(
                                  m.AccountDomain.domain.like(like, escape="\\")))))
    if owner:
        stmt = stmt.where(func.lower(m.Account.owner) == owner.strip().lower())
    if segment:
        stmt = stmt.where(func.lower(m.Account.segment) == segment.strip().lower())
    needs_figures = band or phase or ranges or sort.lstrip("-") != "name"
    if not needs_figures:
        stmt = stmt.order_by(func.lower(m.Account.name).desc() if sort == "-name"
                             else func.lower(m.Account.name), m.Account.id)
        ids = list(session.scalars(stmt.offset(offset).limit(limit + 1)))
        more = len(ids) > limit
        ids = ids[:limit]
        accounts, evals = evaluate_many(session, ids, as_of, st.settings)
        items = [summary(accounts[i], evals[i]) for i in ids if i in accounts]
    else:
        ids = list(session.scalars(stmt))
        accounts, evals = evaluate_many(session, ids, as_of, st.settings)
        rows = [summary(accounts[i], evals[i]) for i in ids if i in accounts]
        rows = [r for r in rows if (not band or r["band"] == band)
                and (not phase or r["phase"] == phase) and in_ranges(r, ranges or {})]
        rows.sort(key=sort_key(sort), reverse=sort.startswith("-"))
        items = rows[offset:offset + limit]
        more = len(rows) > offset + limit
    return {"items": items, "next_cursor": _cursor(offset + limit) if more else None}
