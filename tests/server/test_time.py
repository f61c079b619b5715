"""One datetime column type: stored in UTC, always read back timezone-aware (UTC)."""

from __future__ import annotations

import importlib
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import DateTime, select

import server
from server import models as m
from server.models import Base, UtcDateTime, utcnow

PARIS_WINTER = timezone(timedelta(hours=1))


def test_datetimes_come_back_aware_in_utc(store):
    with store.session() as s:
        s.add(m.Account(id="A", name="A"))
        s.flush()
        s.add_all([
            m.Ticket(id="k1", account_id="A", status="open", priority="low",
                     created_at=datetime(2026, 11, 1, 9, 30, tzinfo=PARIS_WINTER)),
            m.Ticket(id="k2", account_id="A", status="open", priority="low",
                     created_at=datetime(2026, 11, 1, 8, 30)),          # naive: taken as UTC
        ])
    with store.sessions() as s:
        got = dict(s.execute(select(m.Ticket.id, m.Ticket.created_at)).all())
        acc = s.get(m.Account, "A")
    expected = datetime(2026, 11, 1, 8, 30, tzinfo=timezone.utc)
    assert got == {"k1": expected, "k2": expected}
    assert all(v.utcoffset() == timedelta(0) for v in got.values())
    assert acc.updated_at is None


def test_comparisons_in_queries_use_utc(store):
    with store.session() as s:
        s.add(m.Account(id="A", name="A"))
        s.flush()
        s.add(m.Note(account_id="A", body="x",
                     created_at=datetime(2026, 11, 1, 12, 0, tzinfo=timezone.utc)))
    just_after = datetime(2026, 11, 1, 13, 0, 1, tzinfo=PARIS_WINTER)   # 12:00:01 UTC
    just_before = datetime(2026, 11, 1, 12, 59, 59, tzinfo=PARIS_WINTER)  # 11:59:59 UTC
    with store.sessions() as s:
        assert s.scalar(select(m.Note.body).where(m.Note.created_at < just_after)) == "x"
        assert s.scalar(select(m.Note.body).where(m.Note.created_at < just_before)) is None


def test_an_account_write_stamp_is_aware(store):
    with store.session() as s:
        s.add(m.Account(id="A", name="A"))
    with store.session() as s:
        s.get(m.Account, "A").name = "B"            # onupdate stamps the change
    with store.sessions() as s:
        stamp = s.get(m.Account, "A").updated_at
    assert stamp.tzinfo is not None and utcnow() - stamp < timedelta(minutes=5)


def test_every_datetime_column_uses_the_utc_type():
    root = Path(server.__file__).parent
    for path in sorted(root.rglob("*.py")):           # every module that declares tables
        if "migrations" not in path.parts and "mapped_column(" in path.read_text():
            rel = path.relative_to(root.parent).with_suffix("")
            importlib.import_module(".".join(rel.parts).removesuffix(".__init__"))
    columns = [c for t in Base.metadata.tables.values() for c in t.columns
               if isinstance(c.type, DateTime) or isinstance(c.type, UtcDateTime)]
    assert len(columns) > 20
    assert [f"{c.table.name}.{c.name}" for c in columns
            if not isinstance(c.type, UtcDateTime)] == []
