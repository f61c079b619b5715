"""HubSpot streams: incremental by last-modified time through the CRM search endpoint.

State of a stream: `since` (ms) and `seen` (ids already landed whose modified time equals
`since`), so a rerun resumes exactly, whatever order HubSpot gives records that share a
timestamp. A search query returns at most 10,000 results: before the next page would
pass that cap, the query is started again from `since`. If more than a full query's worth
of records share one timestamp, they are drained in id order (`drain`). Each run reads
up to the moment the connector was created minus the search-index lag, so records
created during a sync are taken whole by the next one. Archived objects (which search
never returns) are read from the archived listing and become deletions.
"""

from __future__ import annotations

import typing as t
from collections import Counter
from collections.abc import Iterator

from connectors.base import Page, Stream
from connectors.common import ModifiedCursor, deal_kind
from connectors.hubspot import messages as m
from connectors.hubspot import normalise as n
from connectors.pagination import CursorPaginator, paginate

#: Archived times are compared with our clock; an hour of overlap absorbs clock skew
#: (deleting something twice is harmless).
ARCHIVE_MARGIN_MS = 3_600_000
#: Ids per search when reading one account's records (HubSpot's IN filter and page limit).
ACCOUNT_BATCH = 100


class SearchStream(Stream):
    """One HubSpot object type read through POST /crm/v3/objects/{type}/search."""

    object_type: t.ClassVar[str]
    record_type: t.ClassVar[str]
    properties: t.ClassVar[tuple[str, ...]] = ()
    cursor_field = "hs_lastmodifieddate"
    #: Attribute each object to an account through its company association.
    by_company: t.ClassVar[bool] = True

    @property
    def client(self) -> t.Any:
        return self.connector.client

    def wanted_properties(self) -> list[str]:
        return [*self.properties, self.cursor_field]

    def local_id(self, vendor_id: str) -> str:
        return n.local_id(vendor_id)

    def normalise(self, obj: dict, account_id: str) -> dict:
        raise NotImplementedError

    # -- the search loop ------------------------------------------------------------
    def pages(self, state: dict | None) -> Iterator[Page]:
        st = ModifiedCursor(state)
        first_run = state is None
        yield from self._search(st)
        if first_run or st.archived_since is None:
            # Nothing archived before the first sync was ever landed: start watching now.
            st.archived_since = self.connector.until_ms - ARCHIVE_MARGIN_MS
            yield Page([], st.to_dict())
        else:
            yield from self._archived(st)

    def _query(self, st: ModifiedCursor) -> tuple[list[tuple[str, str, str]], str]:
        mprop = self.cursor_field
        if st.drain is not None:
            return [(mprop, "EQ", str(st.since)), ("hs_object_id", "GT", st.drain)], \
                "hs_object_id"
        filters = [(mprop, "LTE", str(self.connector.until_ms))]
        if st.since is not None:
            filters.insert(0, (mprop, "GTE", str(st.since)))
        return filters, mprop

    def _search(self, st: ModifiedCursor) -> Iterator[Page]:
        cfg = self.connector.settings
        while True:
            filters, sort = self._query(st)
            since_at_start = st.since
            fetched = 0
            restart = False

            def fetch(after: str | None, filters=filters, sort=sort) -> dict:
                return self.client.search(self.object_type, filters, sort,
                                          self.wanted_properties(), after=after,
                                          limit=cfg.page_size, stream=self.name) or {}

            for data, after in paginate(fetch, CursorPaginator(
                    "paging.next.after", connector="hubspot", stream=self.name)):
                results = data.get("results") or []
                fetched += len(results)
                yield self._page(results, st)
                if after is not None and fetched + cfg.page_size > cfg.search_limit:
                    restart = True
                    break
            if restart:
                if st.drain is None and st.since == since_at_start and since_at_start is not None:
                    # A whole query's worth of records share one timestamp: go by id.
                    st.drain = "0"
                continue
            if st.drain is not None:
                # Every record of the crowded timestamp is in: continue strictly after it.
                st.since, st.seen, st._seen, st.drain = st.since + 1, [], set(), None
                continue
            return

    def _page(self, results: list[dict], st: ModifiedCursor) -> Page:
        fresh: list[dict] = []
        skipped: list[dict] = []
        for obj in results:
            oid = str(obj.get("id") or "")
            if not oid:
                skipped.append(self.skip(None, "object without an id"))
                continue
            ts = n.ms((obj.get("properties") or {}).get(self.cursor_field) or obj.get("updatedAt"))
            if ts is None:
                skipped.append(self.skip(oid, "object without a last-modified time"))
                continue
            if st.drain is not None:
                st.drain = oid  # drain queries come in id order
            if st.take(oid, ts):
                fresh.append(obj)
        companies: dict[str, list[dict]] = {}
        if self.by_company and fresh:
            companies = self.client.associations(self.object_type, "companies",
                                                 [str(o["id"]) for o in fresh], stream=self.name)
        records: list[dict] = []
        unmapped: Counter = Counter()
        for obj in fresh:
            try:
                account_id = self.connector.account_id(
                    _primary(companies.get(str(obj["id"]), []))) if self.by_company else ""
                if self.by_company and account_id is None:
                    raise n.Unmapped(self.unmapped_key(obj))
                rec = self.normalise(obj, account_id or "")
                if isinstance(rec, list):
                    records.extend(rec)  # a touchpoint and its message
                else:
                    records.append(rec)
            except n.Skip as exc:
                skipped.append(self.skip(obj["id"], exc.reason))
            except n.Unmapped as exc:
                unmapped[exc.key] += 1
        return Page(records, st.to_dict(), skipped=skipped, unmapped=unmapped)

    def unmapped_key(self, obj: dict) -> str:
        return "no company association"

    # -- one account (refresh on open) --------------------------------------------
    def account_pages(self, company_id: str) -> Iterator[Page]:
        """The records of one company: the company itself, or the objects associated with
        it, read by id (search on hs_object_id IN, 100 ids a query). No cursor is kept."""
        if self.by_company:
            assoc = self.client.associations("companies", self.object_type, [company_id],
                                             stream=self.name)
            ids = sorted({str(a.get("toObjectId")) for a in assoc.get(str(company_id), [])
                          if a.get("toObjectId") is not None})
        else:
            ids = [str(company_id)]
        st = ModifiedCursor(None)
        for i in range(0, len(ids), ACCOUNT_BATCH):
            chunk = ids[i:i + ACCOUNT_BATCH]
            data = self.client.search(self.object_type, [("hs_object_id", "IN", chunk)],
                                      "hs_object_id", self.wanted_properties(),
                                      limit=ACCOUNT_BATCH, stream=self.name) or {}
            yield self._page(data.get("results") or [], st)

    def _archived(self, st: ModifiedCursor) -> Iterator[Page]:
        since = st.archived_since or 0
        for data, cursor in self.client.list_archived(self.object_type, stream=self.name,
                                                      after=st.archived_after):
            deletions = []
            for obj in data.get("results") or []:
                at = n.ms(obj.get("archivedAt") or obj.get("updatedAt"))
                if obj.get("id") and (at is None or at >= since):
                    deletions.extend(self.deletions_of(str(obj["id"])))
            st.archived_after = cursor
            if cursor is None:
                st.archived_since = self.connector.until_ms - ARCHIVE_MARGIN_MS
            yield Page([], st.to_dict(), deletions=deletions)

    def deleted_id(self, vendor_id: str) -> str:
        return self.local_id(vendor_id)

    def deletions_of(self, vendor_id: str) -> list[tuple[str, str]]:
        """What an archived object removes from the store."""
        return [(self.record_type, self.deleted_id(vendor_id))]


