"""What the engine hands a connector before a sync: the store's id links and accounts.

Connectors never read the store; they receive these through `Connector.bind()`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from connectors.attribution import AccountIndex
from connectors.common import DEFAULT_FREEMAIL
from server import models as m
from server.db import Store


def store_links(session: Session, system: str) -> dict[str, dict[str, str]]:
    """{object_type: {crm id: local id}} for a CRM: linked accounts and written-back tasks."""
    links: dict[str, dict[str, str]] = {}
    for rid, otype, account_id in session.execute(
            select(m.CrmLink.record_id, m.CrmLink.object_type, m.CrmLink.account_id)
            .where(m.CrmLink.system == system, m.CrmLink.object_type == "account")):
        links.setdefault(otype, {})[rid] = account_id
    links["task"] = dict(session.execute(
        select(m.Task.crm_id, m.Task.id).where(m.Task.crm_system == system,
                                                m.Task.crm_id.is_not(None))).all())
    return links


def load_account_index(session: Session, freemail=None) -> AccountIndex:
    """The store's account ids, account domains and CRM links as lookup tables."""
    index = AccountIndex(freemail=frozenset(freemail) if freemail else frozenset(DEFAULT_FREEMAIL))
    index.ids = set(session.scalars(select(m.Account.id)))
    for dom, acc in session.execute(select(m.AccountDomain.domain, m.AccountDomain.account_id)):
        index.domains.setdefault(dom, []).append(acc)
    for rid, acc in session.execute(select(m.CrmLink.record_id, m.CrmLink.account_id)):
        index.crm.setdefault(rid, []).append(acc)
    for accs in (*index.domains.values(), *index.crm.values()):
        accs.sort()
    return index


def account_lookup(store: Store, workspace: Any = None) -> Callable[[], AccountIndex]:
    """A callable reading the store's accounts fresh on each call (once per stream run),
    with the workspace's free-mail domains."""
    freemail = getattr(workspace, "freemail_domains", None)

    def lookup() -> AccountIndex:
        with store.sessions() as s:
            return load_account_index(s, freemail)

    return lookup
