"""Zendesk Support: incremental cursor-based ticket export with ticket metrics.

``GET /api/v2/incremental/tickets/cursor.json?start_time=<unix s>`` on the first run, then
``?cursor=<after_cursor>``; each page carries ``after_cursor`` and ``end_of_stream``. The
``metric_sets`` side-load gives each ticket's first reply time and full resolution time; the
``users`` side-load gives requester emails (a fallback for tickets without an organization).

Organizations are read once per run (``/api/v2/organizations.json``, cursor pages) and mapped
to accounts by their ``external_id`` (an account id, a CRM id or a domain) and then by their
``domain_names``. Tickets of an organization that maps to no account are counted as unmapped
under the organization's name; they are not loaded. When the organizations cannot be read
(a 403 or a 404 on that endpoint), the tickets are read anyway: those whose requester's
email maps to an account land, the others are counted unmapped, the stream ends `partial`
with the organizations error, and the cursor stays where it was so the next run reads
those tickets again.

Normalisation: status ``new``/``open``/``hold`` -> ``open``, ``pending`` -> ``pending``,
``solved`` -> ``solved``, ``closed`` -> ``closed``, ``deleted`` -> a deletion; priority
``urgent``/``high``/``normal``/``low``, none -> ``normal``. ``first_response_at`` =
``created_at`` + the metric set's calendar reply time; ``solved_at`` = the metric set's
``solved_at`` (or ``created_at`` + the calendar full resolution time). The CSAT rating,
type, channel, assignee, group, tags and first resolution time: connectors.zendesk.fields.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from connectors.attribution import NO_KEY, Attributor
from connectors.base import Page
from connectors.errors import AuthError, ConfigError, ConnectorError, ResponseError
from connectors.pagination import Paginator, paginate
from connectors.rest import RestStream
from connectors.streaming import PageBuffer
from connectors.zendesk.fields import calendar_minutes, helpdesk_fields, iso

EXPORT_PATH = "/api/v2/incremental/tickets/cursor.json"
ORGS_PATH = "/api/v2/organizations.json"
STATUS = {"new": "open", "open": "open", "hold": "open", "pending": "pending",
          "solved": "solved", "closed": "closed"}
PRIORITIES = ("low", "normal", "high", "urgent")
INCLUDE = "metric_sets,users"


def ticket_id(zid) -> str:
    return f"zendesk:{zid}"


def parse_time(value) -> datetime | None:
    if not isinstance(value, str) or len(value) < 16:
        return None
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)


class OrgMap:
    """Zendesk organization id -> account id, from external ids and domain names."""

    def __init__(self, attributor: Attributor) -> None:
        self.attributor = attributor
        self.accounts: dict[int, str | None] = {}
        self.names: dict[int, str] = {}

    def add(self, org: dict) -> None:
        oid = org.get("id")
        if oid is None:
            return
        self.names[oid] = str(org.get("name") or f"organization {oid}")
        acc = None
        ext = org.get("external_id")
        if ext not in (None, ""):
            acc = self.attributor.key(ext)
        if acc is None:
            for dom in org.get("domain_names") or ():
                if isinstance(dom, str) and dom:
                    acc = self.attributor.key(dom)
                    if acc is not None:
                        break
        self.accounts[oid] = acc

    def load(self, http) -> None:
        """Every organization, following the listing's next links."""
        def fetch(link):
            return http.get_json(link or ORGS_PATH, params=None if link else {"page[size]": 100})

        try:
            for data, _ in paginate(fetch, Paginator(_next_orgs, connector="zendesk",
                                                     stream="tickets")):
                for org in data.get("organizations") or ():
                    if isinstance(org, dict):
                        self.add(org)
        except ConnectorError as exc:
            exc.object = "organizations"
            raise


def _next_orgs(data: dict) -> str | None:
    meta, links = data.get("meta") or {}, data.get("links") or {}
    nxt = links.get("next") or data.get("next_page")
    return nxt if meta.get("has_more", bool(data.get("next_page"))) else None


