"""Crash mid-sync, then resume: exact counts, nothing lost, nothing twice (HubSpot)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from server import models as m
from server.db import Store
from server.models import SyncRun
from server.sync import load_state, run_sync
from tests.connectors.hubspot_portal import ACME, MIN, T0

ROOT = Path(__file__).resolve().parents[2]


def portal(fake, deals: int) -> None:
    fake.add("companies", ACME, {"name": "Acme", "domain": "acme.io"}, modified=T0)
    for i in range(deals):
        fake.add("deals", 30_000_000 + i, {"dealname": f"D{i}", "amount": str(100 + i),
                                           "dealstage": "closedwon", "dealtype": "newbusiness",
                                           "closedate": "2025-03-01"},
                 modified=T0 + (i // 3) * MIN, companies=[ACME])  # ties: 3 deals per minute


def deals_in(store) -> int:
    with store.sessions() as s:
        return s.scalar(select(func.count()).select_from(m.Deal))


class Crash(Exception):
    pass


def test_exception_after_n_pages_then_rerun_lands_the_rest_exactly_once(store, hubspot_fake,
                                                                        hubspot):
    portal(hubspot_fake, 25)
    conn = hubspot(page_size=4)
    real = conn.client.search
    calls = {"n": 0}

    def flaky(object_type, *a, **kw):
        if object_type == "deals":
            calls["n"] += 1
            if calls["n"] == 4:
                raise Crash("process died after 3 pages")
        return real(object_type, *a, **kw)

    conn.client.search = flaky
    with pytest.raises(Crash):
        run_sync(store, conn)
    assert deals_in(store) == 12
    state = load_state(store, "hubspot", "deals")
    assert state["since"] == T0 + 3 * MIN and len(state["seen"]) == 3
    with store.sessions() as s:
        failed = s.scalars(select(SyncRun)).one()
        assert failed.status == "failed" and failed.streams["deals"]["records"] == 12
    report = run_sync(store, hubspot(page_size=4))
    assert report["streams"]["deals"]["records"] == 13
    assert report["streams"]["companies"]["records"] == 0
    assert deals_in(store) == 25
    with store.sessions() as s:
        amounts = s.scalars(select(m.Deal.amount)).all()
    assert sorted(int(a) for a in amounts) == list(range(100, 125))


def test_kill_9_of_a_running_sync_then_rerun(store, db_url, hubspot_fake, hubspot, tmp_path):
    total = 300
    portal(hubspot_fake, total)
    hubspot_fake.search_delay = 0.05
    env = {**os.environ, "ACCOUNT360_DATABASE_URL": db_url,
           "ACCOUNT360_DATA_DIR": str(tmp_path / "data"),
           "HUBSPOT_ACCESS_TOKEN": "pat-test-token", "HUBSPOT_BASE_URL": hubspot_fake.url,
           "HUBSPOT_PAGE_SIZE": "5", "HUBSPOT_SEARCH_LAG_SECONDS": "0",
           "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-c", "from server.cli import main; main()", "sync", "hubspot", "--stream", "companies",
         "--stream", "deals", "--no-writeback"],
        env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            if proc.poll() is not None:
                pytest.fail("the sync finished before it could be killed: "
                            + proc.stdout.read().decode()[-2000:])
            if deals_in(store) >= 40:
                break
            time.sleep(0.05)
        else:
            pytest.fail("the sync never landed 40 deals")
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL
    hubspot_fake.search_delay = 0
    fresh = Store(db_url)  # a new process's view of the database
    try:
        landed = deals_in(fresh)
        assert 40 <= landed < total
        with fresh.sessions() as s:
            killed = s.scalars(select(SyncRun)).one()
            assert killed.status == "running"
            assert killed.streams["deals"]["records"] == landed  # progress saved with each page
        report = run_sync(fresh, hubspot(page_size=5))
        assert report["streams"]["deals"]["records"] == total - landed
        assert deals_in(fresh) == total
        with fresh.sessions() as s:
            runs = {r.id: r.status for r in s.scalars(select(SyncRun))}
            assert sorted(runs.values()) == ["interrupted", "success"]
            assert s.scalar(select(func.count(func.distinct(m.Deal.amount)))) == total
    finally:
        fresh.dispose()
