"""Streaming JSON Lines import: constant memory, per-line errors, batch commits."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from server.db import Store
from server.ingest import Loader
from server.records import RecordError
from server.rows.refresh import refresh_dirty

log = logging.getLogger(__name__)

MAX_LINE_BYTES = 1_000_000
MAX_REPORTED_ERRORS = 1000


@dataclass
class ImportReport:
    """What an import did: counts per type, rejected lines with reasons."""

    loaded: int = 0
    rejected: int = 0
    new_events: int = 0
    by_type: dict[str, int] = field(default_factory=dict)
    errors: list[dict] = field(default_factory=list)
    touched_accounts: set[str] = field(default_factory=set)

    def reject(self, line_no: int, reason: str) -> None:
        self.rejected += 1
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append({"line": line_no, "reason": reason})

    def to_dict(self) -> dict:
        return {"loaded": self.loaded, "rejected": self.rejected, "new_events": self.new_events,
                "by_type": dict(sorted(self.by_type.items())), "errors": self.errors,
                "errors_truncated": self.rejected > len(self.errors)}


def import_lines(store: Store, lines: Iterable[bytes | str], source: str = "import",
                 batch_size: int = 20000, progress: Callable[[int], None] | None = None
                 ) -> ImportReport:
    """Load JSON Lines; bad lines are reported with their number and reason, good ones land."""
    report = ImportReport()
    with store.sessions() as session:
        loader = Loader(session, source=source, batch_size=10**12)
        line_no = 0
        try:
            for line_no, raw in enumerate(lines, start=1):
                if progress is not None:
                    progress(len(raw))
                if len(raw) > MAX_LINE_BYTES:
                    report.reject(line_no, f"line longer than {MAX_LINE_BYTES} bytes")
                    continue
                if not raw or raw.isspace():
                    continue
                try:
                    rec = json.loads(raw)
                except ValueError as exc:
                    report.reject(line_no, f"not valid JSON: {exc}")
                    continue
                try:
                    loader.add(rec)
                except RecordError as exc:
                    rtype = rec.get("type") if isinstance(rec, dict) else None
                    report.reject(line_no, f"{rtype or 'record'}: {exc.reason}")
                    continue
                if loader.pending >= batch_size:
                    loader.flush()
                    session.commit()
            loader.finish()
            session.commit()
        except Exception:
            session.rollback()
            log.exception("import failed at line %d; batches before it were committed", line_no)
            raise
    refresh_dirty(store)  # the accounts of batches too large to refresh inline
    report.by_type = dict(loader.loaded)
    report.loaded = sum(v for k, v in loader.loaded.items() if not k.endswith("_deleted"))
    report.new_events = loader.new_events
    report.touched_accounts = loader.touched_accounts
    return report
