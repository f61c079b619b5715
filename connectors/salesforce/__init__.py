"""Salesforce connector: Account, Contact, Opportunity, Case, Task and Event.

Configuration: `SALESFORCE_*` environment variables (connectors/salesforce/settings.py,
docs/connectors-crm.md). Owners (User) become CSM emails; Opportunity `Type` maps to a
deal kind through the workspace settings (`[deal_kinds.salesforce]`); `IsClosed`/`IsWon`
give the status.
"""

from __future__ import annotations

import re
import typing as t
from datetime import timedelta

import requests

from connectors.base import Connector
from connectors.registry import register
from connectors.salesforce import normalise as n
from connectors.salesforce.client import SalesforceClient, SalesforceToken, refresh_access_token
from connectors.salesforce.settings import SalesforceSettings
from connectors.salesforce.streams import STREAMS

__all__ = ["SalesforceConnector", "SalesforceSettings", "SalesforceToken",
           "refresh_access_token"]


@register
class SalesforceConnector(Connector):
    """Reads the org through `simple-salesforce`; writes tasks back with WhatId."""

    name = "salesforce"
    title = "Salesforce"
    settings_class = SalesforceSettings
    streams = STREAMS

    def __init__(self, settings: SalesforceSettings, session: requests.Session | None = None, *,
                 workspace: t.Any = None, sleep: t.Callable[[float], None] | None = None,
                 on_refresh: t.Callable[[SalesforceToken], None] | None = None) -> None:
        super().__init__(settings, session, workspace=workspace)
        kwargs = {"sleep": sleep} if sleep is not None else {}
        self.client = SalesforceClient(settings, session=session, on_refresh=on_refresh,
                                       **kwargs)
        lag = timedelta(seconds=settings.lag_seconds)
        #: Incremental streams read records with SystemModstamp up to this instant (ms).
        self.until_ms = int((self.started_at - lag).timestamp() * 1000)
        self.qbr = re.compile(settings.qbr_pattern, re.I)
        self._users: dict[str, str] | None = None
        self._user_ids: dict[str, str] | None = None

    def check(self) -> None:
        """One authenticated call: a one-row query."""
        self.client.query_all("SELECT Id FROM Account LIMIT 1", stream="check")

    def account_id(self, sfid: str | None) -> str | None:
        """The account of a Salesforce Account id: a linked account, else `salesforce-<id>`."""
        sfid = n.to18(sfid)
        if not sfid:
            return None
        return self.links.get("account", {}).get(sfid) or n.local_id(sfid)

    def bind(self, links: dict[str, dict[str, str]],
             account_lookup: t.Callable[[], t.Any] | None = None) -> None:
        """As Connector.bind; account links imported with 15-character ids are keyed by
        their 18-character form, the one the API returns."""
        accounts = {n.to18(k) or k: v for k, v in sorted(links.get("account", {}).items())}
        super().bind({**links, "account": accounts}, account_lookup)

    def parent_crm_ids(self, account_id: str) -> list[str]:
        """`salesforce-<18-char id>` -> the Account id in its 18- and 15-character forms."""
        prefix = f"{n.SYSTEM}-"
        sfid = account_id[len(prefix):] if account_id.startswith(prefix) else ""
        return [sfid, sfid[:15]] if len(sfid) == 18 else []

    def _load_users(self) -> None:
        users, ids = {}, {}
        for row in self.client.query_all("SELECT Id, Email, IsActive FROM User",
                                         stream="users"):
            email = str(row.get("Email") or "").strip().lower()
            if email.count("@") == 1:
                users[n.to18(row["Id"])] = email
                if row.get("IsActive", True):
                    ids.setdefault(email, n.to18(row["Id"]))
        self._users, self._user_ids = users, ids

    def owner_email(self, user_id: t.Any) -> str | None:
        """The email of the owning User (the CSM)."""
        if not user_id:
            return None
        if self._users is None:
            self._load_users()
        return (self._users or {}).get(n.to18(user_id))

    def find_task(self, task: dict, crm_account_id: str) -> str | None:
        """The Task an earlier, unanswered attempt created for `task`, if any: same subject
        on the same Account (Salesforce has no idempotency key for creates)."""
        from simple_salesforce import format_soql

        soql = format_soql("SELECT Id FROM Task WHERE WhatId = {} AND Subject = {} LIMIT 1",
                           crm_account_id, task["subject"])
        found = self.client.query_all(soql, stream="tasks")
        return n.to18(found[0]["Id"]) if found else None

    def create_task(self, task: dict, crm_account_id: str) -> str:
        """Create a Task on the Account (WhatId); returns its id."""
        data: dict[str, t.Any] = {
            "Subject": task["subject"], "WhatId": crm_account_id,
            "Status": "Completed" if task.get("status") == "done" else "Not Started"}
        if task.get("due_date"):
            data["ActivityDate"] = task["due_date"].isoformat()
        if task.get("note"):
            data["Description"] = task["note"]
        if task.get("owner"):
            if self._user_ids is None:
                self._load_users()
            owner = (self._user_ids or {}).get(task["owner"].lower())
            if owner:
                data["OwnerId"] = owner
        return n.to18(self.client.create("Task", data)) or ""
