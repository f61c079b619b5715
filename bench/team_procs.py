"""Processes of the team benchmarks (bench_load.py, bench_sync_workers.py): gunicorn and
`account360 worker` subprocesses on one PostgreSQL database with the procrastinate queue,
the lazy fake HubSpot portal of bench_crm_sync.py in its own process, and the sync it
serves."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def job_env(url: str, work: Path, secret: str, settings: str | None = None) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACCOUNT360_")}
    env.update({"ACCOUNT360_DATABASE_URL": url, "ACCOUNT360_JOB_QUEUE": "procrastinate",
                "ACCOUNT360_SECRET_KEY": secret, "ACCOUNT360_DATA_DIR": str(work / "data"),
                "ACCOUNT360_SCHEDULE_CRON": "0 0 1 1 *",
                "ACCOUNT360_METRICS_DAILY_CRON": "0 0 1 1 *",
                "ACCOUNT360_LOG_LEVEL": "WARNING", "PYTHONPATH": str(ROOT)})
    if settings:
        env["ACCOUNT360_SETTINGS"] = settings
    return env


def wait_http(url: str, timeout: float) -> None:
    import requests

    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer")


def create_token(url: str, name: str) -> str:
    from server.auth import create_token as make
    from server.db import Store

    store = Store(url)
    try:
        return make(store, name)
    finally:
        store.dispose()


class Procs:
    """Subprocesses stopped (SIGTERM, then SIGKILL) at the end; logs in `work`."""

    def __init__(self, work: Path) -> None:
        self.work = work
        self.procs: dict[str, subprocess.Popen] = {}

    def start(self, name: str, cmd: list[str], env: dict | None = None) -> subprocess.Popen:
        log = open(self.work / f"{name}.log", "wb")
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        self.procs[name] = proc
        return proc

    def stop(self, *names: str) -> None:
        chosen = [self.procs.pop(n) for n in (names or list(self.procs)) if n in self.procs]
        for proc in chosen:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in chosen:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)


class Sync:
    """A HubSpot connector pointed at the fake portal, with its queued sync."""

    def __init__(self, url: str, secret: str) -> None:
        from server.db import Store

        self.store = Store(url)
        self.store.job_queue = "procrastinate"
        self.secret = secret

    def connect(self, base_url: str, name: str = "hubspot") -> None:
        from server.admin.credentials import Credentials
        from server.admin.models import ConnectorConfig
        from server.secrets import Vault

        Credentials(self.store, Vault.from_config({"SECRET_KEY": self.secret})).save(
            name, {"access_token": "pat-test-token", "base_url": base_url,
                   "search_lag_seconds": 0}, auth_kind="keys", connected=True)
        with self.store.session() as s:
            s.get(ConnectorConfig, name).schedule_minutes = 0   # only this benchmark's sync

    def enqueue(self, name: str = "hubspot", streams: list[str] | None = None) -> None:
        from server.admin.runner import enqueue

        enqueue(self.store, name, "manual", streams=streams or ["companies", "deals"])

    def progress(self) -> str:
        from sqlalchemy import text

        with self.store.sessions() as s:
            rows = s.execute(text(
                "SELECT connector, status, started_at, finished_at, streams FROM sync_runs "
                "ORDER BY id DESC LIMIT 3")).all()
        out = []
        for name, status, started, finished, streams in rows:
            recs = sum(int((v or {}).get("records") or 0) for v in (streams or {}).values())
            took = f"{(finished - started).total_seconds():.0f} s" if finished else "running"
            out.append(f"{name} {status} {recs:,} records ({took})")
        return "; ".join(out) or "no sync run"

    def all_done(self, import_id: int | None) -> bool:
        from sqlalchemy import text

        from server.jobs.models import ImportRun

        with self.store.sessions() as s:
            run = s.execute(text("SELECT status FROM sync_runs ORDER BY id DESC LIMIT 1")).first()
            imp = s.get(ImportRun, import_id) if import_id else None
        return (run is not None and run[0] != "running"
                and (imp is None or imp.status in ("done", "failed")))

    def import_progress(self, import_id: int | None) -> str:
        from server.jobs.models import ImportRun

        if import_id is None:
            return "no import id"
        with self.store.sessions() as s:
            r = s.get(ImportRun, import_id)
            took = (f"{(r.finished_at - r.started_at).total_seconds():.0f} s"
                    if r.finished_at and r.started_at else "still running")
            return (f"job {r.status}: {r.lines_read:,} lines read, {r.loaded:,} loaded, "
                    f"{r.rejected:,} rejected ({took})")


def serve_fake(procs: Procs, companies: int, deals: int, name: str = "hubspot-fake") -> str:
    port_file = procs.work / f"{name}.url"
    procs.start(name, [sys.executable, str(ROOT / "bench" / "bench_crm_sync.py"), "--serve",
                       str(companies), str(deals), str(port_file)])
    deadline = time.time() + 60
    while not port_file.exists() or not port_file.read_text():
        if time.time() > deadline:
            raise RuntimeError("the fake portal did not start")
        time.sleep(0.05)
    return port_file.read_text()


def hubspot_sync(procs: Procs, url: str, secret: str, companies: int, deals: int) -> Sync:
    """Start the fake portal, connect HubSpot to it and queue a sync of companies and
    deals."""
    base = serve_fake(procs, companies, deals)
    sync = Sync(url, secret)
    sync.connect(base)
    sync.enqueue()
    return sync