def _primary(associations: list[dict]) -> str | None:
    """The company id of the primary association, else the first one."""
    if not associations:
        return None
    for item in associations:
        for kind in item.get("associationTypes") or []:
            if str(kind.get("label") or "").lower() == "primary":
                return str(item.get("toObjectId"))
    return str(associations[0].get("toObjectId"))


class CompaniesStream(SearchStream):
    name = "companies"
    object_type = "companies"
    record_type = "account"
    by_company = False
    properties = ("name", "domain", "hs_additional_domains", "hubspot_owner_id", "createdate",
                  "lifecyclestage", "total_revenue", "numberofemployees")

    def wanted_properties(self) -> list[str]:
        cfg = self.connector.settings
        extra = [cfg.seats_property, cfg.renewal_date_property, cfg.arr_property,
                 cfg.segment_property, cfg.onboarding_start_property]
        return [*self.properties, *(p for p in extra if p), self.cursor_field]

    def normalise(self, obj: dict, account_id: str) -> dict:
        owner = self.connector.owner_email((obj.get("properties") or {}).get("hubspot_owner_id"))
        return n.company(obj, self.connector.account_id(str(obj["id"])), owner,
                         self.connector.settings)

    def deleted_id(self, vendor_id: str) -> str:
        return self.connector.account_id(vendor_id)


