"""Email templates for Gmail's compose window: {{ variable }} placeholders filled with one
account's figures. An unknown variable is refused when the template is saved. Shared by the
API (the extension inserts a filled template) and the admin app (manage, preview)."""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from server import models as m
from server.errors import ApiError
from server.extension_models import EmailTemplate

#: Ids are 32-bit integers: a larger one in a URL is simply not found.
MAX_ID = 2**31 - 1
PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")

#: name -> what it is (shown in the admin app).
VARIABLES = {
    "account_name": "the account's name",
    "contact_first_name": "first name of the contact the email is for (else \"there\")",
    "renewal_date": "renewal date, e.g. Jan 23, 2027",
    "days_to_renewal": "days left to the renewal",
    "active_users": "active users over the last 30 days",
    "active_users_trend": "active users against the prior 30 days, e.g. +12.5%",
    "open_tickets": "open support tickets",
    "arr": "annual recurring revenue, e.g. $120,000",
    "health_score": "health score, e.g. 82",
    "csm_name": "first name of the account's CSM (owner)",
}


def check(text: str | None, field: str) -> str:
    """The text, or ValueError naming unknown variables and stray braces."""
    text = text or ""
    unknown = sorted({v for v in PLACEHOLDER.findall(text) if v not in VARIABLES})
    if unknown:
        raise ValueError("unknown variable" + ("s " if len(unknown) > 1 else " ")
                         + ", ".join("{{ %s }}" % v for v in unknown)
                         + "; known: " + ", ".join(VARIABLES))
    if "{{" in PLACEHOLDER.sub("", text) or "}}" in PLACEHOLDER.sub("", text):
        raise ValueError(f"the {field} has a '{{{{' or '}}}}' that is not a variable")
    return text


def _money(v, currency: str | None) -> str:
    if v is None:
        return "n/a"
    sign = "$" if (currency or "USD") == "USD" else (currency or "") + " "
    return f"{sign}{round(float(v)):,}"


def _first(name: str | None) -> str | None:
    part = (name or "").strip().split(" ")[0]
    return part or None


def _day(iso: str | None) -> str:
    if not iso:
        return "n/a"
    d = date.fromisoformat(iso[:10])
    return d.strftime("%b ") + str(d.day) + d.strftime(", %Y")


def values(d: dict, contact_name: str | None = None) -> dict[str, str]:
    """The variables of one account's 360 (the API's JSON) as text."""
    acc, rev, use = d.get("account") or {}, d.get("revenue") or {}, d.get("usage") or {}
    sup, health = d.get("support") or {}, d.get("health") or {}
    trend = use.get("trend")
    owner = acc.get("owner") or ""
    na = "n/a"
    return {
        "account_name": acc.get("name") or na,
        "contact_first_name": _first(contact_name) or "there",
        "renewal_date": _day(rev.get("renewal_date")),
        "days_to_renewal": na if rev.get("days_to_renewal") is None
        else str(rev["days_to_renewal"]),
        "active_users": na if use.get("active_users_30d") is None
        else str(use["active_users_30d"]),
        "active_users_trend": na if trend is None else f"{trend * 100:+.1f}%",
        "open_tickets": str(sup.get("open_total") or 0),
        "arr": _money(rev.get("arr"), rev.get("currency")),
        "health_score": na if health.get("score") is None else str(round(health["score"])),
        "csm_name": (_first(owner.split("@")[0].replace(".", " ")) or "your CSM").capitalize(),
    }


def fill(text: str | None, vals: dict[str, str]) -> str:
    return PLACEHOLDER.sub(lambda mt: vals.get(mt.group(1), mt.group(0)), text or "")


def as_json(t: EmailTemplate) -> dict:
    return {"id": t.id, "name": t.name, "subject": t.subject, "body": t.body,
            "updated_by": t.updated_by, "updated_at": t.updated_at,
            "variables": sorted(set(PLACEHOLDER.findall((t.subject or "") + t.body)))}


def list_templates(s: Session) -> list[dict]:
    return [as_json(t) for t in s.scalars(select(EmailTemplate).order_by(EmailTemplate.name))]


def save(s: Session, name: str, subject: str | None, body: str, actor: str,
         template_id: int | None = None) -> dict:
    """Create or update a template; ApiError 400 on unknown variables, 404, 409 on a name."""
    errors = {}
    name = (name or "").strip()
    if not name or len(name) > 200:
        errors["name"] = "required, at most 200 characters"
    for field, text in (("subject", subject), ("body", body)):
        try:
            check(text, field)
        except ValueError as exc:
            errors[field] = str(exc)
    if not (body or "").strip():
        errors.setdefault("body", "required")
    if errors:
        raise ApiError(400, "validation_error", "The template was not saved", errors)
    row = get(s, template_id) if template_id is not None else None
    if template_id is not None and row is None:
        raise ApiError(404, "not_found", f"No template {template_id}", {"id": template_id})
    same = s.scalar(select(EmailTemplate).where(EmailTemplate.name == name))
    if same is not None and same is not row:
        raise ApiError(409, "conflict", f"A template is already called {name!r}", {"name": name})
    if row is None:
        row = EmailTemplate(name=name)
        s.add(row)
    row.subject, row.body = (subject or "").strip() or None, body
    row.updated_by, row.updated_at = actor, datetime.now(timezone.utc)
    s.flush()
    return as_json(row)


def get(s: Session, template_id: int) -> EmailTemplate | None:
    return s.get(EmailTemplate, template_id) if 0 < template_id <= MAX_ID else None


def delete(s: Session, template_id: int) -> bool:
    row = get(s, template_id)
    if row is None:
        return False
    s.delete(row)
    return True


def render(s: Session, st, template_id: int, account_id: str, email: str | None = None) -> dict:
    """The template filled with the account's figures (and the contact's first name)."""
    from server.services.account360 import cached_360

    row = get(s, template_id)
    if row is None:
        raise ApiError(404, "not_found", f"No template {template_id}", {"id": template_id})
    if s.get(m.Account, account_id) is None:
        raise ApiError(404, "not_found", f"No account with id {account_id}",
                       {"account_id": account_id})
    data = json.loads(cached_360(st, s, account_id, datetime.now(timezone.utc).date()))
    contact = None
    if email:
        contact = s.scalar(select(m.Contact.name).where(m.Contact.email == email.strip().lower(),
                                                        m.Contact.account_id == account_id))
    vals = values(data, contact)
    return {"id": row.id, "name": row.name, "subject": fill(row.subject, vals),
            "body": fill(row.body, vals), "values": vals}
