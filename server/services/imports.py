"""JSON Lines imports through the API: the body is streamed in chunks to a spool file first,
so a request never half-commits an import. A small body is then loaded in one transaction
before the answer; a large one (over ACCOUNT360_IMPORT_JOB_BYTES) becomes an `imports` row
and an `import` job, deferred in the same transaction, and the answer is 202 with its id.
The job loads the spool in batches, recording lines read, loaded and rejected (with line
numbers) as it goes; a rerun (a retried job) loads the same file again, which changes
nothing that already landed."""

from __future__ import annotations

import logging
import os
import tempfile
import time
import typing as t
from pathlib import Path

from server.importer import ImportReport, import_lines
from server.jobs.models import ImportRun
from server.jobs.queue import defer
from server.models import utcnow

log = logging.getLogger(__name__)

CHUNK = 1 << 20           # bytes per read of the request body
PROGRESS_SECONDS = 1.0


class BodyTooLarge(ValueError):
    pass


def spool_dir(cfg: dict) -> Path:
    path = Path(cfg.get("SPOOL_DIR") or Path(cfg["DATA_DIR"]) / "spool")
    path.mkdir(parents=True, exist_ok=True)
    return path


def spool(stream: t.BinaryIO, directory: Path, limit: int) -> tuple[Path, int]:
    """Copy the body to a new file in CHUNK reads; its path and size."""
    fd, name = tempfile.mkstemp(prefix="import-", suffix=".jsonl", dir=directory)
    size = 0
    try:
        with os.fdopen(fd, "wb") as out:
            while True:
                chunk = stream.read(CHUNK)
                if not chunk:
                    break
                size += len(chunk)
                if size > limit:
                    raise BodyTooLarge(f"the body is larger than {limit} bytes")
                out.write(chunk)
    except BaseException:
        os.unlink(name)
        raise
    return Path(name), size


def load_now(store: t.Any, path: Path) -> ImportReport:
    """Load a small spooled body in ONE transaction (all its good lines, or nothing)."""
    try:
        with open(path, "rb") as fh:
            return import_lines(store, fh, source="import", batch_size=10**12)
    finally:
        path.unlink(missing_ok=True)


def queue(store: t.Any, path: Path, size: int, requested_by: str | None) -> int:
    """Record the spooled import and defer its job, in one transaction; the import's id."""
    with store.session() as s:
        row = ImportRun(status="queued", spool=str(path), bytes=size, requested_by=requested_by,
                        lines_read=0, loaded=0, rejected=0, created_at=utcnow())
        s.add(row)
        s.flush()
        defer(s, "import", store=store, import_id=row.id)
        return row.id


def _loaded(by_type: dict) -> int:
    return sum(v for k, v in by_type.items() if not k.endswith("_deleted"))


def run_import(store: t.Any, import_id: int) -> dict:
    """The `import` job: load the spooled file, recording progress."""
    with store.session() as s:
        row = s.get(ImportRun, import_id)
        if row is None or row.status in ("done", "failed"):
            return {"import_id": import_id, "skipped": True}
        path = Path(row.spool)
        row.status, row.started_at, row.error = "running", utcnow(), None
        row.lines_read = row.loaded = row.rejected = 0
    if not path.exists():
        _finish(store, import_id, status="failed", error=(
            f"the spooled body {path.name} is not on this worker: set ACCOUNT360_SPOOL_DIR to a "
            "directory the web and job workers share"))
        return {"import_id": import_id, "status": "failed"}
    last = [time.monotonic()]

    def committed(lines: int, report: ImportReport, by_type: dict) -> None:
        if time.monotonic() - last[0] < PROGRESS_SECONDS:
            return
        last[0] = time.monotonic()
        with store.session() as s:
            r = s.get(ImportRun, import_id)
            r.lines_read, r.loaded, r.rejected = lines, _loaded(by_type), report.rejected
            r.errors = sorted(report.errors, key=lambda e: e["line"])

    lines = [0]

    def count(_n: int) -> None:
        lines[0] += 1

    with open(path, "rb") as fh:
        report = import_lines(store, fh, source="import", progress=count, committed=committed)
    _finish(store, import_id, status="done", report=report, lines=lines[0])
    path.unlink(missing_ok=True)
    return {"import_id": import_id, "status": "done", "loaded": report.loaded,
            "rejected": report.rejected}


def _finish(store: t.Any, import_id: int, status: str, report: ImportReport | None = None,
            lines: int = 0, error: str | None = None) -> None:
    with store.session() as s:
        r = s.get(ImportRun, import_id)
        r.status, r.finished_at, r.error = status, utcnow(), error
        if report is not None:
            r.lines_read, r.loaded, r.rejected = lines, report.loaded, report.rejected
            r.by_type, r.errors = dict(sorted(report.by_type.items())), report.errors


def stopped(store: t.Any, import_id: int, message: str, final: bool) -> None:
    """The job failed: queued again for its retry, or failed for good."""
    with store.session() as s:
        r = s.get(ImportRun, import_id)
        if r is not None:
            r.status, r.error = ("failed" if final else "queued"), message
            r.finished_at = utcnow() if final else None


def status(session: t.Any, import_id: int) -> dict | None:
    r = session.get(ImportRun, import_id)
    if r is None:
        return None
    errors = r.errors or []
    return {"id": r.id, "status": r.status, "bytes": r.bytes, "lines_read": r.lines_read,
            "loaded": r.loaded, "rejected": r.rejected, "by_type": r.by_type or {},
            "errors": errors, "errors_truncated": r.rejected > len(errors), "error": r.error,
            "created_at": r.created_at, "started_at": r.started_at,
            "finished_at": r.finished_at}
