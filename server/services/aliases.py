"""Aliases: the team's fixes of the extension's matching. An email or a domain points at an
account; lookups try aliases first. Every change is kept in alias_changes (who, when, the
account before and after). Shared by the API and the admin app."""

from __future__ import annotations

import re

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from server import models as m
from server.errors import ApiError
from server.extension_models import Alias, AliasChange
from server.models import utcnow
from server.records import normalise_domain

EMAIL = re.compile(r"^[^@\s]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")
DOMAIN = re.compile(r"^(?=.{3,253}$)[a-z0-9-]+(\.[a-z0-9-]+)*\.[a-z]{2,}$")


def normalise(kind: str, value: str) -> str:
    """A lower-case address or bare domain; ValueError when it is not one."""
    if not isinstance(value, str):
        raise ValueError(f"must be {'an email address' if kind == 'email' else 'a domain'}")
    if kind == "email":
        addr = value.strip().lower()
        if len(addr) > 320 or not EMAIL.match(addr):
            raise ValueError("must be an email address")
        return addr
    dom = normalise_domain(value)
    if not DOMAIN.match(dom):
        raise ValueError("must be a domain such as acme.com")
    return dom


def as_json(a: Alias, account_name: str | None = None) -> dict:
    out = {"id": a.id, a.kind: a.value, "kind": a.kind, "value": a.value,
           "account_id": a.account_id, "set_by": a.created_by, "set_at": a.created_at}
    if account_name is not None:
        out["account_name"] = account_name
    return out



def _log(s: Session, actor: str, action: str, kind: str, value: str, before: str | None,
         after: str | None) -> None:
    s.add(AliasChange(at=utcnow(), actor=actor, action=action, kind=kind, value=value,
                      before_account_id=before, after_account_id=after))


def set_alias(s: Session, kind: str, value: str, account_id: str, actor: str) -> tuple[dict, bool]:
    """Point `value` at the account (new, or re-pointed); (alias json, created)."""
    if s.get(m.Account, account_id) is None:
        raise ApiError(404, "not_found", f"No account with id {account_id}",
                       {"account_id": account_id})
    row = s.scalar(select(Alias).where(Alias.kind == kind, Alias.value == value))
    created = row is None
    before = None if created else row.account_id
    if created:
        row = Alias(kind=kind, value=value, account_id=account_id, created_by=actor,
                    created_at=utcnow())
        s.add(row)
    elif before != account_id:
        row.account_id, row.created_by, row.created_at = account_id, actor, utcnow()
    if before != account_id:
        _log(s, actor, "set", kind, value, before, account_id)
    s.flush()
    return as_json(row, s.get(m.Account, account_id).name), created


def delete_alias(s: Session, alias_id: int, actor: str) -> dict:
    row = s.get(Alias, alias_id) if 0 < alias_id <= 2**31 - 1 else None  # ids are 32-bit
    if row is None:
        raise ApiError(404, "not_found", f"No alias with id {alias_id}", {"alias_id": alias_id})
    out = as_json(row)
    _log(s, actor, "delete", row.kind, row.value, row.account_id, None)
    s.execute(delete(Alias).where(Alias.id == alias_id))
    return out


def list_aliases(s: Session, account_id: str | None = None, q: str | None = None,
                 limit: int = 500) -> list[dict]:
    query = select(Alias, m.Account.name).join(m.Account, m.Account.id == Alias.account_id)
    if account_id:
        query = query.where(Alias.account_id == account_id)
    if q:
        like = f"%{q.strip().lower()}%"
        query = query.where(or_(Alias.value.like(like), m.Account.name.ilike(like)))
    rows = s.execute(query.order_by(Alias.created_at.desc(), Alias.id.desc()).limit(limit))
    return [as_json(a, name) for a, name in rows]


def changes(s: Session, limit: int = 200) -> list[dict]:
    rows = s.scalars(select(AliasChange).order_by(AliasChange.id.desc()).limit(limit))
    return [{"id": c.id, "at": c.at, "actor": c.actor, "action": c.action, "kind": c.kind,
             "value": c.value, "before_account_id": c.before_account_id,
             "after_account_id": c.after_account_id} for c in rows]


def match(s: Session, email: str | None = None, domain: str | None = None) -> dict | None:
    """The alias that decides a lookup: the address itself first, then its domain."""
    tries = []
    if email:
        tries.append(("email", email))
        domain = email.split("@", 1)[1]
    if domain:
        tries.append(("domain", domain))
    for kind, value in tries:
        row = s.scalar(select(Alias).where(Alias.kind == kind, Alias.value == value))
        if row is not None:
            return as_json(row)
    return None
