"""Pure helpers shared by the connectors and the server (which imports them from here).

Domains and the workspace mappings a connector reads (free-mail domains, CRM deal type ->
kind), then the CRM connectors' normalisation outcomes, values and modified-time cursor.
Nothing here touches the network or the store.
"""

from __future__ import annotations

import re
import typing as t
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation

DEFAULT_FREEMAIL = (
    "gmail.com", "googlemail.com", "yahoo.com", "yahoo.co.uk", "hotmail.com", "outlook.com",
    "live.com", "msn.com", "aol.com", "icloud.com", "me.com", "mac.com", "proton.me",
    "protonmail.com", "gmx.com", "gmx.de", "gmx.net", "web.de", "yandex.ru", "mail.ru",
    "zoho.com", "fastmail.com", "hey.com", "qq.com", "163.com",
)

#: CRM deal type -> import-format kind. Keys are compared case-insensitively.
DEFAULT_DEAL_KINDS = {
    "hubspot": {"newbusiness": "new", "existingbusiness": "expansion", "renewal": "renewal",
                "upsell": "expansion", "cross_sell": "expansion", "downsell": "contraction",
                "contraction": "contraction", "churn": "churn"},
    "salesforce": {"new business": "new", "new customer": "new",
                   "existing business": "expansion", "existing customer - upgrade": "expansion",
                   "upsell": "expansion", "cross-sell": "expansion", "renewal": "renewal",
                   "existing customer - replacement": "renewal", "downgrade": "contraction",
                   "existing customer - downgrade": "contraction", "churn": "churn"},
}
KINDS = ("new", "expansion", "renewal", "contraction", "churn")


def normalise_domain(raw: str) -> str:
    """Lower-case a domain and strip scheme, path, port and a leading www."""
    dom = raw.strip().lower()
    for prefix in ("https://", "http://"):
        if dom.startswith(prefix):
            dom = dom[len(prefix):]
    dom = dom.split("/")[0].split(":")[0].strip(".")
    if dom.startswith("www."):
        dom = dom[4:]
    return dom


@dataclass(frozen=True)
class Mappings:
    """What a connector reads of the workspace settings (server.settings extends it)."""

    freemail_domains: frozenset[str] = frozenset(DEFAULT_FREEMAIL)
    deal_kinds: dict[str, dict[str, str]] = field(
        default_factory=lambda: {k: dict(v) for k, v in DEFAULT_DEAL_KINDS.items()})

    def deal_kind(self, system: str, crm_type: str | None) -> str | None:
        """Map a CRM deal type to a kind; None when unmapped."""
        if not crm_type:
            return None
        return self.deal_kinds.get(system, {}).get(crm_type.strip().lower())


class Skip(Exception):
    """The object cannot become a record; `reason` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Unmapped(Exception):
    """The object has no company, so no account; `key` is what it carried instead."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def dig(obj: t.Any, path: str | tuple[str, ...]) -> t.Any:
    """Follow a dotted path ("paging.next.after") through nested dicts; None if absent."""
    keys = path.split(".") if isinstance(path, str) else path
    for key in keys:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj


def number(value: t.Any) -> Decimal | None:
    if value is None or str(value).strip() == "":
        return None
    try:
        num = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    return num if num.is_finite() else None


def strip_html(value: t.Any) -> str | None:
    if not value:
        return None
    text = re.sub(r"<br\s*/?>|</p>", "\n", str(value), flags=re.I)
    text = re.sub(r"<[^>]+>", "", text)
    text = (text.replace("&nbsp;", " ").replace("&amp;", "&").replace("&lt;", "<")
            .replace("&gt;", ">"))
    return text.strip() or None


def deal_kind(workspace: Mappings, system: str, crm_type: str | None, default: str,
              what: str) -> str:
    """The import-format kind of a CRM deal type through the workspace mappings.

    No type: `default`. A type the mappings do not know: Skip, naming `what` and the
    settings-file table to add it to.
    """
    crm_type = (crm_type or "").strip()
    if not crm_type:
        return default
    kind = workspace.deal_kind(system, crm_type)
    if kind is None:
        raise Skip(f"{what} {crm_type!r} is not mapped to a kind (add it under "
                   f"[deal_kinds.{system}] in the settings file)")
    return kind


def crm_account(account_id: str, name: str, domains: list[str], link: dict, owner: str | None,
                values: t.Mapping, fields: t.Mapping[str, str | None],
                created: t.Any = None) -> dict:
    """An account record from a CRM account; `fields` names the CRM fields read from `values`
    for seats, renewal_date, onboarding_start, segment and arr (None or "": not mapped);
    `created` is the CRM record's creation time (`created_date`: when the account began)."""
    rec: dict[str, t.Any] = {"type": "account", "id": account_id, "name": name[:500],
                             "domains": domains, "crm": link}
    if day(created):
        rec["created_date"] = day(created)
    if owner:
        rec["owner"] = owner
    if fields.get("seats"):
        seats = number(values.get(fields["seats"]))
        if seats is not None and seats >= 0:
            rec["seats"] = int(seats)
    for key in ("renewal_date", "onboarding_start"):
        if fields.get(key) and day(values.get(fields[key])):
            rec[key] = day(values.get(fields[key]))
    segment = fields.get("segment")
    if segment and values.get(segment):
        rec["segment"] = str(values[segment])[:100]
    if fields.get("arr") and number(values.get(fields["arr"])) is not None:
        rec["crm_arr"] = str(number(values.get(fields["arr"])))
    return rec


class ModifiedCursor:
    """A resumable position in a stream ordered by last-modified time.

    `since` is the last modified time landed (ms) and `seen` the ids landed with exactly
    that time, so a rerun that starts again AT `since` skips what it already has, whatever
    order the vendor gives records sharing a timestamp. `drain` (HubSpot) is an id cursor
    used while draining one crowded timestamp; `archived_*` track the archived listing.
    """

    def __init__(self, raw: dict | None) -> None:
        raw = raw or {}
        self.since: int | None = raw.get("since")
        self.seen: list[str] = list(raw.get("seen") or [])
        self._seen = set(self.seen)
        self.drain: str | None = raw.get("drain")
        self.archived_since: int | None = raw.get("archived_since")
        self.archived_after: str | None = raw.get("archived_after")

    def take(self, oid: str, ts: int) -> bool:
        """Record that an object was read; False if it was landed before."""
        if self.since is not None and ts == self.since and oid in self._seen:
            return False
        if self.since is None or ts > self.since:
            self.since, self.seen, self._seen = ts, [oid], {oid}
        elif ts == self.since:
            self.seen.append(oid)
            self._seen.add(oid)
        return True

    def to_dict(self) -> dict:
        return {"since": self.since, "seen": list(self.seen), "drain": self.drain,
                "archived_since": self.archived_since, "archived_after": self.archived_after}


def when(value: t.Any) -> datetime | None:
    """A CRM datetime (ISO 8601 with any offset, or epoch milliseconds) as aware UTC."""
    if value is None or value == "":
        return None
    text = str(value).strip()
    try:
        if text.isdigit():
            return datetime.fromtimestamp(int(text) / 1000, timezone.utc)
        dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (ValueError, OverflowError):
        return None
    return (dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)


def day(value: t.Any) -> str | None:
    """A CRM date or datetime value as YYYY-MM-DD (None if empty or unparseable)."""
    if value is None or value == "":
        return None
    text = str(value).strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return text
    dt = when(text)
    return None if dt is None else dt.date().isoformat()


def iso(dt: datetime | None) -> str | None:
    """An aware datetime as ISO 8601 with Z."""
    return None if dt is None else dt.isoformat().replace("+00:00", "Z")
