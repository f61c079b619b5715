"""Salesforce streams: SOQL ordered by SystemModstamp, paged on nextRecordsUrl.

State of a stream: `since` (ms of the last SystemModstamp landed) and `seen` (ids landed
with exactly that stamp), so a rerun resumes exactly. Each run reads up to the moment
the connector was created minus a small lag. Queries go through `queryAll`, so records
deleted since the last run (Recycle Bin, `IsDeleted = true`) arrive in the same ordered
stream and become deletions; the first run skips them.
"""

from __future__ import annotations

import re
import typing as t
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timezone

from connectors.base import Page, Stream
from connectors.common import ModifiedCursor, deal_kind
from connectors.salesforce import normalise as n

SOQL_TIME = "%Y-%m-%dT%H:%M:%SZ"
SFID = re.compile(r"[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?")


def soql_time(ms: int) -> str:
    """A SOQL datetime literal (unquoted, UTC, whole seconds rounded down)."""
    return datetime.fromtimestamp(ms // 1000, timezone.utc).strftime(SOQL_TIME)


class SoqlStream(Stream):
    """One sObject, incremental on SystemModstamp."""

    sobject: t.ClassVar[str]
    fields: t.ClassVar[tuple[str, ...]]
    cursor_field = "SystemModstamp"

    @property
    def client(self) -> t.Any:
        return self.connector.client

    def select_fields(self) -> list[str]:
        return ["Id", *self.fields, "SystemModstamp", "IsDeleted"]

    def soql(self, st: ModifiedCursor, first_run: bool) -> str:
        where = [f"SystemModstamp <= {soql_time(self.connector.until_ms)}"]
        if st.since is not None:
            where.insert(0, f"SystemModstamp >= {soql_time(st.since)}")
        if first_run:
            where.append("IsDeleted = false")
        return (f"SELECT {', '.join(self.select_fields())} FROM {self.sobject} "
                f"WHERE {' AND '.join(where)} ORDER BY SystemModstamp ASC, Id ASC")

    def pages(self, state: dict | None) -> Iterator[Page]:
        st = ModifiedCursor(state)
        soql = self.soql(st, first_run=state is None)
        for data in self.client.query_pages(soql, include_deleted=True, stream=self.name,
                                            object=self.sobject):
            yield self._page(data.get("records") or [], st)

    def _page(self, rows: list[dict], st: ModifiedCursor) -> Page:
        records: list[dict] = []
        deletions: list[tuple[str, str]] = []
        skipped: list[dict] = []
        unmapped: Counter = Counter()
        for row in rows:
            sfid = n.to18(row.get("Id"))
            stamp = n.when(row.get("SystemModstamp"))
            if not sfid or stamp is None:
                skipped.append(self.skip(sfid, "record without Id or SystemModstamp"))
                continue
            if not st.take(sfid, int(stamp.timestamp() * 1000)):
                continue  # landed before (the query starts at the same second)
            if n.sf_flag(row.get("IsDeleted")):
                deletions.append(self.deletion(row, sfid))
                continue
            try:
                rec = self.normalise(row, sfid)
                records.extend(rec if isinstance(rec, list) else [rec])
            except n.Skip as exc:
                skipped.append(self.skip(sfid, exc.reason))
            except n.Unmapped as exc:
                unmapped[exc.key] += 1
        return Page(records, st.to_dict(), deletions=deletions, skipped=skipped,
                    unmapped=unmapped)

    # -- one account (refresh on open) --------------------------------------------
    def account_soql(self, sfid: str) -> str:
        """The live records of one Account: the Account itself, or its children by AccountId."""
        if not SFID.fullmatch(sfid):
            raise ValueError(f"not a Salesforce id: {sfid!r}")
        key = "Id" if self.sobject == "Account" else "AccountId"
        return (f"SELECT {', '.join(self.select_fields())} FROM {self.sobject} "
                f"WHERE {key} = '{sfid}' AND IsDeleted = false")

    def account_pages(self, sfid: str) -> Iterator[Page]:
        st = ModifiedCursor(None)
        for data in self.client.query_pages(self.account_soql(n.to18(sfid) or sfid),
                                            stream=self.name):
            yield self._page(data.get("records") or [], st)

    def account_of(self, row: dict) -> str:
        sfid = n.to18(row.get("AccountId"))
        if not sfid:
            what = str(row.get("WhatId") or "")
            sfid = n.to18(what) if what.startswith("001") else None
        account_id = self.connector.account_id(sfid)
        if account_id is None:
            raise n.Unmapped("no account")
        return account_id

    def owner(self, row: dict) -> str | None:
        return self.connector.owner_email(row.get("OwnerId"))

    def normalise(self, row: dict, sfid: str) -> dict:
        raise NotImplementedError

    def deletion(self, row: dict, sfid: str) -> tuple[str, str]:
        raise NotImplementedError


class AccountsStream(SoqlStream):
    name = "accounts"
    sobject = "Account"
    fields = ("Name", "Website", "OwnerId", "CreatedDate")

    def select_fields(self) -> list[str]:
        cfg = self.connector.settings
        extra = [cfg.seats_field, cfg.renewal_date_field, cfg.arr_field, cfg.segment_field,
                 cfg.onboarding_start_field]
        return ["Id", *self.fields, *(f for f in extra if f), "SystemModstamp", "IsDeleted"]

    def normalise(self, row: dict, sfid: str) -> dict:
        return n.account(row, self.connector.account_id(sfid), self.owner(row),
                         self.connector.settings)

    def deletion(self, row: dict, sfid: str) -> tuple[str, str]:
        return "account", self.connector.account_id(sfid)


class ContactsStream(SoqlStream):
    name = "contacts"
    sobject = "Contact"
    fields = ("AccountId", "Email", "FirstName", "LastName", "Title")

    def normalise(self, row: dict, sfid: str) -> dict:
        try:
            account_id = self.account_of(row)
        except n.Unmapped:
            email = str(row.get("Email") or "")
            raise n.Unmapped(email.rsplit("@", 1)[1].lower() if "@" in email
                             else "no account") from None
        return n.contact(row, account_id)

    def deletion(self, row: dict, sfid: str) -> tuple[str, str]:
        return "contact", n.local_id(sfid)


class OpportunitiesStream(SoqlStream):
    name = "opportunities"
    sobject = "Opportunity"
    fields = ("Name", "AccountId", "Amount", "StageName", "CloseDate", "IsClosed", "IsWon",
              "Type", "OwnerId")

    def normalise(self, row: dict, sfid: str) -> dict:
        account_id = self.account_of(row)
        kind = deal_kind(self.connector.workspace, "salesforce", row.get("Type"),
                         self.connector.settings.default_deal_kind, "opportunity Type")
        return n.opportunity(row, account_id, kind)

    def deletion(self, row: dict, sfid: str) -> tuple[str, str]:
        return "deal", n.local_id(sfid)


class CasesStream(SoqlStream):
    name = "cases"
    sobject = "Case"
    fields = ("CaseNumber", "AccountId", "Subject", "Status", "Priority", "IsClosed",
              "CreatedDate", "ClosedDate")

    def normalise(self, row: dict, sfid: str) -> dict:
        return n.case(row, self.account_of(row))

    def deletion(self, row: dict, sfid: str) -> tuple[str, str]:
        return "ticket", n.local_id(sfid)


class TasksStream(SoqlStream):
    """Tasks; calls and emails logged as Tasks (TaskSubtype) become touchpoints, and their
    text a message whose direction comes from the call's CallType or the email's
    EmailMessage (read for the page's email Tasks by ActivityId)."""

    name = "tasks"
    sobject = "Task"
    fields = ("Subject", "Status", "Priority", "ActivityDate", "WhatId", "AccountId",
              "IsClosed", "OwnerId", "TaskSubtype", "CallType", "Description", "CreatedDate")
    TOUCH = {"call": "call", "email": "email", "listemail": "email"}
    EMAIL_FIELDS = ("Id", "ActivityId", "Incoming", "FromAddress", "ToAddress", "MessageDate",
                    "TextBody", "ThreadIdentifier")

    def __init__(self, connector: t.Any) -> None:
        super().__init__(connector)
        self._emails: dict[str, dict] = {}
        self._no_email_messages = False   # the org has no EmailMessage (no Enhanced Email)
        self._email_fields = self.EMAIL_FIELDS

    def _touch_kind(self, row: dict) -> str | None:
        return self.TOUCH.get(str(row.get("TaskSubtype") or "").lower())

    def _page(self, rows: list[dict], st: ModifiedCursor) -> Page:
        ids = [n.to18(r.get("Id")) for r in rows if self._touch_kind(r) == "email"
               and not n.sf_flag(r.get("IsDeleted")) and SFID.fullmatch(str(r.get("Id") or ""))]
        self._emails = self._email_messages([x for x in ids if x])
        return super()._page(rows, st)

    def _email_messages(self, task_ids: list[str]) -> dict[str, dict]:
        """{Task id: its EmailMessage} for email Tasks (200 ids a query)."""
        from connectors.errors import AuthError, ResponseError

        out: dict[str, dict] = {}
        if self._no_email_messages:
            return out
        for i in range(0, len(task_ids), 200):
            quoted = ", ".join(f"'{x}'" for x in task_ids[i:i + 200])
            soql = (f"SELECT {', '.join(self._email_fields)} FROM EmailMessage "
                    f"WHERE ActivityId IN ({quoted})")
            try:
                rows = self.client.query_all(soql, stream=self.name)
            except (ResponseError, AuthError) as exc:
                code = getattr(exc, "vendor_code", None)
                if code == "INVALID_FIELD" and "ThreadIdentifier" in self._email_fields:
                    # an API version before the email thread field: read the rest, no threads
                    self._email_fields = self.EMAIL_FIELDS[:-1]
                    return self._email_messages(task_ids)
                # INVALID_TYPE: no Enhanced Email; 403: the user may not read EmailMessage
                if isinstance(exc, AuthError) and exc.status != 403:
                    raise
                self.log.warning("EmailMessage not readable (%s); email Tasks count as sent "
                                 "by the team", code or exc.status)
                self._no_email_messages = True
                return out
            for row in rows:
                key = n.to18(row.get("ActivityId"))
                if key:
                    out.setdefault(key, row)
        return out

    def normalise(self, row: dict, sfid: str) -> dict | list[dict]:
        account_id = self.account_of(row)
        kind = self._touch_kind(row)
        if kind:
            touch = n.touchpoint(row, kind, account_id, self.owner(row))
            said = n.activity_message(row, kind, account_id, self.owner(row),
                                      self._emails.get(sfid))
            return [touch] if said is None else [touch, said]
        record_id = self.connector.links.get("task", {}).get(sfid) or n.local_id(sfid)
        return n.task(row, account_id, record_id, self.owner(row))

    def deletion(self, row: dict, sfid: str) -> tuple[str, str]:
        if self._touch_kind(row):
            return "touchpoint", n.local_id(sfid, "task")
        return "task", self.connector.links.get("task", {}).get(sfid) or n.local_id(sfid)


class EventsStream(SoqlStream):
    """Events (meetings) as touchpoints; subjects matching the QBR pattern count as QBRs."""

    name = "events"
    sobject = "Event"
    fields = ("Subject", "ActivityDate", "StartDateTime", "WhatId", "AccountId", "OwnerId")

    def normalise(self, row: dict, sfid: str) -> dict:
        kind = "qbr" if self.connector.qbr.search(str(row.get("Subject") or "")) else "meeting"
        return n.touchpoint(row, kind, self.account_of(row), self.owner(row))

    def deletion(self, row: dict, sfid: str) -> tuple[str, str]:
        return "touchpoint", n.local_id(sfid, "event")


STREAMS = (AccountsStream, ContactsStream, OpportunitiesStream, CasesStream, TasksStream,
           EventsStream)
