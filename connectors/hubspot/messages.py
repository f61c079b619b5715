"""HubSpot engagement bodies as `message` records: an email's text, a call's notes, a note.

Emails: `hs_email_text` (plain text), direction `INCOMING_EMAIL` -> `in` (the customer's
address is `hs_email_from_email`), anything else -> `out` (to the first of
`hs_email_to_email`); the thread is `hs_email_thread_id`. Calls: `hs_call_body` (HTML,
reduced to text), `hs_call_direction` `INBOUND` -> `in`. Notes: `hs_note_body` (HTML, reduced
to text), always `out` (the team wrote it), by the note's owner. Engagements without a body
give no message (their touchpoint still lands).
"""

from __future__ import annotations

import re
import typing as t

from connectors.common import iso, strip_html, when
from connectors.hubspot.normalise import local_id, props

BODY = {"emails": "hs_email_text", "calls": "hs_call_body", "notes": "hs_note_body"}
CHANNEL = {"emails": "email", "calls": "call", "notes": "note"}
PROPERTIES = {"emails": ("hs_email_text", "hs_email_from_email", "hs_email_to_email",
                         "hs_email_thread_id"),
              "calls": ("hs_call_body",), "notes": ("hs_note_body",)}


def _first_address(value: t.Any) -> str | None:
    for part in re.split(r"[;,\s]+", str(value or "")):
        if "@" in part:
            return part.strip("<>").lower()
    return None


def message(obj: dict, object_type: str, account_id: str, owner: str | None) -> dict | None:
    """The message of an email, call or note with a body, else None."""
    p = props(obj)
    text = strip_html(p.get(BODY[object_type]))
    at = when(p.get("hs_timestamp") or obj.get("createdAt"))
    if not text or at is None:
        return None
    channel = CHANNEL[object_type]
    rec: dict[str, t.Any] = {
        "type": "message", "id": local_id(obj["id"], f"{channel}-message"),
        "account_id": account_id, "at": iso(at), "channel": channel, "text": text[:10_000]}
    if object_type == "emails":
        inbound = str(p.get("hs_email_direction") or "").upper() == "INCOMING_EMAIL"
        contact = _first_address(p.get("hs_email_from_email" if inbound
                                       else "hs_email_to_email"))
        if p.get("hs_email_thread_id"):
            rec["thread_id"] = f"hubspot:{p['hs_email_thread_id']}"
    elif object_type == "calls":
        inbound = str(p.get("hs_call_direction") or "").upper() == "INBOUND"
        contact = None
    else:  # a note: written by the team
        inbound, contact = False, None
    rec["direction"] = "in" if inbound else "out"
    if contact:
        rec["contact_email"] = contact
    if owner and not inbound:
        rec["author"] = owner
    return rec