class TicketNormaliser:
    def __init__(self, orgs: OrgMap, attributor: Attributor, orgs_read: bool = True) -> None:
        self.orgs = orgs
        self.attributor = attributor
        self.orgs_read = orgs_read

    def handle(self, t, metrics: dict, emails: dict, buf: PageBuffer,
               deletions: list) -> None:
        if not isinstance(t, dict) or t.get("id") is None:
            buf.skip(None, "ticket without an id")
            return
        zid = t["id"]
        raw_status = str(t.get("status") or "").lower()
        if raw_status == "deleted":
            deletions.append(("ticket", ticket_id(zid)))
            return
        status = STATUS.get(raw_status)
        if status is None:
            buf.skip(zid, f"unknown status {t.get('status')!r}")
            return
        created = parse_time(t.get("created_at"))
        if created is None:
            buf.skip(zid, "missing or invalid 'created_at'")
            return
        org = t.get("organization_id")
        account = None
        if org is not None:
            account = self.orgs.accounts.get(org)
        email = emails.get(t.get("requester_id"))
        if account is None and email:
            account = self.attributor.email(email)
        if account is None:
            if org is not None and not self.orgs_read:
                key = f"organization {org} (organizations not read)"
            elif org is not None:
                key = self.orgs.names.get(org, f"organization {org}")
            else:
                key = self.attributor.unmapped_key_of_email(email) if email else NO_KEY
            buf.unmapped[key] += 1
            return
        prio = str(t.get("priority") or "normal").lower()
        rec = {"type": "ticket", "id": ticket_id(zid), "account_id": account, "status": status,
               "priority": prio if prio in PRIORITIES else "normal",
               "created_at": iso(created), "subject": t.get("subject"),
               "zendesk_id": zid}
        m = metrics.get(zid)
        rec.update(helpdesk_fields(t, m, emails, created))
        if m:
            reply = calendar_minutes(m, "reply_time_in_minutes")
            if reply is not None:
                rec["first_response_at"] = iso(created + timedelta(minutes=reply))
            solved = parse_time(m.get("solved_at"))
            if solved is None and status in ("solved", "closed"):
                full = calendar_minutes(m, "full_resolution_time_in_minutes")
                if full is not None:
                    solved = created + timedelta(minutes=full)
            if solved is not None and status in ("solved", "closed"):
                rec["solved_at"] = iso(solved)
        buf.records.append(rec)


def start_params(start_date: date, now: datetime) -> dict:
    start = datetime(start_date.year, start_date.month, start_date.day, tzinfo=timezone.utc)
    latest = now - timedelta(minutes=1)  # the export refuses start times in the last minute
    return {"start_time": int(min(start, latest).timestamp())}


class TicketsStream(RestStream):
    """Tickets changed since the cursor, with first reply and resolution times.

    State: ``{"cursor": after_cursor}`` of the last page landed.
    """

    name = "tickets"
    cursor_field = "updated_at"
    path = EXPORT_PATH

    def prepare(self) -> None:
        attributor = self.attributor()
        self.orgs = OrgMap(attributor)
        self.orgs_error: dict | None = None
        try:
            self.orgs.load(self.http)
        except ConnectorError as exc:
            if isinstance(exc, ConfigError) or (isinstance(exc, AuthError) and exc.status != 403):
                raise  # the ticket export would fail the same way
            self.log.warning("organizations not read, tickets read without them: %s", exc)
            self.orgs = OrgMap(attributor)
            self.orgs_error = exc.to_dict()
        self.norm = TicketNormaliser(self.orgs, attributor, orgs_read=self.orgs_error is None)
        self.held: dict | None = None

    def read(self, state: dict | None):
        self.held = state  # where the cursor stays while the organizations are unreadable
        yield from super().read(state)

    def fetch(self, params: dict):
        data = super().fetch(params)
        if not isinstance(data, dict) or not isinstance(data.get("tickets", []), list):
            raise ResponseError("the ticket export answered without a 'tickets' list",
                                connector="zendesk", stream="tickets")
        return data

    def first_params(self, state: dict | None) -> dict:
        if state and state.get("cursor"):
            return self.next_params(state["cursor"])
        return {**start_params(self.start_day(), self.connector.started_at),
                "include": INCLUDE, "per_page": self.settings.page_size}

    def next_params(self, token) -> dict:
        return {"cursor": token, "include": INCLUDE, "per_page": self.settings.page_size}

    def next_token(self, data: dict):
        return None if data.get("end_of_stream", True) else data.get("after_cursor")

    def bookmark(self, data: dict, state: dict | None) -> dict | None:
        if self.orgs_error is not None:
            return self.held
        cursor = data.get("after_cursor") or (state or {}).get("cursor")
        return {"cursor": cursor} if cursor else state

    def page(self, data: dict, state: dict | None) -> Page:
        metrics = {m.get("ticket_id"): m for m in data.get("metric_sets") or ()
                   if isinstance(m, dict)}
        emails = {u.get("id"): u.get("email") for u in data.get("users") or ()
                  if isinstance(u, dict) and isinstance(u.get("email"), str)}
        buf = PageBuffer(Page, 10**9)
        deletions: list = []
        for t in data.get("tickets") or ():
            self.norm.handle(t, metrics, emails, buf, deletions)
        page = buf.take(state, deletions)
        if self.orgs_error is not None:
            page.warnings.append(self.orgs_error)
        return page
