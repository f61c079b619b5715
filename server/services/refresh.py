"""Fresh on open: when an account's CRM data is older than the configured age, opening it in
the extension fetches that one account and its contacts, deals, tickets and tasks from
HubSpot or Salesforce (the connectors' clients, by record id: no cursor moves) and lands them
through the record path in one transaction.

Per account and CRM one refresh runs at a time and its answer is shared: a request that finds
one running waits for it; one within the age of the last refresh (or of the CRM's last full
sync) answers "fresh" without calling the vendor. The row in account_refreshes is the lock,
so this holds across processes."""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from server import models as m
from server.errors import ApiError
from server.extension_models import AccountRefresh
from server.ingest import Loader
from server.models import utcnow

log = logging.getLogger(__name__)

#: The streams that carry one account's records, in landing order (the account first).
STREAMS = {"hubspot": ("companies", "contacts", "deals", "tickets", "tasks"),
           "salesforce": ("accounts", "contacts", "opportunities", "cases", "tasks")}
#: A refresh not finished after this long is taken over (its process died).
STALE = timedelta(minutes=2)
#: After a failed refresh, the vendor is not asked again for this long.
RETRY_AFTER = timedelta(minutes=1)
WAIT_SECONDS = 30.0




def crm_links(session, account_id: str) -> list[tuple[str, str]]:
    """(system, record id) of the account's own CRM records."""
    return [(sys_, rid) for sys_, rid in session.execute(
        select(m.CrmLink.system, m.CrmLink.record_id).where(
            m.CrmLink.account_id == account_id, m.CrmLink.object_type == "account",
            m.CrmLink.system.in_(tuple(STREAMS))).order_by(m.CrmLink.system))]


def _fetched(row: AccountRefresh | None) -> datetime | None:
    return row.finished_at if row is not None and row.status == "success" else None


def _answer(row: AccountRefresh, status: str, max_age: timedelta, synced: datetime | None) -> dict:
    fetched = _fetched(row)
    latest = max([t for t in (fetched, synced) if t is not None], default=None)
    return {"status": status, "system": row.system if row is not None else None,
            "fetched_at": fetched, "crm_data_at": latest,
            "records": row.records if row is not None else 0,
            "error": row.error if row is not None and row.status == "failed" else None,
            "next_after": latest + max_age if latest else None}


def refresh(store, account_id: str, connector_for: Callable[[str], Any], max_age: timedelta,
            force: bool = False, since: datetime | None = None) -> dict:
    """Refresh the account from its CRM when its data is older than `max_age`.

    status: "refreshed" (this call fetched), "shared" (another call's fetch, waited for),
    "fresh" (young enough: no vendor call), "failed" (the vendor call failed, now or within
    RETRY_AFTER), "not_linked" (no CRM record), "not_connected" (its CRM is not connected).
    `force` fetches whatever the age, except when a fetch finished after `since` (a refresh
    job asked for at `since` that another refresh already served).
    """
    found = target(store, account_id, connector_for)
    if isinstance(found, dict):
        return found
    system, record_id, conn = found
    try:
        return _refresh(store, account_id, system, record_id, conn, max_age, force, since)
    finally:
        close(conn)


def target(store, account_id: str, connector_for: Callable[[str], Any]) -> dict | tuple:
    """(system, record id, connector) of the account's first connected CRM, or the answer
    when there is none (not_linked, not_connected); 404 for an unknown account."""
    with store.sessions() as s:
        if s.get(m.Account, account_id) is None:
            raise ApiError(404, "not_found", f"No account with id {account_id}",
                           {"account_id": account_id})
        links = crm_links(s, account_id)
    if not links:
        return _nothing("not_linked", None)
    from connectors.errors import ConfigError

    for system, record_id in links:  # the first CRM of the account that is connected
        try:
            return system, record_id, connector_for(system)
        except ConfigError:
            continue
    return _nothing("not_connected", links[0][0])


def close(conn: Any) -> None:
    if hasattr(conn, "close"):
        conn.close()


def known(store, account_id: str, system: str) -> tuple[datetime | None, AccountRefresh | None]:
    """The CRM's last full sync and the account's refresh row (detached)."""
    with store.sessions() as s:
        fresh = s.get(m.SourceFreshness, system)
        row = s.get(AccountRefresh, (account_id, system))
        if row is not None:
            s.expunge(row)
        return (fresh.synced_at if fresh else None), row


