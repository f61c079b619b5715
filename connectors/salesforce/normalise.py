"""Salesforce records -> import-format records.

Ids are normalised to their 18-character form. Each function raises Skip for a record
that cannot be loaded and Unmapped for one without an account (shared with HubSpot).
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

__all__ = ["Skip", "Unmapped", "to18", "when", "account", "contact", "opportunity", "case",
           "task", "touchpoint"]

SYSTEM = "salesforce"
_CHECKSUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
CASE_PRIORITY = {"low": "low", "medium": "normal", "normal": "normal", "high": "high",
                 "urgent": "urgent", "critical": "urgent"}
PENDING_WORDS = ("wait", "pending", "hold", "customer")


def to18(sfid: t.Any) -> str | None:
    """The 18-character form of a Salesforce id (15-character ids get their checksum)."""
    if not sfid:
        return None
    sfid = str(sfid)
    if len(sfid) != 15:
        return sfid
    suffix = ""
    for chunk in (sfid[0:5], sfid[5:10], sfid[10:15]):
        bits = sum(1 << i for i, ch in enumerate(chunk) if "A" <= ch <= "Z")
        suffix += _CHECKSUM[bits]
    return sfid + suffix


def local_id(sfid: str, kind: str | None = None) -> str:
    return f"{SYSTEM}-{kind}-{sfid}" if kind else f"{SYSTEM}-{sfid}"


def crm(rec: dict) -> dict:
    return {"system": SYSTEM, "id": to18(rec["Id"])}


def account(rec: dict, account_id: str, owner: str | None, cfg: t.Any) -> dict:
    """An Account -> an account record (domains from Website)."""
    website = normalise_domain(str(rec.get("Website") or ""))
    domains = [website] if website and "." in website and " " not in website else []
    name = (rec.get("Name") or "").strip() or (domains[0] if domains else "")
    if not name:
        raise Skip("account has no name")
    return crm_account(account_id, name, domains, crm(rec), owner, rec, {
        "seats": cfg.seats_field, "renewal_date": cfg.renewal_date_field,
        "onboarding_start": cfg.onboarding_start_field, "segment": cfg.segment_field,
        "arr": cfg.arr_field}, created=rec.get("CreatedDate"))


def contact(rec: dict, account_id: str) -> dict:
    email = (rec.get("Email") or "").strip().lower()
    if not email:
        raise Skip("contact has no email address")
    name = " ".join(x for x in ((rec.get("FirstName") or "").strip(),
                                (rec.get("LastName") or "").strip()) if x)
    out = {"type": "contact", "id": local_id(to18(rec["Id"])), "account_id": account_id,
           "email": email, "crm": crm(rec)}
    if name:
        out["name"] = name
    if rec.get("Title"):
        out["title"] = rec["Title"]
    return out


def sf_flag(value: t.Any) -> bool | None:
    """A Salesforce checkbox: JSON true/false (REST), "true"/"false" (Bulk CSV); None unset."""
    if isinstance(value, bool):
        return value
    text = str(value if value is not None else "").strip().lower()
    return True if text == "true" else False if text == "false" else None


def opportunity_status(rec: dict) -> str:
    """open/won/lost from IsWon/IsClosed; the stage name ("Closed Won", "Closed Lost") only
    when the record carries neither flag."""
    won, closed = sf_flag(rec.get("IsWon")), sf_flag(rec.get("IsClosed"))
    if won is None and closed is None:
        stage = str(rec.get("StageName") or "").strip().lower()
        return "won" if stage == "closed won" else "lost" if stage == "closed lost" else "open"
    return "won" if won else "lost" if closed else "open"


def opportunity(rec: dict, account_id: str, kind: str) -> dict:
    """An Opportunity -> a deal; status from IsClosed/IsWon over the stage name."""
    status = opportunity_status(rec)
    amount = number(rec.get("Amount"))
    extra: dict[str, t.Any] = {}
    if amount is None:
        if rec.get("Amount") not in (None, ""):
            raise Skip(f"opportunity amount is not a number: {rec.get('Amount')!r}")
        if status == "won":
            raise Skip("won opportunity has no amount")
        amount, extra["amount_missing"] = Decimal(0), True
    close = day(rec.get("CloseDate"))
    if close is None:
        raise Skip("opportunity has no close date")
    out = {"type": "deal", "id": local_id(to18(rec["Id"])), "account_id": account_id,
           "kind": kind, "status": status, "amount": str(amount), "close_date": close,
           "crm": crm(rec), **extra}
    if rec.get("Name"):
        out["name"] = rec["Name"][:500]
    if rec.get("StageName"):
        out["stage"] = rec["StageName"][:200]
    if kind == "expansion":
        out["expansion_type"] = "cross_sell" if "cross" in str(rec.get("Type") or "").lower() \
            else "upsell"
    if rec.get("Type"):
        out["crm_type"] = rec["Type"]
    return out


def case(rec: dict, account_id: str) -> dict:
    created = when(rec.get("CreatedDate"))
    if created is None:
        raise Skip("case has no CreatedDate")
    label = str(rec.get("Status") or "").lower()
    if sf_flag(rec.get("IsClosed")):
        status = "closed"
    elif any(w in label for w in PENDING_WORDS):
        status = "pending"
    else:
        status = "open"
    out = {"type": "ticket", "id": local_id(to18(rec["Id"])), "account_id": account_id,
           "status": status,
           "priority": CASE_PRIORITY.get(str(rec.get("Priority") or "").strip().lower(),
                                         "normal"),
           "created_at": iso(created), "crm": crm(rec)}
    if rec.get("Subject"):
        out["subject"] = rec["Subject"]
    if rec.get("CaseNumber"):
        out["case_number"] = rec["CaseNumber"]
    if rec.get("Status"):
        out["stage"] = rec["Status"]
    closed = when(rec.get("ClosedDate"))
    if sf_flag(rec.get("IsClosed")) and closed is not None:
        out["solved_at"] = iso(closed)
    return out


def task(rec: dict, account_id: str, record_id: str, owner: str | None) -> dict:
    subject = (rec.get("Subject") or "").strip()
    if not subject:
        raise Skip("task has no subject")
    done = bool(sf_flag(rec.get("IsClosed"))) or \
        str(rec.get("Status") or "").lower() == "completed"
    out = {"type": "task", "id": record_id, "account_id": account_id, "subject": subject[:500],
           "status": "done" if done else "open", "crm": crm(rec)}
    if day(rec.get("ActivityDate")):
        out["due_date"] = day(rec.get("ActivityDate"))
    if owner:
        out["owner"] = owner
    note = strip_html(rec.get("Description"))
    if note:
        out["note"] = note
    created = when(rec.get("CreatedDate"))
    if created is not None:
        out["created_at"] = iso(created)
    if rec.get("Priority"):
        out["priority"] = str(rec["Priority"]).lower()
    return out


def touchpoint(rec: dict, kind: str, account_id: str, owner: str | None) -> dict:
    """A call or email Task, or an Event (meeting, or qbr when titled so) -> a touchpoint."""
    at = day(rec.get("ActivityDate") or rec.get("StartDateTime") or rec.get("CreatedDate"))
    if at is None:
        raise Skip("activity has no date")
    prefix = "event" if rec.get("attributes", {}).get("type") == "Event" else "task"
    out = {"type": "touchpoint", "id": local_id(to18(rec["Id"]), prefix),
           "account_id": account_id, "kind": kind, "date": at, "crm": crm(rec)}
    if owner:
        out["owner"] = owner
    if rec.get("Subject"):
        out["subject"] = rec["Subject"][:500]
    return out


def _first_address(value: t.Any) -> str | None:
    for part in re.split(r"[;,\s]+", str(value or "")):
        if "@" in part:
            return part.strip("<>").lower()
    return None


def activity_message(rec: dict, kind: str, account_id: str, owner: str | None,
                     email: dict | None = None) -> dict | None:
    """An email or call Task as a message. Direction from the vendor's data: a call's
    `CallType` (Inbound = in; Outbound, Internal = out); an email's EmailMessage (`email`,
    the one whose ActivityId is the Task): `Incoming` = in from `FromAddress`, else out to
    the first `ToAddress`, its `TextBody`, `MessageDate` and `ThreadIdentifier` (the
    thread that pairs a reply with the customer's email). An email Task without one is
    an email logged by the team: out."""
    incoming = False
    contact = thread = None
    text = strip_html(rec.get("Description"))
    at = when(rec.get("CreatedDate")) or when(rec.get("ActivityDate"))
    if kind == "call":
        incoming = str(rec.get("CallType") or "").lower() == "inbound"
    elif email:
        incoming = bool(sf_flag(email.get("Incoming")))
        contact = _first_address(email.get("FromAddress" if incoming else "ToAddress"))
        text = (email.get("TextBody") or "").strip() or text
        at = when(email.get("MessageDate")) or at
        thread = email.get("ThreadIdentifier")
    if not text or at is None:
        return None
    out = {"type": "message", "id": local_id(to18(rec["Id"]), f"{kind}-message"),
           "account_id": account_id, "at": iso(at), "channel": kind,
           "direction": "in" if incoming else "out", "text": text[:10_000]}
    if contact:
        out["contact_email"] = contact
    if thread:
        out["thread_id"] = str(thread)[:200]
    if owner and not incoming:
        out["author"] = owner
    return out

