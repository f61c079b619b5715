"""HubSpot objects -> import-format records (docs: shared/docs/import-format.md).

Every function takes the raw object (`id`, `properties` of strings or null, `updatedAt`...)
and returns one record dict, or raises Skip (a malformed object, reported with its id) or
Unmapped (no company to attribute it to).
"""

from __future__ import annotations

import re
import typing as t
from decimal import Decimal

from connectors.common import (
    Skip,
    Unmapped,
    crm_account,
    day,
    iso,
    normalise_domain,
    number,
    strip_html,
    when,
)

__all__ = ["Skip", "Unmapped", "number", "strip_html"]

SYSTEM = "hubspot"
TICKET_PRIORITY = {"low": "low", "medium": "normal", "normal": "normal", "high": "high",
                   "urgent": "urgent", "critical": "urgent"}
PENDING_WORDS = ("waiting on contact", "waiting on customer", "pending", "on hold")


def flag(value: t.Any) -> bool | None:
    """A HubSpot boolean property ("true"/"false" strings, or JSON booleans); None if unset."""
    if isinstance(value, bool):
        return value
    text = str(value or "").strip().lower()
    return True if text == "true" else False if text == "false" else None


def flag_status(p: t.Mapping) -> str | None:
    """open/won/lost from a deal's `hs_is_closed_won` / `hs_is_closed` / `hs_is_closed_lost`
    flags; None when the deal carries none of them (the stage mapping decides)."""
    won, closed, lost = (flag(p.get(k)) for k in ("hs_is_closed_won", "hs_is_closed",
                                                  "hs_is_closed_lost"))
    if won:
        return "won"
    if lost or closed:
        return "lost"
    if won is False and closed is None and lost is None:
        return None  # "not won" alone does not say open or lost
    if closed is False or lost is False:
        return "open"
    return None


def ms(value: t.Any) -> int | None:
    """Epoch milliseconds of a HubSpot datetime (ISO string or ms string); None if unparseable."""
    dt = when(value)
    return None if dt is None else int(dt.timestamp() * 1000)


def local_id(vendor_id: str, kind: str | None = None) -> str:
    """The store id of a HubSpot object (`hubspot-123`, touchpoints `hubspot-call-123`)."""
    return f"{SYSTEM}-{kind}-{vendor_id}" if kind else f"{SYSTEM}-{vendor_id}"


def props(obj: dict) -> dict:
    p = obj.get("properties")
    if not isinstance(p, dict):
        raise Skip("object has no properties")
    return p


def crm(obj: dict) -> dict:
    return {"system": SYSTEM, "id": str(obj["id"])}


def company(obj: dict, account_id: str, owner: str | None, cfg: t.Any) -> dict:
    """A company -> an account record."""
    p = props(obj)
    domains = []
    for raw in [p.get("domain"), *(str(p.get("hs_additional_domains") or "").split(";"))]:
        dom = normalise_domain(raw) if raw else ""
        if dom and "." in dom and " " not in dom and dom not in domains:
            domains.append(dom)
    name = (p.get("name") or "").strip() or (domains[0] if domains else "")
    if not name:
        raise Skip("company has neither a name nor a domain")
    rec = crm_account(account_id, name, domains, crm(obj), owner, p, {
        "seats": cfg.seats_property, "renewal_date": cfg.renewal_date_property,
        "onboarding_start": cfg.onboarding_start_property, "segment": cfg.segment_property,
        "arr": cfg.arr_property}, created=p.get("createdate") or obj.get("createdAt"))
    if p.get("lifecyclestage"):
        rec["lifecycle_stage"] = str(p["lifecyclestage"])[:100]
    revenue = number(p.get("total_revenue"))
    if revenue is not None and revenue >= 0:
        rec["total_revenue"] = str(revenue)
    employees = number(p.get("numberofemployees"))
    if employees is not None and employees >= 0 and employees == employees.to_integral_value():
        rec["employees"] = int(employees)
    return rec


def contact(obj: dict, account_id: str) -> dict:
    """A contact -> a contact record (email required)."""
    p = props(obj)
    email = (p.get("email") or "").strip().lower()
    if not email:
        raise Skip("contact has no email address")
    name = " ".join(x for x in ((p.get("firstname") or "").strip(),
                                (p.get("lastname") or "").strip()) if x)
    rec = {"type": "contact", "id": local_id(obj["id"]), "account_id": account_id,
           "email": email, "crm": crm(obj)}
    if name:
        rec["name"] = name
    if p.get("jobtitle"):
        rec["title"] = p["jobtitle"]
    return rec


