"""Validation of import-format records (shared by the JSONL import and every connector)."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import date, datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

from connectors.common import normalise_domain

DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

#: Dates and times outside these bounds are rejected: date arithmetic on them overflows.
MIN_DAY, MAX_DAY = date(1900, 1, 1), date(2999, 12, 31)
#: Numeric(18, 2) money and 32-bit integer columns.
MAX_MONEY = Decimal("9999999999999999.99")
MAX_INT = 2**31 - 1
#: Extra fields are kept as JSON attributes up to this nesting depth.
MAX_DEPTH = 32

ENUMS = {
    "deal.kind": ("new", "expansion", "renewal", "contraction", "churn"),
    "deal.status": ("open", "won", "lost"),
    "deal.expansion_type": ("upsell", "cross_sell"),
    "ticket.status": ("open", "pending", "solved", "closed"),
    "ticket.priority": ("low", "normal", "high", "urgent"),
    "ticket.satisfaction": ("good", "bad"),
    "task.status": ("open", "done"),
    "touchpoint.kind": ("email", "call", "meeting", "qbr", "note"),
    "survey.kind": ("ces", "onboarding"),
    "advocacy.kind": ("referral", "review", "case_study", "reference"),
    "crm.system": ("hubspot", "salesforce"),
    "message.channel": ("email", "ticket", "chat", "call", "meeting", "note"),
    "message.direction": ("in", "out"),
    "contact.role": ("champion", "decision_maker", "executive_sponsor", "economic_buyer",
                     "influencer", "admin", "user", "other"),
}


class RecordError(ValueError):
    """A record that cannot be loaded; `reason` says why in plain words."""

    def __init__(self, reason: str, field: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.field = field


class UnknownAccount(RecordError):
    """The record names an account the store does not have (yet): `account_id`."""

    def __init__(self, account_id: str) -> None:
        super().__init__(f"unknown account '{account_id}' (load the account first)",
                         "account_id")
        self.account_id = account_id


def _req(rec: dict, field: str) -> Any:
    value = rec.get(field)
    if value is None or value == "":
        raise RecordError(f"missing required field '{field}'", field)
    return value


def text(rec: dict, field: str, required: bool = False, max_len: int = 10_000) -> str | None:
    """A string field (numbers are accepted and turned into strings for ids)."""
    value = _req(rec, field) if required else rec.get(field)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise RecordError(f"'{field}' must be a string", field)
    value = str(value)
    if len(value) > max_len:
        raise RecordError(f"'{field}' is longer than {max_len} characters", field)
    if "\x00" in value:
        raise RecordError(f"'{field}' contains a NUL character", field)
    return value


def enum(rec: dict, rtype: str, field: str, required: bool = True) -> str | None:
    """A field restricted to the values the import format lists."""
    value = text(rec, field, required=required)
    if value is None:
        return None
    allowed = ENUMS[f"{rtype}.{field}"]
    if value not in allowed:
        raise RecordError(f"'{field}' must be one of {', '.join(allowed)}; got {value!r}", field)
    return value


def day(rec: dict, field: str, required: bool = False) -> date | None:
    """A YYYY-MM-DD date."""
    value = _req(rec, field) if required else rec.get(field)
    if value is None:
        return None
    if not isinstance(value, str) or not DATE_RE.match(value):
        raise RecordError(f"'{field}' must be a date YYYY-MM-DD; got {value!r}", field)
    try:
        parsed = date.fromisoformat(value)
    except ValueError as exc:
        raise RecordError(f"'{field}' is not a valid date: {value!r}", field) from exc
    if not MIN_DAY <= parsed <= MAX_DAY:
        raise RecordError(f"'{field}' must be between {MIN_DAY} and {MAX_DAY}; got {value!r}",
                          field)
    return parsed


def instant(rec: dict, field: str, required: bool = False) -> datetime | None:
    """An ISO 8601 time with a zone, returned in UTC."""
    value = _req(rec, field) if required else rec.get(field)
    if value is None:
        return None
    return parse_instant(value, field)


def parse_instant(value: Any, field: str = "time") -> datetime:
    """Parse an ISO 8601 time that carries a zone (Z or offset) into an aware UTC datetime."""
    if not isinstance(value, str) or len(value) < 16 or value[4:5] != "-":
        raise RecordError(f"'{field}' must be an ISO 8601 time with a zone; got {value!r}", field)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise RecordError(f"'{field}' is not a valid ISO 8601 time: {value!r}", field) from exc
    if parsed.tzinfo is None:
        raise RecordError(f"'{field}' has no time zone (add Z or an offset): {value!r}", field)
    try:
        parsed = parsed.astimezone(timezone.utc)
    except OverflowError:
        parsed = None
    if parsed is None or not MIN_DAY <= parsed.date() <= MAX_DAY:
        raise RecordError(f"'{field}' must be between {MIN_DAY} and {MAX_DAY} (UTC); "
                          f"got {value!r}", field)
    return parsed


def money(rec: dict, field: str) -> Decimal:
    """A non-negative amount given as a number or a decimal string."""
    value = _req(rec, field)
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise RecordError(f"'{field}' must be a number or a decimal string", field)
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise RecordError(f"'{field}' is not a number: {value!r}", field) from exc
    if not amount.is_finite() or amount < 0 or amount > MAX_MONEY:
        raise RecordError(f"'{field}' must be an amount between 0 and {MAX_MONEY}; "
                          f"got {value!r}", field)
    return amount.quantize(Decimal("0.01"))


def number(rec: dict, field: str, required: bool = False, lo: float | None = None,
           hi: float | None = None, integer: bool = False) -> Decimal | int | None:
    """A numeric field within optional bounds."""
    value = _req(rec, field) if required else rec.get(field)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise RecordError(f"'{field}' must be a number", field)
    try:
        num = Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise RecordError(f"'{field}' is not a number: {value!r}", field) from exc
    if not num.is_finite():
        raise RecordError(f"'{field}' must be finite", field)
    if integer and num != num.to_integral_value():
        raise RecordError(f"'{field}' must be a whole number; got {value!r}", field)
    if hi is None:
        hi = MAX_INT
    if (lo is not None and num < lo) or num > hi:
        raise RecordError(f"'{field}' must be between {lo} and {hi}; got {value!r}", field)
    return int(num) if integer else num


def boolean(rec: dict, field: str, default: bool) -> bool:
    value = rec.get(field)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise RecordError(f"'{field}' must be true or false", field)
    return value


def email(rec: dict, field: str, required: bool = False) -> str | None:
    value = text(rec, field, required=required, max_len=320)
    if value is None:
        return None
    value = value.strip().lower()
    if value.count("@") != 1 or not value.split("@")[1] or not value.split("@")[0]:
        raise RecordError(f"'{field}' is not an email address: {value!r}", field)
    return value


def domain_list(rec: dict, field: str = "domains") -> list[str]:
    value = rec.get(field)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(d, str) for d in value):
        raise RecordError(f"'{field}' must be a list of strings", field)
    out: list[str] = []
    for raw in value:
        dom = normalise_domain(raw)
        if not dom or "." not in dom or " " in dom:
            raise RecordError(f"'{field}' holds an invalid domain: {raw!r}", field)
        if dom not in out:
            out.append(dom)
    return out


def extras(rec: dict, known: set[str]) -> dict:
    """Unknown extra fields, kept as attributes (nested at most MAX_DEPTH levels)."""
    out = {k: v for k, v in rec.items() if k not in known}
    todo = [(v, 1) for v in out.values() if isinstance(v, (dict, list))]
    while todo:
        value, depth = todo.pop()
        if depth > MAX_DEPTH:
            raise RecordError(f"extra fields are nested deeper than {MAX_DEPTH} levels")
        items = value.values() if isinstance(value, dict) else value
        todo.extend((v, depth + 1) for v in items if isinstance(v, (dict, list)))
    return out


def content_id(rtype: str, rec: dict, fields: tuple[str, ...]) -> str:
    """A stable id for records whose id is optional, from their identifying fields."""
    basis = json.dumps([rtype] + [rec.get(f) for f in fields], sort_keys=True, default=str)
    return "h:" + hashlib.sha1(basis.encode()).hexdigest()[:24]


def string_list(rec: dict, field: str, max_len: int = 200, max_items: int = 500) -> list | None:
    """A list of non-empty strings (tags), duplicates dropped, order kept."""
    value = rec.get(field)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise RecordError(f"'{field}' must be a list of non-empty strings", field)
    if len(value) > max_items:
        raise RecordError(f"'{field}' holds more than {max_items} items", field)
    for v in value:
        if len(v) > max_len:
            raise RecordError(f"'{field}' holds an item longer than {max_len} characters",
                              field)
    return list(dict.fromkeys(value))


def _present(out: dict) -> dict:
    return {k: v for k, v in out.items() if v is not None}


def ticket_fields(rec: dict) -> dict:
    """The optional helpdesk fields of a ticket, validated (kept with its attributes)."""
    first = instant(rec, "first_resolution_at")
    return _present({
        "satisfaction_comment": text(rec, "satisfaction_comment"),
        **{f: text(rec, f, max_len=200) for f in ("ticket_type", "channel", "assignee",
                                                  "group")},
        "tags": string_list(rec, "tags"),
        "first_resolution_at": None if first is None else
        first.isoformat().replace("+00:00", "Z")})


def account_fields(rec: dict) -> dict:
    """The optional CRM fields of an account, validated (kept with its attributes)."""
    revenue = None if rec.get("total_revenue") is None else money(rec, "total_revenue")
    created = day(rec, "created_date")
    return _present({
        "created_date": None if created is None else created.isoformat(),
        "lifecycle_stage": text(rec, "lifecycle_stage", max_len=100),
        "total_revenue": None if revenue is None else str(revenue),
        "employees": number(rec, "employees", lo=0, integer=True)})