class ContactsStream(SearchStream):
    name = "contacts"
    object_type = "contacts"
    record_type = "contact"
    cursor_field = "lastmodifieddate"
    properties = ("email", "firstname", "lastname", "jobtitle", "createdate")

    def normalise(self, obj: dict, account_id: str) -> dict:
        return n.contact(obj, account_id)

    def unmapped_key(self, obj: dict) -> str:
        email = str((obj.get("properties") or {}).get("email") or "")
        return email.rsplit("@", 1)[1].lower() if "@" in email else "no company association"


class DealsStream(SearchStream):
    name = "deals"
    object_type = "deals"
    record_type = "deal"
    properties = ("dealname", "amount", "dealstage", "closedate", "pipeline", "dealtype",
                  "createdate", "hs_is_closed_won", "hs_is_closed", "hs_is_closed_lost")

    def normalise(self, obj: dict, account_id: str) -> dict:
        p = n.props(obj)
        kind = deal_kind(self.connector.workspace, "hubspot", p.get("dealtype"),
                         self.connector.settings.default_deal_kind, "deal type")
        stage, status, pipeline = self.connector.deal_stage(p.get("pipeline"), p.get("dealstage"),
                                                            p)
        return n.deal(obj, account_id, kind, status, stage, pipeline)


class TicketsStream(SearchStream):
    name = "tickets"
    object_type = "tickets"
    record_type = "ticket"
    properties = ("subject", "hs_pipeline", "hs_pipeline_stage", "hs_ticket_priority",
                  "createdate", "closed_date", "first_agent_reply_date")

    def normalise(self, obj: dict, account_id: str) -> dict:
        p = n.props(obj)
        label, state = self.connector.ticket_stage(p.get("hs_pipeline"), p.get("hs_pipeline_stage"))
        return n.ticket(obj, account_id, state, label)


class TasksStream(SearchStream):
    name = "tasks"
    object_type = "tasks"
    record_type = "task"
    properties = ("hs_task_subject", "hs_task_body", "hs_task_status", "hs_task_priority",
                  "hs_task_type", "hs_timestamp", "hubspot_owner_id", "hs_createdate")

    def local_id(self, vendor_id: str) -> str:
        # A task written back from account360 keeps its own id.
        return self.connector.links.get("task", {}).get(vendor_id) or n.local_id(vendor_id)

    def normalise(self, obj: dict, account_id: str) -> dict:
        owner = self.connector.owner_email((obj.get("properties") or {}).get("hubspot_owner_id"))
        return n.task(obj, account_id, self.local_id(str(obj["id"])), owner)


class _TouchpointStream(SearchStream):
    record_type = "touchpoint"

    def local_id(self, vendor_id: str) -> str:
        return n.local_id(vendor_id, n.TOUCHPOINT_KIND[self.object_type])

    def wanted_properties(self) -> list[str]:
        return [*super().wanted_properties(), *m.PROPERTIES.get(self.object_type, ())]

    def deletions_of(self, vendor_id: str) -> list[tuple[str, str]]:
        """An archived engagement takes its touchpoint and its message with it."""
        out = super().deletions_of(vendor_id)
        if self.object_type in m.BODY:
            out.append(("message", n.local_id(vendor_id, f"{m.CHANNEL[self.object_type]}"
                                                         "-message")))
        return out

    def normalise(self, obj: dict, account_id: str) -> list[dict]:
        owner = self.connector.owner_email((obj.get("properties") or {}).get("hubspot_owner_id"))
        touch = n.touchpoint(obj, self.object_type, account_id, owner, self.connector.qbr)
        said = m.message(obj, self.object_type, account_id, owner) \
            if self.object_type in m.BODY else None
        return [touch] if said is None else [touch, said]


class CallsStream(_TouchpointStream):
    name = "calls"
    object_type = "calls"
    properties = ("hs_timestamp", "hs_call_title", "hs_call_direction", "hubspot_owner_id")


class MeetingsStream(_TouchpointStream):
    name = "meetings"
    object_type = "meetings"
    properties = ("hs_timestamp", "hs_meeting_title", "hs_meeting_start_time",
                  "hubspot_owner_id")


class EmailsStream(_TouchpointStream):
    name = "emails"
    object_type = "emails"
    properties = ("hs_timestamp", "hs_email_subject", "hs_email_direction", "hubspot_owner_id")


class NotesStream(_TouchpointStream):
    """Notes (engagements of type NOTE): a touchpoint `note`, and the body as a message."""

    name = "notes"
    object_type = "notes"
    properties = ("hs_timestamp", "hubspot_owner_id")


STREAMS = (CompaniesStream, ContactsStream, DealsStream, TicketsStream, TasksStream,
           CallsStream, MeetingsStream, EmailsStream, NotesStream)
