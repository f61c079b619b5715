"""Recognise the account behind an email address, a domain or a CRM record id. The team's
aliases (server.services.aliases) come first; every answer says how it matched
(match.kind: alias, contact_email, domain, subdomain or crm_id)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from connectors.common import normalise_domain
from server import models as m
from server.errors import ApiError
from server.services import aliases


@dataclass
class Lookup:
    """Either one account (account_id) or several candidates, and how they matched."""

    match: dict
    account_id: str | None = None
    candidates: list[dict] = field(default_factory=list)


def _names(session: Session, ids: list[str]) -> dict[str, str]:
    return dict(session.execute(select(m.Account.id, m.Account.name).where(m.Account.id.in_(ids))).all())


def _answer(session: Session, ids: list[str], by: str, value: str, why: dict[str, str],
            **extra) -> Lookup:
    ids = sorted(set(ids))
    match = {"by": by, "kind": by, "value": value, **extra}
    if len(ids) == 1:
        return Lookup(match=match, account_id=ids[0])
    names = _names(session, ids)
    cands = sorted(({"id": i, "name": names.get(i, i), "why": why.get(i, by)} for i in ids),
                   key=lambda c: (c["name"].lower(), c["id"]))
    return Lookup(match=match, candidates=cands)


def by_domain(session: Session, domain: str) -> Lookup | None:
    """Exact domain first, then parent domains (eu.acme.com -> acme.com) as a subdomain match."""
    ids = list(session.scalars(select(m.AccountDomain.account_id)
                               .where(m.AccountDomain.domain == domain)))
    if ids:
        return _answer(session, ids, "domain", domain, {i: f"domain {domain}" for i in ids})
    labels = domain.split(".")
    for i in range(1, len(labels) - 1):
        parent = ".".join(labels[i:])
        ids = list(session.scalars(select(m.AccountDomain.account_id)
                                   .where(m.AccountDomain.domain == parent)))
        if ids:
            return _answer(session, ids, "subdomain", parent,
                           {a: f"{domain} is a subdomain of {parent}" for a in ids})
    return None


def by_crm(session: Session, system: str, record_id: str) -> Lookup | None:
    """A stored CRM record id (account, contact, deal, ticket...) -> its account.

    Salesforce ids come as 15-character (case-sensitive) or 18-character forms; both match.
    """
    q = select(m.CrmLink).where(m.CrmLink.system == system)
    links = list(session.scalars(q.where(m.CrmLink.record_id == record_id)))
    if not links and system == "salesforce" and len(record_id) in (15, 18):
        short = record_id[:15]
        links = [link for link in session.scalars(q.where(m.CrmLink.record_id.like(short + "%")))
                 if link.record_id[:15] == short]
    if not links:
        return None
    why = {link.account_id: f"{system} {link.object_type} {link.record_id}" for link in links}
    return _answer(session, [link.account_id for link in links], "crm_id", record_id, why,
                   crm=system, object=links[0].object_type)


def _by_alias(session: Session, email: str | None = None, domain: str | None = None):
    found = aliases.match(session, email=email, domain=domain)
    if found is None:
        return None
    return Lookup(match={"by": "alias", "kind": "alias", "value": email or domain,
                         "alias": found}, account_id=found["account_id"])


def find(session: Session, settings, email: str | None = None, domain: str | None = None,
         crm: str | None = None, record_id: str | None = None) -> Lookup:
    """Resolve exactly one of email, domain or crm+record_id; 404/400 ApiError otherwise."""
    given = [k for k, v in (("email", email), ("domain", domain), ("crm", crm)) if v]
    if len(given) != 1:
        raise ApiError(400, "invalid_parameter",
                       "Give exactly one of email, domain or crm (with record_id)",
                       {"query": "expected one of email, domain, crm+record_id"})
    if crm:
        if crm not in ("hubspot", "salesforce"):
            raise ApiError(400, "invalid_parameter", "'crm' must be hubspot or salesforce",
                           {"crm": "must be hubspot or salesforce"})
        if not record_id:
            raise ApiError(400, "invalid_parameter", "'record_id' is required with crm",
                           {"record_id": "required"})
        found = by_crm(session, crm, record_id.strip())
        if found is None:
            raise ApiError(404, "not_found", f"No account for {crm} record {record_id}",
                           {"crm": crm, "record_id": record_id})
        return found
    if email:
        addr = email.strip().lower()
        if addr.count("@") != 1 or not addr.split("@")[1]:
            raise ApiError(400, "invalid_parameter", "'email' is not an email address",
                           {"email": "not an email address"})
        aliased = _by_alias(session, email=addr)
        if aliased:
            return aliased
        ids = list(session.scalars(select(m.Contact.account_id).where(m.Contact.email == addr)))
        if ids:
            return _answer(session, ids, "contact_email", addr,
                           {i: f"contact {addr}" for i in ids})
        dom = addr.split("@")[1]
        if dom in settings.freemail_domains:
            raise ApiError(404, "not_found",
                           f"No account for {addr} (free email domains match by contact only)",
                           {"email": addr, "freemail": True})
        found = by_domain(session, normalise_domain(dom))
        if found is None:
            raise ApiError(404, "not_found", f"No account for {dom}", {"domain": dom})
        return found
    dom = normalise_domain(domain or "")
    if not dom or "." not in dom:
        raise ApiError(400, "invalid_parameter", "'domain' is not a domain",
                       {"domain": "not a domain"})
    aliased = _by_alias(session, domain=dom)
    if aliased:
        return aliased
    if dom in settings.freemail_domains:
        raise ApiError(404, "not_found", f"No account for {dom} (a free email domain)",
                       {"domain": dom, "freemail": True})
    found = by_domain(session, dom)
    if found is None:
        raise ApiError(404, "not_found", f"No account for {dom}", {"domain": dom})
    return found
