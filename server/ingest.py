"""The one record path: validates import-format records and lands them in the store.

The JSONL import, the import API and every connector go through :class:`Loader`.
Records are buffered and written in batches with dialect-native upserts, so loading
the same records twice changes nothing. Events are aggregated at ingest into per-day
rows (see server.models); their identities are kept as 64-bit digests for deduplication.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, timezone
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from server import models as m
from server import records as r
from server.account_stamps import stamp_accounts
from server.db_upsert import upsert, upsert_contacts
from server.event_lines import EventRecords
from server.message_ingest import at_noon, comment_message, message_row, policy_of
from server.records import RecordError
from server.rows.affected import affected_days, merge, record_day
from server.rows.marks import mark
from server.usage_ingest import EventWriter

log = logging.getLogger(__name__)

RECORD_TYPES = (
    "account", "contact", "deal", "event", "ticket", "task",
    "touchpoint", "nps", "survey", "advocacy", "message",
)
DELETABLE = {
    "account": m.Account, "contact": m.Contact, "deal": m.Deal, "ticket": m.Ticket,
    "task": m.Task, "touchpoint": m.Touchpoint, "nps": m.NpsResponse, "survey": m.Survey,
    "advocacy": m.Advocacy, "message": m.Message,
}


class Loader(EventRecords):
    """Validates records and writes them in batches inside the caller's transaction."""

    def __init__(self, session: Session, source: str = "import", batch_size: int = 5000) -> None:
        self.session = session
        self.source = source
        self.batch_size = batch_size
        self._known: set[str] | None = None
        self._rows: dict[str, dict[tuple, dict]] = defaultdict(dict)
        self._events = EventWriter(session)
        self._handlers = {t: getattr(self, f"_add_{t}") for t in RECORD_TYPES}
        self._touched: set[str] = set()
        self._gone: dict = {}
        self.messages = policy_of(session)
        self.pending = 0
        self.loaded: dict[str, int] = defaultdict(int)
        self.touched_accounts: set[str] = set()
        self.usage_accounts: set[str] = set()  # whose North Star usage stamp moved

    @property
    def new_events(self) -> int:
        """Events stored by this loader that were not stored before."""
        return self._events.new_events

    def checkpoint(self) -> tuple:
        """Counters to return to when the writes since now are rolled back (rollback_to)."""
        return (dict(self.loaded), self._events.new_events, set(self.touched_accounts))

    def rollback_to(self, point: tuple) -> None:
        """Forget buffered records and counts since `point` (the caller rolled back the writes)."""
        loaded, self._events.new_events, touched = point
        self.loaded, self.touched_accounts = defaultdict(int, loaded), set(touched)
        self._rows, self._touched, self._known, self.pending = defaultdict(dict), set(), None, 0
        self._events.clear()
        self._gone = {}

    # -- validation -------------------------------------------------------
    def known_accounts(self) -> set[str]:
        if self._known is None:
            self._known = set(self.session.scalars(select(m.Account.id)))
        return self._known

    def _account_ref(self, rec: dict) -> str:
        account_id = r.text(rec, "account_id", required=True, max_len=200)
        if account_id not in self.known_accounts():
            raise r.UnknownAccount(account_id)
        return account_id

    def add(self, rec: Any) -> None:
        """Validate one record and buffer it; raises RecordError when it is not loadable."""
        if not isinstance(rec, dict):
            raise RecordError("a record must be a JSON object")
        rtype = rec.get("type")
        handler = self._handlers.get(rtype) if isinstance(rtype, str) else None
        if handler is None:
            raise RecordError(f"unknown type {rtype!r}; expected one of {', '.join(RECORD_TYPES)}",
                              "type")
        handler(rec)
        self.loaded[rtype] += 1
        self.pending += 1
        if self.pending >= self.batch_size:
            self.flush()

    def _put(self, table: str, key: tuple, row: dict) -> None:
        self._rows[table][key] = row
        self._touched.add(row["account_id"] if "account_id" in row else row["id"])

    def _crm_links(self, rec: dict, object_type: str, account_id: str) -> None:
        crm = rec.get("crm")
        if crm is None:
            return
        items = crm if isinstance(crm, list) else [crm]
        links = {}
        for item in items:   # all checked before any is buffered: a bad record leaves nothing
            if not isinstance(item, dict):
                raise RecordError("'crm' must be an object {system, id}", "crm")
            system = r.enum(item, "crm", "system")
            rid = r.text(item, "id", required=True, max_len=100)
            links[(system, rid)] = {"system": system, "record_id": rid,
                                    "object_type": object_type, "account_id": account_id}
        self._rows["crm"].update(links)

    def _add_account(self, rec: dict) -> None:
        known = {"type", "id", "name", "domains", "owner", "seats", "renewal_date",
                 "onboarding_start", "segment", "crm"}
        row = {
            "id": r.text(rec, "id", required=True, max_len=200),
            "name": r.text(rec, "name", required=True, max_len=500),
            "domains": r.domain_list(rec),
            "owner": r.email(rec, "owner"),
            "seats": r.number(rec, "seats", lo=0, integer=True),
            "renewal_date": r.day(rec, "renewal_date"),
            "onboarding_start": r.day(rec, "onboarding_start"),
            "segment": r.text(rec, "segment", max_len=100),
            "attributes": {**r.extras(rec, known), **r.account_fields(rec)},
            "updated_at": datetime.now(timezone.utc),
        }
        self._crm_links(rec, "account", row["id"])
        self.known_accounts().add(row["id"])
        self._put("account", (row["id"],), row)

    def _add_contact(self, rec: dict) -> None:
        known = {"type", "id", "account_id", "email", "name", "title", "champion", "active",
                 "inactive_since", "crm", "role", "user_id"}
        row = {
            "id": r.text(rec, "id", required=True, max_len=200),
            "account_id": self._account_ref(rec),
            "email": r.email(rec, "email", required=True),
            "name": r.text(rec, "name", max_len=500),
            "title": r.text(rec, "title", max_len=500),
            "champion": r.boolean(rec, "champion", False),
            "active": r.boolean(rec, "active", True),
            "inactive_since": r.day(rec, "inactive_since"),
            "role": r.enum(rec, "contact", "role", required=False),
            "user_id": r.text(rec, "user_id", max_len=200),
            "attributes": r.extras(rec, known),
        }
        self._crm_links(rec, "contact", row["account_id"])
        self._put("contact", (row["id"],), row)

    def _add_deal(self, rec: dict) -> None:
        known = {"type", "id", "account_id", "kind", "status", "amount", "close_date", "name",
                 "stage", "expansion_type", "crm"}
        row = {
            "id": r.text(rec, "id", required=True, max_len=200),
            "account_id": self._account_ref(rec),
            "kind": r.enum(rec, "deal", "kind"),
            "status": r.enum(rec, "deal", "status"),
            "amount": r.money(rec, "amount"),
            "close_date": r.day(rec, "close_date", required=True),
            "name": r.text(rec, "name", max_len=500),
            "stage": r.text(rec, "stage", max_len=200),
            "expansion_type": r.enum(rec, "deal", "expansion_type", required=False),
            "attributes": r.extras(rec, known),
        }
        self._crm_links(rec, "deal", row["account_id"])
        self._put("deal", (row["id"],), row)

    def _add_ticket(self, rec: dict) -> None:
        known = {"type", "id", "account_id", "status", "priority", "created_at", "subject",
                 "first_response_at", "solved_at", "crm"}
        row = {
            "id": r.text(rec, "id", required=True, max_len=200),
            "account_id": self._account_ref(rec),
            "status": r.enum(rec, "ticket", "status"),
            "priority": r.enum(rec, "ticket", "priority"),
            "created_at": r.instant(rec, "created_at", required=True),
            "first_response_at": r.instant(rec, "first_response_at"),
            "solved_at": r.instant(rec, "solved_at"),
            "subject": r.text(rec, "subject"),
            "satisfaction": r.enum(rec, "ticket", "satisfaction", required=False),
            "attributes": {**r.extras(rec, known | {"satisfaction"}), **r.ticket_fields(rec)},
        }
        self._crm_links(rec, "ticket", row["account_id"])
        self._put("ticket", (row["id"],), row)

    def _add_task(self, rec: dict) -> None:
        known = {"type", "id", "account_id", "subject", "status", "due_date", "owner", "note",
                 "created_at", "crm"}
        row = {
            "id": r.text(rec, "id", required=True, max_len=200),
            "account_id": self._account_ref(rec),
            "subject": r.text(rec, "subject", required=True, max_len=500),
            "status": r.enum(rec, "task", "status"),
            "due_date": r.day(rec, "due_date"),
            "owner": r.email(rec, "owner"),
            "note": r.text(rec, "note"),
            "created_at": r.instant(rec, "created_at"),
            "updated_at": datetime.now(timezone.utc),
            "source": self.source,
            "attributes": r.extras(rec, known),
        }
        crm = rec.get("crm")
        if isinstance(crm, dict):
            row["crm_system"] = r.enum(crm, "crm", "system")
            row["crm_id"] = r.text(crm, "id", required=True, max_len=100)
            row["crm_sync_status"] = "synced"
        self._put("task", (row["id"],), row)

    def _dated(self, rec: dict, rtype: str, known: set[str], fields: tuple[str, ...],
               extra: dict) -> dict:
        row = {
            "account_id": self._account_ref(rec),
            "date": r.day(rec, "date", required=True),
            **extra,
            "attributes": r.extras(rec, known | {"type", "id", "account_id", "date"}),
        }
        row["id"] = r.text(rec, "id", max_len=200) or r.content_id(rtype, rec, fields)
        self._put(rtype, (row["id"],), row)
        return row

    def _add_touchpoint(self, rec: dict) -> None:
        self._dated(rec, "touchpoint", {"kind", "owner"}, ("account_id", "kind", "date", "owner"),
                    {"kind": r.enum(rec, "touchpoint", "kind"), "owner": r.email(rec, "owner")})

    def _add_nps(self, rec: dict) -> None:
        self._comment(rec, "nps", self._dated(rec, "nps", {"score", "contact_email", "comment"},
                    ("account_id", "score", "date", "contact_email"),
                    {"score": r.number(rec, "score", required=True, lo=0, hi=10, integer=True),
                     "contact_email": r.email(rec, "contact_email"),
                     "comment": r.text(rec, "comment")}))

    def _add_survey(self, rec: dict) -> None:
        scale = r.number(rec, "scale", required=True, lo=1, hi=1_000_000)
        score = r.number(rec, "score", required=True, lo=0, hi=float(scale))
        self._comment(rec, "survey", self._dated(
            rec, "survey", {"kind", "score", "scale", "comment"},
            ("account_id", "kind", "score", "scale", "date"),
            {"kind": r.enum(rec, "survey", "kind"), "score": score, "scale": scale}))

    def _comment(self, rec: dict, source: str, row: dict) -> None:
        """A survey or NPS comment is also a message (scored; its text kept per the policy)."""
        text, now = r.text(rec, "comment"), datetime.now(timezone.utc)
        if text and text.strip():
            self._add_message(comment_message(row, source, text))
        if row.get("comment"):
            row["comment"] = self.messages.stored_text(row["comment"], at_noon(row["date"]), now)

    def _add_advocacy(self, rec: dict) -> None:
        self._dated(rec, "advocacy", {"kind"}, ("account_id", "kind", "date"),
                    {"kind": r.enum(rec, "advocacy", "kind")})

    def _add_message(self, rec: dict) -> None:
        row = message_row(rec, self._account_ref(rec), self.messages, datetime.now(timezone.utc))
        self._put("message", (row["id"],), row)

    # -- deletions ----------------------------------------------------------
    def delete(self, rtype: str, record_id: str, erase: bool = False) -> bool:
        """Remove a record deleted or archived at its source; True when something was removed.
        `erase` (a privacy deletion) removes a champion contact too instead of keeping it."""
        self.flush()
        model = DELETABLE[rtype]
        row = self.session.get(model, record_id)
        if row is None:
            return False
        acc = record_id if rtype == "account" else row.account_id
        self._touched.add(acc)
        self._gone = merge(self._gone, {acc: record_day(rtype, row)})
        if rtype == "contact" and row.champion and not erase:
            # A removed champion is kept inactive so the champion_left signal can fire.
            if row.active:
                row.active = False
                row.inactive_since = datetime.now(timezone.utc).date()
            row.attributes = {**(row.attributes or {}), "removed": True}
            self.session.flush()
            self.loaded[f"{rtype}_deleted"] += 1
            return True
        self.session.delete(row)
        self.session.flush()
        if rtype == "account" and self._known is not None:
            self._known.discard(record_id)
        self.loaded[f"{rtype}_deleted"] += 1
        return True

    # -- writing ----------------------------------------------------------
    def flush(self) -> None:
        """Write every buffered record (inside the caller's transaction)."""
        s = self.session
        rows = self._rows
        earliest = affected_days(s, rows)  # compared with the stored rows before they change
        if rows.get("account"):
            accounts = list(rows["account"].values())
            # the record's own columns: the usage stamp is the usage writes' (below)
            upsert(s, m.Account, accounts, ["id"], [c for c in accounts[0] if c != "id"])
            ids = [a["id"] for a in accounts]
            s.execute(delete(m.AccountDomain).where(m.AccountDomain.account_id.in_(ids)))
            domains = [{"domain": d, "account_id": a["id"]} for a in accounts for d in a["domains"]]
            upsert(s, m.AccountDomain, domains, ["domain", "account_id"], [])
        upsert(s, m.CrmLink, list(rows.get("crm", {}).values()), ["system", "record_id"])
        if rows.get("contact"):
            upsert_contacts(s, list(rows["contact"].values()))
        for rtype, model in (("deal", m.Deal), ("ticket", m.Ticket),
                             ("touchpoint", m.Touchpoint), ("nps", m.NpsResponse),
                             ("survey", m.Survey), ("advocacy", m.Advocacy),
                             ("message", m.Message)):
            upsert(s, model, list(rows.get(rtype, {}).values()), ["id"])
        if rows.get("task"):
            self._flush_tasks(list(rows["task"].values()))
        used = self._events.flush()  # the accounts that received new events
        self._touched |= used
        self.usage_accounts |= used
        self._touched |= set(earliest)  # also the account a record moved away from
        if self._touched:
            self.touched_accounts |= self._touched
            first_days = self._events.first_days
            mark(s, self._touched, merge(merge(earliest, first_days), self._gone))
            self._events.first_days, self._gone = {}, {}
            # the North Star rollups' stamps move with new usage only
            stamp_accounts(s, self._touched, used, first_days, datetime.now(timezone.utc))
        self._rows = defaultdict(dict)
        self._touched = set()
        self.pending = 0

    def _flush_tasks(self, tasks: list[dict]) -> None:
        # Imported tasks never overwrite the CRM write-back state kept on the row.
        for t in tasks:
            t.setdefault("crm_system", None)
            t.setdefault("crm_id", None)
            t.setdefault("crm_sync_status", None)
        keep = [c for c in tasks[0] if c not in ("id", "crm_system", "crm_id", "crm_sync_status")]
        upsert(self.session, m.Task, tasks, ["id"], keep)
        linked = [t for t in tasks if t["crm_id"]]
        for t in linked:
            self.session.execute(update(m.Task).where(m.Task.id == t["id"]).values(
                crm_system=t["crm_system"], crm_id=t["crm_id"], crm_sync_status="synced"))

    def finish(self) -> None:
        """Flush what is left and record the source's freshness; with new usage for many
        accounts, queue the rebuild of their North Star rollups (before any read needs it)."""
        self.flush()
        from server.services import north_star  # the service layer, above the record path

        north_star.queue_rollups(self.session, len(self.usage_accounts))
        total = sum(v for k, v in self.loaded.items() if not k.endswith("_deleted"))
        now = datetime.now(timezone.utc)
        row = self.session.get(m.SourceFreshness, self.source)
        if row is None:
            self.session.add(m.SourceFreshness(source=self.source, synced_at=now, records=total))
        else:
            row.synced_at = now
            row.records = (row.records or 0) + total


def load_records(session: Session, recs: Iterable[dict], source: str = "import") -> Loader:
    """Load an iterable of records in one transaction; raises RecordError on the first bad one."""
    loader = Loader(session, source)
    for rec in recs:
        loader.add(rec)
    loader.finish()
    return loader


def day_of(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value

