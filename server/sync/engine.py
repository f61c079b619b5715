"""The sync engine: runs a connector's streams and lands every page through the record path.

Each page is ONE transaction: its records go through server.ingest.Loader (the same code
as the JSONL import), its deletions are applied, and the stream's cursor state is saved
with it. A crash, even `kill -9`, loses nothing and duplicates nothing: a rerun resumes
from the last committed page, and the record path upserts by (type, id). A page the
database aborts for a deadlock is rolled back and landed again (server.sync.conflicts).
Every run is recorded in `sync_runs` (server.sync.runs) and served at GET /api/v1/syncs.
"""

from __future__ import annotations

import copy
import logging
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

from server import models as m
from server.db import Store
from server.ingest import Loader
from server.records import RecordError
from server.sync import conflicts, parking, runs
from server.sync.lookups import account_lookup, store_links
from server.sync.prefetch import Prefetch

log = logging.getLogger(__name__)

MAX_SAMPLES = 50
TOP_UNMAPPED = 20

Progress = Callable[[str, str, dict], None]


def _vendor_id(rec: Any) -> str | None:
    if not isinstance(rec, dict):
        return None
    crm = rec.get("crm")
    if isinstance(crm, dict) and crm.get("id"):
        return str(crm["id"])
    for key in ("vendor_id", "id"):
        if rec.get(key) is not None:
            return str(rec[key])
    return None


def _land(loader: Loader, page: Any, counts: dict, unmapped: Counter,
          park: parking.StreamPark | None = None) -> None:
    """Add a page's records and deletions to the loader and flush them (no commit).

    With a `park`, a record whose account is not in the store yet is parked, not skipped;
    parked records whose account landed (in this page, or before the stream started) land
    with the page. Without one (the one-account refresh), such a record is skipped.
    """
    before = dict(loader.loaded)
    skipped = parked = 0
    landed: list[tuple[str, str]] = []
    accounts: set[str] = set()
    links: dict[str, str] = {}  # {crm id: account id} of the page's accounts
    for rec in page.records:
        try:
            loader.add(rec)
        except RecordError as exc:
            if park is not None and park.keep(rec, exc, counts):
                parked += 1
                continue
            skipped += 1
            _sample(counts, {"vendor_id": _vendor_id(rec),
                             "type": rec.get("type") if isinstance(rec, dict) else None,
                             "reason": exc.reason})
            continue
        landed.append((rec["type"], str(rec.get("id"))))
        if rec["type"] == "account":
            accounts.add(str(rec["id"]))
            if park is not None:
                links.update(_account_links(rec, park.source))
    counts["records"] += len(page.records) - skipped - parked
    if park is not None:
        park.settle(loader, landed, accounts, list(page.deletions), counts, _sample, links)
    for rtype, rid in page.deletions:
        if loader.delete(rtype, rid):
            counts["deleted"] += 1
    loader.flush()
    for item in page.skipped:
        skipped += 1
        _sample(counts, item)
    for warning in page.warnings:
        if warning not in counts["errors"]:
            counts["errors"].append(warning)
    counts["skipped"] += skipped
    by_type = counts["by_type"]
    for rtype, n in loader.loaded.items():
        if not rtype.endswith("_deleted") and n != before.get(rtype, 0):
            by_type[rtype] = by_type.get(rtype, 0) + n - before.get(rtype, 0)
    if page.unmapped:
        unmapped.update(page.unmapped)
        counts["unmapped"] = sum(unmapped.values())
        counts["unmapped_keys"] = dict(unmapped.most_common(TOP_UNMAPPED))
    counts["pages"] += 1


def _account_links(rec: dict, system: str) -> dict[str, str]:
    """{crm id: account id} of an account record's `crm` links to `system`."""
    crm = rec.get("crm")
    items = crm if isinstance(crm, list) else [crm]
    return {str(c["id"]): str(rec["id"]) for c in items
            if isinstance(c, dict) and c.get("system") == system and c.get("id")}


def _sample(counts: dict, item: dict) -> None:
    if len(counts["skipped_samples"]) < MAX_SAMPLES:
        counts["skipped_samples"].append(item)


