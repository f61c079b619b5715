"""HubSpot CRM connector: companies, contacts, deals, tickets, tasks and engagements.

Configuration: `HUBSPOT_*` environment variables (connectors/hubspot/settings.py,
docs/connectors-crm.md). Records are attributed to accounts through each object's company
association; owners become CSM emails; deal types map to kinds through the workspace
settings (`[deal_kinds.hubspot]`).
"""

from __future__ import annotations

import re
import typing as t
from datetime import datetime, time, timedelta, timezone

import requests

from connectors.base import Connector
from connectors.hubspot import normalise as n
from connectors.hubspot import scopes
from connectors.hubspot.client import HubSpotClient
from connectors.hubspot.settings import HubSpotSettings
from connectors.hubspot.streams import STREAMS
from connectors.registry import register

__all__ = ["HubSpotConnector", "HubSpotSettings"]


@register
class HubSpotConnector(Connector):
    """Reads the CRM through `hubspot-api-client`; writes tasks back to companies."""

    name = "hubspot"
    title = "HubSpot"
    settings_class = HubSpotSettings
    streams = STREAMS

    def __init__(self, settings: HubSpotSettings, session: requests.Session | None = None, *,
                 workspace: t.Any = None, sleep: t.Callable[[float], None] | None = None,
                 on_refresh: t.Callable[..., None] | None = None) -> None:
        super().__init__(settings, session, workspace=workspace)
        kwargs = {"sleep": sleep} if sleep is not None else {}
        self.client = HubSpotClient(settings, on_refresh=on_refresh, **kwargs)
        lag = timedelta(seconds=settings.search_lag_seconds)
        #: Incremental streams read objects modified up to this instant (ms).
        self.until_ms = int((self.started_at - lag).timestamp() * 1000)
        self.qbr = re.compile(settings.qbr_pattern, re.I)
        self._owners: dict[str, str] | None = None
        self._owner_ids: dict[str, str] | None = None
        self._stages: dict[str, dict] = {}

    def check(self) -> None:
        """One authenticated call: the first company."""
        self.client.first_page("companies")

    def preflight(self, streams: list[str] | None = None) -> dict:
        """What HubSpot says the token may read: {"source", "granted", "missing": {stream:
        [scopes]}} (connectors.hubspot.scopes), so a missing scope is named before a stream
        runs into its 403."""
        granted, source = self.client.token_scopes()
        return {"source": source, "granted": sorted(granted),
                "missing": scopes.missing(granted, streams or self.stream_names())}

    # -- lookups shared by the streams ----------------------------------------------
    def account_id(self, company_id: str | None) -> str | None:
        """The account of a HubSpot company: an already linked account, else `hubspot-<id>`."""
        if not company_id or company_id == "None":
            return None
        return self.links.get("account", {}).get(company_id) or n.local_id(company_id)

    def parent_crm_ids(self, account_id: str) -> list[str]:
        """`hubspot-<company id>` -> [company id] (touchpoint-style ids stand for none)."""
        prefix = f"{n.SYSTEM}-"
        rest = account_id[len(prefix):] if account_id.startswith(prefix) else ""
        return [rest] if rest.isdigit() else []

    def _load_owners(self) -> None:
        owners, ids = {}, {}
        for o in self.client.owners():
            email = str(o.get("email") or "").strip().lower()
            if o.get("id") is not None and email.count("@") == 1:
                owners[str(o["id"])] = email
                if not o.get("archived"):
                    ids.setdefault(email, str(o["id"]))
        self._owners, self._owner_ids = owners, ids

    def owner_email(self, owner_id: t.Any) -> str | None:
        """The email of a HubSpot owner (the CSM), None when unknown."""
        if not owner_id:
            return None
        if self._owners is None:
            self._load_owners()
        return (self._owners or {}).get(str(owner_id))

    def owner_id(self, email: str | None) -> str | None:
        if not email:
            return None
        if self._owner_ids is None:
            self._load_owners()
        return (self._owner_ids or {}).get(email.strip().lower())

    def _pipelines(self, object_type: str) -> dict:
        if object_type not in self._stages:
            table: dict[tuple[str, str], dict] = {}
            for pipe in self.client.pipelines(object_type):
                for stage in pipe.get("stages") or []:
                    table[(str(pipe.get("id")), str(stage.get("id")))] = {
                        "pipeline": pipe.get("label"), "label": stage.get("label"),
                        "meta": stage.get("metadata") or {}}
            self._stages[object_type] = table
        return self._stages[object_type]

    def deal_stage(self, pipeline: str | None, stage: str | None, flags: dict | None = None
                   ) -> tuple[str | None, str, str | None]:
        """(stage label, open/won/lost, pipeline label) from the pipelines API.

        The deal's own flags (`hs_is_closed_won`, `hs_is_closed`, `hs_is_closed_lost`, in
        `flags`) decide the status when HubSpot sent them; the stage mapping is the
        fallback for deals without them."""
        info = self._pipelines("deals").get((str(pipeline), str(stage)))
        status = n.flag_status(flags or {})
        if status is not None:
            return (info["label"] if info else stage), status, (
                info["pipeline"] if info else pipeline)
        sid = (stage or "").lower()
        if info is None:
            status = "won" if sid == "closedwon" else "lost" if sid == "closedlost" else "open"
            return stage, status, pipeline
        meta = info["meta"]
        closed = str(meta.get("isClosed", "")).lower() == "true"
        prob = n.number(meta.get("probability"))
        if closed or sid in ("closedwon", "closedlost"):
            won = sid == "closedwon" or (prob is not None and prob >= 1)
            status = "won" if won else "lost"
        else:
            status = "open"
        return info["label"], status, info["pipeline"]

    def ticket_stage(self, pipeline: str | None, stage: str | None
                     ) -> tuple[str | None, str | None]:
        """(stage label, OPEN/CLOSED ticket state) from the pipelines API."""
        info = self._pipelines("tickets").get((str(pipeline), str(stage)))
        if info is None:
            return stage, None
        meta = info["meta"]
        state = meta.get("ticketState")
        if state is None and "isClosed" in meta:
            state = "CLOSED" if str(meta["isClosed"]).lower() == "true" else "OPEN"
        return info["label"], state

    # -- write-back ------------------------------------------------------------------
    def find_task(self, task: dict, crm_account_id: str) -> str | None:
        """The HubSpot task an earlier, unanswered attempt created for `task`, if any: same
        subject and time, on the same company (HubSpot has no idempotency key for creates)."""
        filters = [("hs_task_subject", "EQ", task["subject"]),
                   ("hs_timestamp", "EQ", self._task_time(task)),
                   ("associations.company", "EQ", str(crm_account_id))]
        page = self.client.search("tasks", filters, "hs_object_id", ["hs_task_subject"],
                                  limit=1, stream="tasks")
        found = (page or {}).get("results") or []
        return str(found[0]["id"]) if found else None

    @staticmethod
    def _task_time(task: dict) -> str:
        """hs_timestamp of a task: its due day at 09:00 UTC, else when it was made (stable
        across attempts, so an earlier attempt can be found)."""
        due = task.get("due_date")
        at = (datetime.combine(due, time(9, 0), timezone.utc) if due
              else task.get("created_at") or datetime.now(timezone.utc))
        if at.tzinfo is None:
            at = at.replace(tzinfo=timezone.utc)
        return str(int(at.timestamp() * 1000))

    def create_task(self, task: dict, crm_account_id: str) -> str:
        """Create a HubSpot task associated to the company; returns its id."""
        props = {"hs_task_subject": task["subject"], "hs_task_type": "TODO",
                 "hs_task_status": "COMPLETED" if task.get("status") == "done" else "NOT_STARTED",
                 "hs_timestamp": self._task_time(task)}
        if task.get("note"):
            props["hs_task_body"] = task["note"]
        owner = self.owner_id(task.get("owner"))
        if owner:
            props["hubspot_owner_id"] = owner
        created = self.client.create("tasks", props, [(crm_account_id,
                                                       self.settings.task_association_type_id)])
        return str(created["id"])
