"""Parked records: a connector's record whose account is not in the store yet waits here.

A HubSpot deal or ticket (or contact, task, touchpoint...) linked to a company that has not
landed yet used to be skipped, and the stream's cursor moved past it: it was lost until a
`--full` run. Now it is parked (`parked_records`, in the page's own transaction) and lands
as soon as its account does: when a page brings the account (same run, another stream) or,
at the start of each stream, when the account arrived some other way meanwhile (a later
run, an import). A newer version of the record read from the vendor replaces the parked
one, a record deleted at the vendor leaves the park, and the parked count is kept on each
run (`sync_runs.parked`) until the records land.

One cause, one counter: a record with no company link at all is `unmapped` (there is no
parent to wait for); one linked to a company the store does not have is `parked`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import delete, func, select, tuple_
from sqlalchemy.orm import Session

from server import models as m
from server.records import RecordError, UnknownAccount

#: Record types that never wait: an account is the parent itself; events are aggregated
#: per day at ingest and come from analytics tools that attribute them to known accounts.
NOT_PARKED = frozenset({"account", "event"})
P = m.ParkedRecord


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


def land(s: Session, loader: Any, rows: list[m.ParkedRecord], counts: dict,
         sample: Any) -> int:
    """Add the parked `rows` to the loader (they land with the page) and drop them from the
    park; one that is not loadable for another reason is counted skipped. Returns landed."""
    landed = 0
    for row in rows:
        try:
            loader.add(dict(row.record))
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
    """The park as one stream's pages see it (all in the page's transaction)."""

    def __init__(self, s: Session, source: str, stream: str) -> None:
        self.s, self.source, self.stream = s, source, stream
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
               deletions: list[tuple[str, str]], counts: dict, sample: Any) -> None:
        """After a page's records were added: drop parked versions of what landed or was
        deleted, then land the parked records whose account is now there."""
        if not self.active:
            return
        forget(self.s, self.source, [*landed, *deletions])
        rows: list[m.ParkedRecord] = []
        if self.first:
            rows = ready(self.s, self.source)
        if accounts:
            seen = {(r.record_type, r.record_id) for r in rows}
            rows += [r for r in ready(self.s, self.source, accounts)
                     if (r.record_type, r.record_id) not in seen]
        self.first = False
        if rows:
            land(self.s, loader, rows, counts, sample)
