"""Fixtures of the job-queue tests: a PostgreSQL database on the procrastinate queue, the
fake HubSpot at the HTTP boundary, and real `account360 worker` processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from server.db import Store
from tests.connectors.fake_hubspot import FakeHubSpot

ROOT = Path(__file__).resolve().parents[2]
SECRET = "jobs-test-secret"


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/jobs/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.postgres)


@pytest.fixture
def pg_url(db_url):
    if not db_url.startswith("postgresql"):
        pytest.fail("the job-queue tests need PostgreSQL: set ACCOUNT360_TEST_DATABASE_URL "
                    "(scripts/test.sh runs them in its PostgreSQL pass)")
    return db_url


@pytest.fixture
def pg_store(pg_url):
    store = Store(pg_url)
    store.job_queue = "procrastinate"
    store.job_attempts = 5
    yield store
    store.dispose()


@pytest.fixture
def hubspot_fake():
    fake = FakeHubSpot()
    fake.url = fake.start()
    fake.keep_log = False
    yield fake
    fake.stop()


@pytest.fixture
def connected(pg_store, hubspot_fake):
    """HubSpot connected with a private-app token (sealed with the workers' secret key)."""
    from server.admin.credentials import Credentials
    from server.secrets import Vault

    Credentials(pg_store, Vault.from_config({"SECRET_KEY": SECRET})).save(
        "hubspot", {"access_token": "pat-test-token", "base_url": hubspot_fake.url,
                    "page_size": 5, "search_lag_seconds": 0}, auth_kind="keys", connected=True)
    return pg_store


class Workers:
    """`account360 worker` processes on the test's database; killed at the end."""

    def __init__(self, url: str, fake_url: str, tmp: Path) -> None:
        self.url, self.fake_url, self.tmp = url, fake_url, tmp
        self.procs: list[subprocess.Popen] = []

    def env(self, **extra: str) -> dict:
        env = {k: v for k, v in os.environ.items() if not k.startswith("ACCOUNT360_")}
        env.update({
            "ACCOUNT360_DATABASE_URL": self.url, "ACCOUNT360_JOB_QUEUE": "procrastinate",
            "ACCOUNT360_SECRET_KEY": SECRET, "ACCOUNT360_DATA_DIR": str(self.tmp / "data"),
            "ACCOUNT360_JOB_STALLED_SECONDS": "2", "ACCOUNT360_JOB_RETRY_SECONDS": "1",
            "ACCOUNT360_SCHEDULE_CRON": "0 0 1 1 *", "ACCOUNT360_METRICS_DAILY_CRON": "0 0 1 1 *",
            "PYTHONPATH": str(ROOT)})
        env.update(extra)
        return env

    def start(self, n: int = 1, **extra: str) -> list[subprocess.Popen]:
        started = []
        for _ in range(n):
            log = open(self.tmp / f"worker-{len(self.procs)}.log", "wb")
            proc = subprocess.Popen([sys.executable, "-m", "server", "worker"],
                                    env=self.env(**extra), cwd=ROOT, stdout=log,
                                    stderr=subprocess.STDOUT)
            self.procs.append(proc)
            started.append(proc)
        return started

    def logs(self) -> str:
        return "\n".join(p.read_text(errors="replace")[-3000:]
                         for p in sorted(self.tmp.glob("worker-*.log")))

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)


@pytest.fixture
def workers(pg_url, hubspot_fake, tmp_path):
    w = Workers(pg_url, hubspot_fake.url, tmp_path)
    yield w
    w.stop()


def wait_for(check, timeout: float, what: str, workers: Workers | None = None):
    deadline = time.time() + timeout
    while time.time() < deadline:
        got = check()
        if got:
            return got
        time.sleep(0.1)
    pytest.fail(f"timed out waiting for {what}" + (
        "\n" + workers.logs() if workers else ""))


def count(store, model, *where) -> int:
    with store.sessions() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where))
