"""Privacy deletions: a contact deleted at the CRM for GDPR is erased here, not kept.

HubSpot sends `contact.privacyDeletion` (webhook) when a contact is permanently deleted
for privacy reasons; such a contact never shows up again in a sync (not even among the
archived ones), so the webhook is the one signal. The contact row goes (a champion too:
an ordinary archive keeps a removed champion inactive, a privacy deletion does not), with
its CRM link, any parked version of it and the messages that person wrote or received
(their text and address are personal data); the account's figures are marked for refresh.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, func, or_, select

from server import models as m
from server.db import Store
from server.ingest import Loader
from server.sync import parking


def erase_contacts(store: Store, system: str, crm_ids: Iterable[str]) -> int:
    """Erase the contacts of `system` with these CRM ids; returns how many were removed."""
    ids = sorted({str(x) for x in crm_ids})
    if not ids:
        return 0
    local = [f"{system}-{cid}" for cid in ids]
    with store.session() as s:
        emails = [e.lower() for e in s.scalars(select(m.Contact.email).where(
            m.Contact.id.in_(local))) if e]
        loader = Loader(s, source=system)
        removed = sum(1 for rid in local if loader.delete("contact", rid, erase=True))
        s.execute(delete(m.CrmLink).where(m.CrmLink.system == system,
                                          m.CrmLink.object_type == "contact",
                                          m.CrmLink.record_id.in_(ids)))
        parking.forget(s, system, [("contact", rid) for rid in local])
        if emails:
            s.execute(delete(m.Message).where(or_(
                func.lower(m.Message.contact_email).in_(emails),
                func.lower(m.Message.author).in_(emails))))
        loader.flush()
    return removed
