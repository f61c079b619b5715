"""Account attribution for usage and support connectors (Mixpanel, Amplitude, Pendo, Zendesk).

Every analytics event or ticket carries some key that says which customer it belongs to: a
group key value (Mixpanel `company_id`, Amplitude `groups.company`, Pendo `accountId`), a
configured event or user property, a Zendesk organization's external id or domains, or the
user's email address. :class:`AccountIndex` resolves such keys to the store's accounts:

* ``id``: the key is an account id of the store;
* ``crm``: the key is a CRM record id linked to an account (HubSpot / Salesforce ids);
* ``domain``: the key is a domain (or a URL); matched against the accounts' domains, then
  against parent domains (``eu.acme.io`` -> ``acme.io``).

``auto`` tries them in that order. A key that matches nothing, or a domain shared by several
accounts, is *unmapped*: the caller counts it by the key it carried, never drops it silently.

The index is handed over by the sync engine (``Connector.bind(links, account_lookup=...)``):
a callable that reads the store's accounts fresh for each stream run. Connectors never
open the store themselves. Shared by the four usage/support connector packages.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from connectors.common import DEFAULT_FREEMAIL, normalise_domain
from connectors.errors import ConfigError

MATCH_MODES = ("auto", "id", "crm", "domain")
NO_KEY = "(no account key)"


@dataclass
class AccountIndex:
    """The store's accounts as lookup tables: ids, domains and linked CRM record ids."""

    ids: set[str] = field(default_factory=set)
    domains: dict[str, list[str]] = field(default_factory=dict)
    crm: dict[str, list[str]] = field(default_factory=dict)
    freemail: frozenset[str] = frozenset(DEFAULT_FREEMAIL)

    # -- single lookups ------------------------------------------------------
    def by_domain(self, raw: str) -> list[str]:
        dom = normalise_domain(raw)
        if not dom or "." not in dom:
            return []
        found = self.domains.get(dom)
        if found:
            return found
        labels = dom.split(".")
        for i in range(1, len(labels) - 1):
            found = self.domains.get(".".join(labels[i:]))
            if found:
                return found
        return []

    def by_crm(self, raw: str) -> list[str]:
        found = self.crm.get(raw)
        if not found and len(raw) == 18:  # Salesforce 18-character form of a 15-character id
            found = self.crm.get(raw[:15])
        return found or []

    def candidates(self, key: str, match: str = "auto") -> list[str]:
        """Account ids a key may mean, by the configured match mode."""
        if match in ("auto", "id") and key in self.ids:
            return [key]
        if match in ("auto", "crm"):
            found = self.by_crm(key)
            if found:
                return found
        if match in ("auto", "domain"):
            return self.by_domain(key)
        return []

    def email_domain(self, email: str | None) -> str | None:
        """The company domain of an email address; None for free-mail or no address."""
        if not email or not isinstance(email, str) or "@" not in email:
            return None
        addr = email.strip().lower()
        if "<" in addr and ">" in addr:
            addr = addr[addr.rfind("<") + 1:addr.rfind(">")]
        dom = normalise_domain(addr.rsplit("@", 1)[1])
        if not dom or "." not in dom:
            return None
        return dom


class Attributor:
    """Resolves keys to one account with a cache, and counts what could not be attributed."""

    def __init__(self, index: AccountIndex, match: str = "auto") -> None:
        if match not in MATCH_MODES:
            raise ValueError(f"match must be one of {', '.join(MATCH_MODES)}; got {match!r}")
        self.index = index
        self.match = match
        self._keys: dict[str, str | None] = {}
        self._emails: dict[str, str | None] = {}

    def key(self, value) -> str | None:
        """The account behind one key value (string or number), or None."""
        skey = value if isinstance(value, str) else str(value)
        try:
            return self._keys[skey]
        except KeyError:
            pass
        found = self.index.candidates(skey.strip(), self.match) if skey.strip() else []
        acc = found[0] if len(found) == 1 else None
        self._keys[skey] = acc
        return acc

    def email(self, email: str) -> str | None:
        """The account behind an email address's company domain (free-mail never matches)."""
        try:
            return self._emails[email]
        except KeyError:
            pass
        dom = self.index.email_domain(email)
        acc = None
        if dom and dom not in self.index.freemail:
            found = self.index.by_domain(dom)
            acc = found[0] if len(found) == 1 else None
        self._emails[email] = acc
        return acc

    def unmapped_key_of_email(self, email: str | None) -> str:
        dom = self.index.email_domain(email)
        return "@" + dom if dom else NO_KEY

    def accounts(self, keys, email: str | None, unmapped: Counter) -> list[str]:
        """Accounts for an item that carries `keys` (a value or list of values) and an email.

        Keys win over the email. Every key that resolves contributes its account (an event
        sent for two groups counts for both). When nothing resolves, the item is counted in
        `unmapped` under the first key it carried (or its email domain, or NO_KEY).
        """
        out: list[str] = []
        first = None
        if keys is not None:
            values = keys if isinstance(keys, list) else (keys,)
            for v in values:
                if v is None or v == "" or isinstance(v, (dict, list, bool)):
                    continue
                if first is None:
                    first = v if isinstance(v, str) else str(v)
                acc = self.key(v)
                if acc is not None and acc not in out:
                    out.append(acc)
        if out:
            return out
        if email:
            acc = self.email(email)
            if acc is not None:
                return [acc]
        unmapped[first if first is not None else self.unmapped_key_of_email(email)] += 1
        return out


def account_index(connector) -> AccountIndex:
    """The store's accounts for a connector's attribution, read fresh for each stream run.

    The sync engine binds `connector.account_lookup` (a callable returning an AccountIndex);
    a connector run without one, or against a store without accounts, stops with a
    ConfigError before any cursor moves.
    """
    lookup = getattr(connector, "account_lookup", None)
    if lookup is None:
        raise ConfigError("no account index was handed to this connector: run it through the "
                          "sync engine (account360 sync)", connector=connector.name)
    index = lookup()
    if not index.ids:
        # Everything would be unmapped and the cursor would move past it: refuse instead.
        raise ConfigError("the store has no accounts yet: sync the CRM (or import accounts) "
                          "first, then this connector", connector=connector.name)
    return index