def deal(obj: dict, account_id: str, kind: str, status: str, stage_label: str | None,
         pipeline_label: str | None) -> dict:
    """A deal -> a deal record; kind and status already resolved by the caller."""
    p = props(obj)
    amount = number(p.get("amount"))
    close = day(p.get("closedate"))
    extra: dict[str, t.Any] = {}
    if amount is None:
        if p.get("amount") not in (None, ""):
            raise Skip(f"deal amount is not a number: {p.get('amount')!r}")
        if status == "won":
            raise Skip("won deal has no amount")
        amount, extra["amount_missing"] = Decimal(0), True
    if close is None:
        if p.get("closedate") not in (None, ""):
            raise Skip(f"deal close date is not a date: {p.get('closedate')!r}")
        if status != "open":
            raise Skip(f"{status} deal has no close date")
        close = day(p.get("createdate") or obj.get("createdAt"))
        extra["close_date_estimated"] = True
        if close is None:
            raise Skip("open deal has neither a close date nor a create date")
    rec = {"type": "deal", "id": local_id(obj["id"]), "account_id": account_id, "kind": kind,
           "status": status, "amount": str(amount), "close_date": close, "crm": crm(obj),
           **extra}
    if p.get("dealname"):
        rec["name"] = p["dealname"][:500]
    if stage_label or p.get("dealstage"):
        rec["stage"] = (stage_label or p.get("dealstage"))[:200]
    dealtype = (p.get("dealtype") or "").lower().replace("-", "_").replace(" ", "_")
    if kind == "expansion":
        rec["expansion_type"] = "cross_sell" if "cross" in dealtype else "upsell"
    if pipeline_label:
        rec["pipeline"] = pipeline_label
    if p.get("dealtype"):
        rec["crm_type"] = p["dealtype"]
    return rec


def ticket(obj: dict, account_id: str, state: str | None, stage_label: str | None) -> dict:
    """A ticket -> a ticket record; `state` is the stage's OPEN/CLOSED ticket state."""
    p = props(obj)
    created = when(p.get("createdate") or obj.get("createdAt"))
    if created is None:
        raise Skip("ticket has no creation time")
    label = (stage_label or "").lower()
    closed = (state or "").upper() == "CLOSED" or (state is None and label in ("closed",))
    if closed:
        status = "closed"
    elif any(w in label for w in PENDING_WORDS):
        status = "pending"
    else:
        status = "open"
    priority = TICKET_PRIORITY.get((p.get("hs_ticket_priority") or "").strip().lower(), "normal")
    rec = {"type": "ticket", "id": local_id(obj["id"]), "account_id": account_id,
           "status": status, "priority": priority, "created_at": iso(created), "crm": crm(obj)}
    if p.get("subject"):
        rec["subject"] = p["subject"]
    if stage_label:
        rec["stage"] = stage_label
    solved = when(p.get("closed_date"))
    if closed and solved is not None:
        rec["solved_at"] = iso(solved)
    first = when(p.get("first_agent_reply_date"))
    if first is not None:
        rec["first_response_at"] = iso(first)
    return rec


def task(obj: dict, account_id: str, record_id: str, owner: str | None) -> dict:
    """A task -> a task record (`crm` marks it as already in HubSpot)."""
    p = props(obj)
    subject = (p.get("hs_task_subject") or "").strip()
    if not subject:
        raise Skip("task has no subject")
    status = "done" if (p.get("hs_task_status") or "").upper() == "COMPLETED" else "open"
    rec = {"type": "task", "id": record_id, "account_id": account_id, "subject": subject[:500],
           "status": status, "crm": crm(obj)}
    due = day(p.get("hs_timestamp"))
    if due:
        rec["due_date"] = due
    if owner:
        rec["owner"] = owner
    body = strip_html(p.get("hs_task_body"))
    if body:
        rec["note"] = body
    created = when(p.get("hs_createdate") or obj.get("createdAt"))
    if created is not None:
        rec["created_at"] = iso(created)
    if p.get("hs_task_priority"):
        rec["priority"] = p["hs_task_priority"].lower()
    return rec


#: (A note has no title: its text is a message, kept only as the message policy says.)
TOUCHPOINT_TITLE = {"calls": "hs_call_title", "meetings": "hs_meeting_title",
                    "emails": "hs_email_subject"}
TOUCHPOINT_KIND = {"calls": "call", "meetings": "meeting", "emails": "email", "notes": "note"}


def touchpoint(obj: dict, object_type: str, account_id: str, owner: str | None,
               qbr: re.Pattern[str]) -> dict:
    """A call, meeting, email or note -> a touchpoint record (meetings titled like a QBR are
    qbr)."""
    p = props(obj)
    at = day(p.get("hs_timestamp") or p.get("hs_meeting_start_time") or obj.get("createdAt"))
    if at is None:
        raise Skip(f"{object_type[:-1]} has no date")
    title = p.get(TOUCHPOINT_TITLE[object_type]) if object_type in TOUCHPOINT_TITLE else None
    title = title or None
    kind = TOUCHPOINT_KIND[object_type]
    if kind == "meeting" and title and qbr.search(title):
        kind = "qbr"
    rec = {"type": "touchpoint", "id": local_id(obj["id"], TOUCHPOINT_KIND[object_type]),
           "account_id": account_id, "kind": kind, "date": at, "crm": crm(obj)}
    if owner:
        rec["owner"] = owner
    if title:
        rec["subject"] = title[:500]
    direction = p.get("hs_call_direction") or p.get("hs_email_direction")
    if direction:
        rec["direction"] = direction
    return rec