def _commit_page(s, loader: Loader, park: parking.StreamPark, page: Any, counts: dict,
                 unmapped: Counter, save: Callable[[], Any]) -> None:
    """Land one page and commit it with what `save` writes (the stream's state, the run).

    A page the database aborted for a deadlock (server.sync.conflicts) changed nothing: it
    is landed again, `retried_pages` counts it. Any other error rolls the page back and
    propagates; the page's counts are rolled back with it."""
    for attempt in range(1, conflicts.PAGE_ATTEMPTS + 1):
        before = copy.deepcopy(counts), Counter(unmapped), loader.checkpoint()
        parked = park.active, park.first
        try:
            _land(loader, page, counts, unmapped, park)
            save()
            s.commit()
            return
        except BaseException as exc:
            s.rollback()
            counts.clear()
            counts.update(before[0])
            unmapped.clear()
            unmapped.update(before[1])
            if attempt == conflicts.PAGE_ATTEMPTS or not conflicts.retryable(exc):
                raise
            loader.rollback_to(before[2])
            park.active, park.first = parked
            counts["retried_pages"] = counts.get("retried_pages", 0) + 1
            wait = conflicts.pause(attempt)
            log.warning("%s: page rolled back by the database (%s); landing it again in "
                        "%.2fs (attempt %d of %d)", loader.source,
                        getattr(exc, "orig", exc).__class__.__name__, wait, attempt + 1,
                        conflicts.PAGE_ATTEMPTS)
            time.sleep(wait)


def _run_stream(store: Store, connector: Any, stream: Any, state: dict | None, run_id: int,
                report: dict, counts: dict, notify: Progress) -> None:
    """Land every page of one stream, each in its own transaction with the stream's state.

    One Loader (and session) serves the whole stream, so what it knows about accounts is
    read once, not once per page; the session commits after every page.
    """
    name = stream.name
    unmapped: Counter = Counter()
    began = time.monotonic()
    with store.sessions() as s:
        loader = Loader(s, source=connector.name)
        park = parking.StreamPark(s, connector.name, name,
                                  getattr(connector, "parent_crm_ids", None))
        pages = Prefetch(stream.pages(state))
        try:
            for page in pages:
                _commit_page(s, loader, park, page, counts, unmapped,
                             lambda: (runs.save_state(s, connector.name, name, page.state,
                                                      run_id), runs.save_run(s, run_id, report)))
                log.info("%s/%s: page %d landed; %d records so far (%d skipped, %d deleted) "
                         "in %.1fs", connector.name, name, counts["pages"], counts["records"],
                         counts["skipped"], counts["deleted"], time.monotonic() - began)
                notify("page", name, counts)
        finally:
            pages.close()
            if counts["pages"] and s.is_active:
                try:
                    loader.finish()  # source freshness, for the pages that landed
                    s.commit()
                except Exception:  # never hide the error that stopped the stream
                    s.rollback()
                    log.exception("%s/%s: could not record freshness", connector.name, name)


def run_sync(store: Store, connector: Any, streams: list[str] | None = None, full: bool = False,
             progress: Progress | None = None, exclusive: bool = False) -> dict:
    """Sync the connector's streams (all by default); returns the run report.

    `full` ignores saved cursors and re-reads everything (records are upserted, so it is
    safe). `progress(event, stream, counts)` is called with "start", "page" and "end".
    `exclusive`: the caller holds the connector's job lock (server.jobs), so a run still
    marked running on another host is a dead worker's and is taken over.
    """
    names = list(streams) if streams else connector.stream_names()
    for name in names:
        connector.get_stream(name)  # unknown names fail before anything starts
    run_id = runs.start_run(store, connector.name, names, full, exclusive)
    try:
        return _run(store, connector, names, full, progress, run_id)
    finally:
        runs.ACTIVE.discard(run_id)


def _note_missing_scopes(connector: Any, names: list[str], report: dict) -> None:
    """Ask the vendor which scopes the credentials have (`connector.preflight`, HubSpot's
    token info) and note on each stream what it lacks (`missing_scopes`), so the card and
    GET /api/v1/syncs name them before the stream runs into its 403. The streams still
    run: the vendor's own answer decides."""
    preflight = getattr(connector, "preflight", None)
    if preflight is None:
        return
    try:
        gaps = (preflight(names) or {}).get("missing") or {}
    except Exception as exc:  # noqa: BLE001 - a preflight never stops a sync
        log.warning("%s: could not read the token's scopes (%s)", connector.name,
                    type(exc).__name__)
        return
    for name in names:
        scopes = [*gaps.get(name, []), *gaps.get("owners", [])]
        if scopes:
            report[name]["missing_scopes"] = scopes
            log.warning("%s/%s: the token lacks %s", connector.name, name, ", ".join(scopes))


