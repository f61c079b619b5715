"""Parked records: a connector's record whose account is not in the store yet waits here.

A HubSpot deal or ticket (or contact, task, touchpoint...) linked to a company that has not
landed yet used to be skipped, and the stream's cursor moved past it: it was lost until a
`--full` run. Now it is parked (`parked_records`, in the page's own transaction) and lands
as soon as its account does: when a page brings the account (same run, another stream) or,
at the start of each stream, when the account arrived some other way meanwhile (a later
run, an import). The account is matched by its id or through its CRM link: a record
waiting for `hubspot-123` lands on `acme` when `acme` came with `crm: {hubspot, 123}`
(`Connector.parent_crm_ids`). A newer version of the record read from the vendor replaces
the parked one, a record deleted at the vendor leaves the park, and the parked count is kept on each
run (`sync_runs.parked`) until the records land.

One cause, one counter: a record with no company link at all is `unmapped` (there is no
parent to wait for); one linked to a company the store does not have is `parked`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import delete, func, select, tuple_
from sqlalchemy.orm import Session

from server import models as m
from server.records import RecordError, UnknownAccount

#: Record types that never wait: an account is the parent itself; events are aggregated
#: per day at ingest and come from analytics tools that attribute them to known accounts.
NOT_PARKED = frozenset({"account", "event"})
P = m.ParkedRecord
#: The forms of the CRM record id a connector's own account id stands for
#: (`Connector.parent_crm_ids`: `hubspot-123` -> ["123"]); [] when it stands for none.
CrmIds = Callable[[str], list[str]]


def parkable(rec: Any, exc: RecordError) -> bool:
    """True when `rec` failed only because its account is not in the store yet."""
    return (isinstance(exc, UnknownAccount) and isinstance(rec, dict)
            and rec.get("type") not in NOT_PARKED and isinstance(rec.get("id"), str)
            and bool(rec["id"]))


def park(s: Session, source: str, stream: str, rec: dict, parent_id: str) -> None:
    """Keep `rec` until the account `parent_id` lands (a newer version replaces it)."""
    key = (source, rec["type"], rec["id"])
    row = s.get(P, key)
    if row is None:
        s.add(P(source=source, record_type=rec["type"], record_id=rec["id"],
                parent_id=parent_id, stream=stream, record=rec, parked_at=m.utcnow()))
    else:
        row.parent_id, row.stream, row.record, row.parked_at = (parent_id, stream, rec,
                                                                m.utcnow())
    s.flush()


def forget(s: Session, source: str, keys: Iterable[tuple[str, str]]) -> int:
    """Drop parked versions of records that landed or were deleted: (type, id) pairs."""
    keys = list(keys)
    n = 0
    for i in range(0, len(keys), 500):
        chunk = keys[i:i + 500]
        n += s.execute(delete(P).where(P.source == source, tuple_(P.record_type, P.record_id)
                                       .in_(chunk))
                       .execution_options(synchronize_session=False)).rowcount or 0
    return n


def any_parked(s: Session, source: str) -> bool:
    return s.scalar(select(P.record_id).where(P.source == source).limit(1)) is not None


def ready(s: Session, source: str, parents: set[str] | None = None) -> list[m.ParkedRecord]:
    """Parked records of `source` whose account is now in the store (or among `parents`,
    accounts landed in the current transaction)."""
    q = select(P).where(P.source == source).order_by(P.parked_at, P.record_type, P.record_id)
    if parents is not None:
        q = q.where(P.parent_id.in_(sorted(parents)))
    else:
        q = q.where(P.parent_id.in_(select(m.Account.id)))
    return list(s.scalars(q))


def relinked(s: Session, source: str, crm_ids: CrmIds,
             page_links: dict[str, str] | None = None) -> dict[str, str]:
    """{parked parent id: account id} for parents that are not accounts themselves but whose
    CRM record is linked to an account under another id (`hubspot-123` waits, and the
    company 123 arrived through an import as `acme`, with `crm: {hubspot, 123}`).

    `page_links` ({crm id: account id}) are the account links of the current page, not
    flushed yet; without them the store's links are read.
    """
    parents = list(s.scalars(select(P.parent_id).where(P.source == source).distinct()))
    wanted: dict[str, str] = {}  # crm id form -> parent id
    for parent in parents:
        for rid in crm_ids(parent):
            wanted.setdefault(rid, parent)
    if not wanted:
        return {}
    if page_links is not None:
        found = {rid: acc for rid, acc in page_links.items() if rid in wanted}
    else:
        found = {}
        keys = sorted(wanted)
        for i in range(0, len(keys), 500):
            found.update(s.execute(
                select(m.CrmLink.record_id, m.CrmLink.account_id).where(
                    m.CrmLink.system == source, m.CrmLink.object_type == "account",
                    m.CrmLink.record_id.in_(keys[i:i + 500]))).all())
    out: dict[str, str] = {}
    for rid, acc in sorted(found.items()):
        parent = wanted[rid]
        if parent != acc:
            out.setdefault(parent, acc)
    return out


def land(s: Session, loader: Any, rows: list[m.ParkedRecord], counts: dict,
         sample: Any, moved: dict[str, str] | None = None) -> int:
    """Add the parked `rows` to the loader (they land with the page) and drop them from the
    park; one that is not loadable for another reason is counted skipped. A row whose parent
    is in `moved` ({parent id: account id}) lands on that account. Returns landed."""
    landed = 0
    for row in rows:
        rec = dict(row.record)
        if row.parent_id in (moved or {}):
            rec["account_id"] = moved[row.parent_id]
        try:
            loader.add(rec)
            landed += 1
        except RecordError as exc:
            counts["skipped"] += 1
            sample(counts, {"vendor_id": (row.record.get("crm") or {}).get("id")
                            if isinstance(row.record.get("crm"), dict) else None,
                            "type": row.record_type, "reason": exc.reason})
        s.delete(row)
    s.flush()
    counts["unparked"] = counts.get("unparked", 0) + landed
    counts["records"] += landed
    return landed


def waiting(s: Session, source: str) -> dict[str, int]:
    """{record type: parked records} of a connector, what still waits for its account."""
    return {rtype: n for rtype, n in s.execute(
        select(P.record_type, func.count()).where(P.source == source)
        .group_by(P.record_type).order_by(P.record_type))}


def waiting_all(s: Session, source: str | None = None) -> dict[str, dict[str, int]]:
    """{connector: {record type: parked records}} (one connector, or all)."""
    q = select(P.source, P.record_type, func.count()).group_by(P.source, P.record_type) \
        .order_by(P.source, P.record_type)
    if source:
        q = q.where(P.source == source)
    out: dict[str, dict[str, int]] = {}
    for src, rtype, n in s.execute(q):
        out.setdefault(src, {})[rtype] = n
    return out


class StreamPark:
    """The park as one stream's pages see it (all in the page's transaction).

    `crm_ids` maps a parked parent id to the CRM record ids it stands for, so a record
    waiting for `hubspot-123` lands on whichever account the company 123 is linked to.
    """

    def __init__(self, s: Session, source: str, stream: str,
                 crm_ids: CrmIds | None = None) -> None:
        self.s, self.source, self.stream = s, source, stream
        self.crm_ids = crm_ids
        self.active = any_parked(s, source)  # anything parked for this connector?
        self.first = True

    def keep(self, rec: Any, exc: RecordError, counts: dict) -> bool:
        """Park `rec` when it failed only for its missing account; True when parked."""
        if not parkable(rec, exc):
            return False
        park(self.s, self.source, self.stream, rec, exc.account_id)
        counts["parked"] = counts.get("parked", 0) + 1
        self.active = True
        return True

    def settle(self, loader: Any, landed: list[tuple[str, str]], accounts: set[str],
               deletions: list[tuple[str, str]], counts: dict, sample: Any,
               links: dict[str, str] | None = None) -> None:
        """After a page's records were added: drop parked versions of what landed or was
        deleted, then land the parked records whose account is now there: by its id, or
        through the account's CRM link (`links`: {crm id: account id} of the page's
        accounts; at the stream's start, the store's links)."""
        if not self.active:
            return
        forget(self.s, self.source, [*landed, *deletions])
        rows: list[m.ParkedRecord] = []
        moved: dict[str, str] = {}
        if self.first:
            rows = ready(self.s, self.source)
            if self.crm_ids is not None:
                moved.update(relinked(self.s, self.source, self.crm_ids))
        if accounts:
            rows += ready(self.s, self.source, accounts)
        if links and self.crm_ids is not None:
            for parent, acc in relinked(self.s, self.source, self.crm_ids, links).items():
                moved.setdefault(parent, acc)
        if moved:
            rows += ready(self.s, self.source, set(moved))
        self.first = False
        unique = {(r.record_type, r.record_id): r for r in rows}
        if unique:
            land(self.s, loader, list(unique.values()), counts, sample, moved)
