"""JSON Lines imports through the API. The body is read in 1 MiB chunks; nothing loads
while it arrives, so a request never half-commits an import. A body up to
ACCOUNT360_IMPORT_JOB_BYTES is then loaded in one transaction before the answer. A larger one
is stored in the database as it arrives (`import_chunks` rows of an `imports` row, status
"receiving"); once complete, the row and its `import` job are committed together and the
answer is 202 with its id. Any job worker, on any machine, reads the body back from the
database (no shared directory); it loads in batches, recording lines read, loaded and
rejected (with line numbers) as it goes, and a rerun (a retried job) loads the same body
again, which changes nothing that already landed. The chunks are deleted when the import
ends."""

from __future__ import annotations

import io
import logging
import time
import typing as t
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy import delete, insert, select

from server.importer import ImportReport, import_lines
from server.jobs.models import ImportChunk, ImportRun
from server.jobs.queue import defer
from server.models import utcnow

log = logging.getLogger(__name__)

CHUNK = 1 << 20           # bytes per read of the request body, and per stored chunk
PROGRESS_SECONDS = 1.0
#: a body still "receiving" after this long was cut off by a dead web worker: removed
ABANDONED = timedelta(hours=6)


class BodyTooLarge(ValueError):
    pass


class BodyIncomplete(ValueError):
    def __init__(self, received: int, expected: int) -> None:
        super().__init__(f"Got {received} of the {expected} bytes announced; nothing was loaded")
        self.received, self.expected = received, expected


@dataclass
class Received:
    size: int
    body: bytes | None = None        # a small body, to load now
    import_id: int | None = None     # a large one, queued


def receive(stream: t.BinaryIO, store: t.Any, *, limit: int, job_bytes: int,
            expected: int | None = None, requested_by: str | None = None) -> Received:
    """Read the body in CHUNK reads: up to `job_bytes` it is kept and returned; beyond, it
    goes to the database chunk by chunk and is queued as an import job when complete."""
    head: list[bytes] = []
    size = 0
    while size <= job_bytes:
        chunk = stream.read(CHUNK)
        if not chunk:
            _complete(size, expected)
            return Received(size=size, body=b"".join(head))
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge(f"the body is larger than {limit} bytes")
        head.append(chunk)
    import_id = _open(store, requested_by)
    try:
        seq = 0
        for chunk in head:
            _put(store, import_id, seq, chunk)
            seq += 1
        head = []
        while chunk := stream.read(CHUNK):
            size += len(chunk)
            if size > limit:
                raise BodyTooLarge(f"the body is larger than {limit} bytes")
            _put(store, import_id, seq, chunk)
            seq += 1
        _complete(size, expected)
        with store.session() as s:   # the import and its job exist together, or neither
            row = s.get(ImportRun, import_id)
            row.status, row.bytes, row.created_at = "queued", size, utcnow()
            defer(s, "import", store=store, import_id=import_id)
    except BaseException:
        _discard(store, import_id)
        raise
    return Received(size=size, import_id=import_id)


def _complete(size: int, expected: int | None) -> None:
    if expected is not None and size != expected:   # the client went away mid-body
        raise BodyIncomplete(size, expected)


def _open(store: t.Any, requested_by: str | None) -> int:
    with store.session() as s:
        stale = list(s.scalars(select(ImportRun.id).where(
            ImportRun.status == "receiving", ImportRun.created_at < utcnow() - ABANDONED)))
        if stale:
            s.execute(delete(ImportChunk).where(ImportChunk.import_id.in_(stale)))
            s.execute(delete(ImportRun).where(ImportRun.id.in_(stale)))
        row = ImportRun(status="receiving", spool="database", bytes=0,
                        requested_by=requested_by, lines_read=0, loaded=0, rejected=0,
                        created_at=utcnow())
        s.add(row)
        s.flush()
        return row.id


def _put(store: t.Any, import_id: int, seq: int, data: bytes) -> None:
    with store.session() as s:
        s.execute(insert(ImportChunk), [{"import_id": import_id, "seq": seq, "data": data}])


def _discard(store: t.Any, import_id: int) -> None:
    with store.session() as s:
        s.execute(delete(ImportChunk).where(ImportChunk.import_id == import_id))
        s.execute(delete(ImportRun).where(ImportRun.id == import_id))


def _drop_chunks(store: t.Any, import_id: int) -> None:
    with store.session() as s:
        s.execute(delete(ImportChunk).where(ImportChunk.import_id == import_id))


class ChunkReader(io.RawIOBase):
    """The stored body of an import, read back one chunk (one short query) at a time."""

    def __init__(self, store: t.Any, import_id: int) -> None:
        self.store, self.import_id = store, import_id
        self.seq, self.buf = 0, memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, out) -> int:  # noqa: ANN001
        if not self.buf:
            with self.store.sessions() as s:
                data = s.scalar(select(ImportChunk.data).where(
                    ImportChunk.import_id == self.import_id, ImportChunk.seq == self.seq))
            if data is None:
                return 0
            self.seq += 1
            self.buf = memoryview(bytes(data))
        n = min(len(out), len(self.buf))
        out[:n] = self.buf[:n]
        self.buf = self.buf[n:]
        return n


def load_now(store: t.Any, body: bytes) -> ImportReport:
    """Load a small body in ONE transaction (all its good lines, or nothing)."""
    return import_lines(store, io.BytesIO(body), source="import", batch_size=10**12)


def _loaded(by_type: dict) -> int:
    return sum(v for k, v in by_type.items() if not k.endswith("_deleted"))


def run_import(store: t.Any, import_id: int) -> dict:
    """The `import` job: load the spooled file, recording progress."""
    with store.session() as s:
        row = s.get(ImportRun, import_id)
        if row is None or row.status in ("done", "failed"):
            return {"import_id": import_id, "skipped": True}
        spool = row.spool
        row.status, row.started_at, row.error = "running", utcnow(), None
        row.lines_read = row.loaded = row.rejected = 0
    path = None if spool == "database" else Path(spool)
    if path is not None and not path.exists():   # spooled to a file by an older release
        _finish(store, import_id, status="failed", error=(
            f"the spooled body {path.name} is not on this worker; post the import again"))
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

    with (open(path, "rb") if path is not None
          else io.BufferedReader(ChunkReader(store, import_id), CHUNK)) as fh:
        report = import_lines(store, fh, source="import", progress=count, committed=committed)
    _finish(store, import_id, status="done", report=report, lines=lines[0])
    if path is not None:
        path.unlink(missing_ok=True)
    return {"import_id": import_id, "status": "done", "loaded": report.loaded,
            "rejected": report.rejected}


def _finish(store: t.Any, import_id: int, status: str, report: ImportReport | None = None,
            lines: int = 0, error: str | None = None) -> None:
    _drop_chunks(store, import_id)
    with store.session() as s:
        r = s.get(ImportRun, import_id)
        r.status, r.finished_at, r.error = status, utcnow(), error
        if report is not None:
            r.lines_read, r.loaded, r.rejected = lines, report.loaded, report.rejected
            r.by_type, r.errors = dict(sorted(report.by_type.items())), report.errors


def stopped(store: t.Any, import_id: int, message: str, final: bool) -> None:
    """The job failed: queued again for its retry, or failed for good (its body dropped)."""
    if final:
        _drop_chunks(store, import_id)
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