def stops_the_run(exc: Exception) -> bool:
    """A failure every later stream would hit too: rejected credentials (401, not a 403
    missing one object's scope), a setting, an exhausted vendor quota."""
    from connectors.errors import AuthError, ConfigError, RateLimitError

    if isinstance(exc, AuthError):
        return exc.status != 403
    return isinstance(exc, ConfigError) or (
        isinstance(exc, RateLimitError) and exc.quota_exhausted)


def run_status(report: dict[str, dict]) -> str:
    """success when every stream completed cleanly; failed when none completed and nothing
    landed; partial otherwise (some streams, or some pages, landed)."""
    statuses = [c["status"] for c in report.values()]
    if all(st == "success" for st in statuses):
        return "success"
    landed = sum(c["records"] + c["deleted"] + c.get("parked", 0) for c in report.values())
    if landed == 0 and not any(st in ("success", "partial") for st in statuses):
        return "failed"
    return "partial"


def _summary(report: dict[str, dict]) -> str | None:
    """What went wrong, stream by stream ("deals: HubSpot deals: 403 ...")."""
    lines = [f"{name}: {err.get('text') or err.get('message')}"
             for name, c in report.items() if c["status"] in ("failed", "partial")
             for err in c["errors"][:1]]
    return "; ".join(lines)[:2000] or None


def _run(store: Store, connector: Any, names: list[str], full: bool,
         progress: Progress | None, run_id: int) -> dict:
    from connectors.errors import ConnectorError

    with store.sessions() as s:
        links = store_links(s, connector.name)
    connector.bind(links, account_lookup=account_lookup(store, connector.workspace))
    report: dict[str, dict] = {name: runs.new_counts() for name in names}
    _note_missing_scopes(connector, names, report)
    with store.session() as s:
        runs.save_run(s, run_id, report)
    stopped = None
    notify = progress or (lambda *_: None)
    log.info("%s: sync run %d started (streams: %s%s)", connector.name, run_id,
             ", ".join(names), ", full" if full else "")
    try:
        for name in names:
            counts = report[name]
            counts["status"], counts["started_at"] = "running", m.utcnow().isoformat()
            notify("start", name, counts)
            state = None if full else runs.load_state(store, connector.name, name)
            stream = connector.get_stream(name)
            try:
                _run_stream(store, connector, stream, state, run_id, report, counts, notify)
                counts["status"] = "partial" if counts["errors"] else "success"
            except ConnectorError as exc:
                exc.stream = exc.stream or name
                exc.connector = exc.connector or connector.name
                counts["status"] = "failed"
                counts["errors"].append(exc.to_dict())
                log.error("%s/%s: stream stopped: %s", connector.name, name, exc)
                if stops_the_run(exc):
                    stopped = str(exc)
            finally:
                counts["finished_at"] = m.utcnow().isoformat()
                notify("end", name, counts)
                with store.session() as s:
                    runs.save_run(s, run_id, report,
                                  parked=parking.waiting(s, connector.name))
            if stopped:
                for rest in names[names.index(name) + 1:]:
                    report[rest]["status"] = "not_run"
                break
    except BaseException as exc:
        interrupted = isinstance(exc, KeyboardInterrupt)
        for counts in report.values():
            if counts["status"] == "running":
                counts["status"] = "interrupted" if interrupted else "failed"
                counts["errors"].append({"type": type(exc).__name__, "message": str(exc)[:500]})
        with store.session() as s:
            runs.save_run(s, run_id, report, status="interrupted" if interrupted else "failed",
                          finished_at=m.utcnow(), error=f"{type(exc).__name__}: {exc}"[:2000])
        log.error("%s: sync run %d stopped by %s", connector.name, run_id, type(exc).__name__)
        raise
    status = run_status(report)
    run_error = stopped or (_summary(report) if status != "success" else None)
    with store.session() as s:
        runs.save_run(s, run_id, report, status=status, finished_at=m.utcnow(), error=run_error,
                      parked=parking.waiting(s, connector.name))
    log.info("%s: sync run %d finished: %s", connector.name, run_id, status)
    with store.sessions() as s:
        return runs.run_json(s.get(m.SyncRun, run_id))
