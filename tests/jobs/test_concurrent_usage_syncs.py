"""Two usage syncs writing the same accounts and days at once on PostgreSQL (a Mixpanel and
an Amplitude export of the same events, or a sync beside an API import): no page is lost or
landed twice. Pages of several flushes each take their row locks in an order no global sort
can fix (one flush's accounts, the next flush's account-days), so PostgreSQL may detect a
deadlock; the sync engine rolls that page back and lands it again, and the run goes on."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import create_engine, delete, func, select, text
from sqlalchemy.engine import make_url

from connectors.base import Connector, Page, Stream
from connectors.settings import Settings, setting
from server import models as m
from server.db import Store
from server.ingest import load_records
from server.sync import run_sync
from server.usage_ingest import stored_events
from tests.jobs.conftest import wait_for

ACCOUNTS, DAYS, USERS = 300, 10, 5
PER, ROUNDS = 8, 3          # 24,000 events; pages of 6,000 and 7,000: two flushes each
PAGES = {"mixpanel": 6000, "amplitude": 7000}
ROOT = Path(__file__).resolve().parents[2]
START = datetime(2025, 7, 1, tzinfo=timezone.utc)


@dataclass(frozen=True)
class UsageSettings(Settings):
    token: str = setting("t", secret=True)


class EventPages(Stream):
    name = "events"
    cursor_field = "page"

    def pages(self, state):
        done = (state or {}).get("next", 0)
        for i in range(done, len(self.connector.pages)):
            yield Page(records=self.connector.pages[i], state={"next": i + 1})


class Usage(Connector):
    settings_class = UsageSettings
    streams = (EventPages,)

    def __init__(self, name: str, pages: list[list[dict]]) -> None:
        self.name, self.pages = name, pages
        super().__init__(UsageSettings())

    def check(self):
        pass


def pages(seed: int, per_account_day: int, size: int, session_ids: bool) -> list[list[dict]]:
    """The same events in pages of `size` in time order (each vendor pages with its own
    boundaries; events of one minute in an order of the seed's); with `session_ids` the
    vendor numbers its sessions (of three)."""
    out = []
    for a in range(ACCOUNTS):
        for d in range(DAYS):
            for k in range(per_account_day):
                when = START + timedelta(days=d, minutes=7 * k)
                rec = {"type": "event", "account_id": f"a{a}", "user_id": f"u{k % USERS}",
                       "name": f"ev{k % 4}", "time": when.isoformat()}
                if session_ids:
                    rec["session_id"] = d * 1000 + k // 3
                out.append(rec)
    random.Random(seed).shuffle(out)
    out.sort(key=lambda r: r["time"])
    return [out[i:i + size] for i in range(0, len(out), size)]


def seed_accounts(store) -> None:
    with store.session() as s:
        load_records(s, ({"type": "account", "id": f"a{i}", "name": f"Account {i}"}
                         for i in range(ACCOUNTS)))


def totals(store) -> tuple[int, int, int]:
    with store.sessions() as s:
        return (stored_events(s), s.scalar(select(func.sum(m.UsageEventDay.events))),
                s.scalar(select(func.sum(m.UsageUserDay.events))))


def sync_in_this_process(url: str, name: str, seed: int, session_ids: bool) -> None:
    """A worker process's sync (the test's child): prints its run report as JSON."""
    store = Store(url)
    report = run_sync(store, Usage(name, pages(seed, PER, PAGES[name], session_ids)))
    store.dispose()
    print(json.dumps(report, default=str))


CHILD = "import sys; from tests.jobs.test_concurrent_usage_syncs import sync_in_this_process " \
    "as run; run(sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4] == '1')"


def test_two_usage_syncs_of_the_same_account_days_lose_and_duplicate_nothing(pg_store,
                                                                            pg_url):
    """Two processes (each its own hash seed: sets iterate in another order, as on two job
    workers) sync the same events at once, several times over."""
    store = pg_store
    seed_accounts(store)
    total = ACCOUNTS * DAYS * PER
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for rnd in range(ROUNDS):
        procs = [subprocess.Popen(
            [sys.executable, "-c", CHILD, pg_url, name, str(rnd * 2 + k), str(k)],
            env={**env, "PYTHONHASHSEED": str(rnd * 2 + k + 1)}, cwd=ROOT,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for k, name in enumerate(("mixpanel", "amplitude"))]
        outs = [p.communicate(timeout=300) for p in procs]
        for p, (out, err) in zip(procs, outs):
            assert p.returncode == 0, err[-3000:]
        reports = [json.loads(out.strip().splitlines()[-1]) for out, _ in outs]
        assert [r["status"] for r in reports] == ["success", "success"]
        for r in reports:
            assert r["streams"]["events"]["records"] == total   # every page landed once
        assert totals(store) == (total, total, total)           # 0 lost, 0 counted twice
        with store.session() as s:   # the next round lands them all again: a fresh store
            for model in (m.UsageEventDay, m.UsageUserDay, m.UsageSession, m.EventDigests,
                          m.SyncState):
                s.execute(delete(model))


def _waiting_on_a_lock(store) -> bool:
    with store.sessions() as s:
        return bool(s.scalar(text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock'")))


def test_a_page_that_deadlocks_is_rolled_back_and_landed_again(pg_url):
    """A deadlock made on purpose: another transaction holds account a1's row and then
    inserts the account-day the page has just inserted. PostgreSQL aborts the page's
    transaction (the other one waits far longer before it looks for deadlocks, and the
    page's looks 5 s after it began to wait, when both wait); the engine lands the page
    again once the other one is gone."""
    store = Store(make_url(pg_url).update_query_dict({"options": "-c deadlock_timeout=5s"})
                  .render_as_string(hide_password=False))
    seed_accounts(store)
    day = START + timedelta(days=2)
    page = [{"type": "event", "account_id": a, "user_id": "u1", "name": "login",
             "time": (day + timedelta(minutes=i)).isoformat()}
            for a in ("a0", "a1") for i in range(3)]
    other = create_engine(store.engine.url)
    conn = other.connect()
    conn.execute(text("SET deadlock_timeout = '30s'"))
    conn.execute(text("SELECT id FROM accounts WHERE id = 'a1' FOR UPDATE"))
    out = {}
    sync = threading.Thread(target=lambda: out.update(
        run_sync(store, Usage("mixpanel", [page]))))
    sync.start()
    try:
        wait_for(lambda: _waiting_on_a_lock(store), 30, "the page to wait for account a1")
        dkey = (day.date() - datetime(1970, 1, 1).date()).days
        # waits for the page's insert of (a0, that day): a cycle, and the page is the one
        # PostgreSQL aborts; then this insert goes through and is rolled back
        conn.execute(text("INSERT INTO event_digests (account_id, day, digests) "
                          "VALUES ('a0', :d, '') ON CONFLICT DO NOTHING"), {"d": dkey})
        conn.rollback()
    finally:
        conn.close()
        other.dispose()
    sync.join(timeout=60)
    store.dispose()
    assert out["status"] == "success", out
    counts = out["streams"]["events"]
    assert counts["records"] == 6 and counts["pages"] == 1
    assert counts["retried_pages"] == 1
    assert totals(store) == (6, 6, 6)