def running(row: AccountRefresh | None, now: datetime) -> bool:
    return row is not None and row.finished_at is None and now - row.started_at < STALE


def no_fetch(row: AccountRefresh | None, synced: datetime | None, max_age: timedelta,
             now: datetime) -> dict | None:
    """The answer when no fetch is due: "fresh" within the age, "failed" within
    RETRY_AFTER of a failed one; None when the CRM should be asked."""
    latest = max([t for t in (_fetched(row), synced) if t], default=None)
    if latest is not None and now - latest < max_age:
        return _answer(row, "fresh", max_age, synced)
    if row is not None and row.status == "failed" and row.finished_at is not None \
            and now - row.finished_at < RETRY_AFTER:
        return _answer(row, "failed", max_age, synced)
    return None


def _nothing(status: str, system: str | None) -> dict:
    return {"status": status, "system": system, "fetched_at": None, "crm_data_at": None,
            "records": 0, "error": None, "next_after": None}


def _refresh(store, account_id: str, system: str, record_id: str, conn: Any,
             max_age: timedelta, force: bool, since: datetime | None = None) -> dict:
    synced, row = known(store, account_id, system)
    now = utcnow()
    if running(row, now):
        return _answer(_wait(store, account_id, system), "shared", max_age, synced)
    fetched = _fetched(row)
    if since is not None and fetched is not None and fetched >= since:
        return _answer(row, "shared", max_age, synced)
    early = no_fetch(row, synced, timedelta(0) if force else max_age, now)
    if early is not None:   # fresh (never when forced), or failed a moment ago
        return early
    if not _claim(store, account_id, system, row, now):
        return _answer(_wait(store, account_id, system), "shared", max_age, synced)
    done = _run(store, account_id, system, record_id, conn)
    return _answer(done, "refreshed" if done.status == "success" else "failed", max_age, synced)


def _claim(store, account_id: str, system: str, row: AccountRefresh | None,
           now: datetime) -> bool:
    """Take the account's refresh lock; False when another request took it first."""
    try:
        with store.session() as s:
            if row is None:
                s.add(AccountRefresh(account_id=account_id, system=system, started_at=now,
                                     status="running", records=0))
                return True
            done = s.execute(update(AccountRefresh).where(
                AccountRefresh.account_id == account_id, AccountRefresh.system == system,
                AccountRefresh.started_at == row.started_at).values(
                started_at=now, finished_at=None, status="running", error=None),
                execution_options={"synchronize_session": False})
            return done.rowcount == 1
    except IntegrityError:
        return False


def _wait(store, account_id: str, system: str, seconds: float = WAIT_SECONDS) -> AccountRefresh:
    deadline = time.monotonic() + seconds
    while True:
        with store.sessions() as s:
            row = s.get(AccountRefresh, (account_id, system))
            s.expunge(row)
        if row.finished_at is not None or time.monotonic() > deadline:
            return row
        time.sleep(0.1)


def _run(store, account_id: str, system: str, record_id: str, conn: Any) -> AccountRefresh:
    from connectors.errors import ConnectorError
    from server.sync.engine import _land
    from server.sync.lookups import account_lookup, store_links
    from server.sync.runs import new_counts

    counts, unmapped = new_counts(), Counter()
    status, error = "success", None
    try:
        with store.sessions() as s:
            links = store_links(s, system)
        conn.bind(links, account_lookup=account_lookup(store, getattr(conn, "workspace", None)))
        with store.session() as s:
            loader = Loader(s, source=system)
            for name in STREAMS[system]:
                for page in conn.get_stream(name).account_pages(record_id):
                    _land(loader, page, counts, unmapped)
    except Exception as exc:  # the lock row must not stay "running"
        said = str(exc) if isinstance(exc, ConnectorError) else type(exc).__name__
        status, error = "failed", said[:500]
        log.warning("refresh of %s from %s failed: %s", account_id, system, said)
    with store.session() as s:
        row = s.get(AccountRefresh, (account_id, system))
        row.finished_at, row.status, row.error = utcnow(), status, error
        row.records = counts["records"]
        s.flush()
        s.expunge(row)
    return row
