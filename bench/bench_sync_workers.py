"""Sync throughput with 1 and with 2 `account360 worker` processes on the same backlog of
several connectors: a HubSpot sync (bench_crm_sync's lazy fake portal), a Mixpanel and an
Amplitude export (bench/usage_exports.py's fake vendor), each queued as a `sync` job on the
procrastinate queue of a fresh PostgreSQL database (1,000 accounts). Not a test: it prints
the wall time from the workers' start to the last sync's end, the records landed (over all
runs of a connector: a failed attempt is retried by the queue and resumes from its bookmark),
records/s, and the ratio of 2 workers against 1, with the load average. With
`--concurrency` at or above the backlog's size the first worker to start takes every job, so
`--concurrency 1` is the fair comparison of worker processes.

    flock /work/bench.lock .venv/bin/python bench/bench_sync_workers.py \\
        --admin-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from team_procs import Procs, Sync, job_env, serve_fake  # noqa: E402
from usage_exports import ACCOUNTS, START, serve  # noqa: E402

SECRET = "bench-sync-secret"


def fresh_db(admin_url: str) -> tuple[str, str]:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from server.db import Store
    from server.ingest import load_records

    name = f"a360_syncw_{uuid.uuid4().hex[:8]}"
    eng = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with eng.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    eng.dispose()
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    store = Store(url, migrate=True)
    with store.session() as s:
        load_records(s, ({"type": "account", "id": f"a{i}", "name": f"Account {i}",
                          "domains": [f"acc{i}.example.com"], "seats": 50}
                         for i in range(ACCOUNTS)))
    store.dispose()
    return url, name


def drop_db(admin_url: str, name: str) -> None:
    from sqlalchemy import create_engine, text

    eng = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with eng.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    eng.dispose()


def backlog(sync: Sync, hubspot_url: str, usage_url: str) -> None:
    from server.admin.credentials import Credentials
    from server.admin.models import ConnectorConfig
    from server.secrets import Vault

    sync.connect(hubspot_url)
    creds = Credentials(sync.store, Vault.from_config({"SECRET_KEY": SECRET}))
    start = START.date().isoformat()
    creds.save("mixpanel", {"api_secret": "bench", "base_url": usage_url, "start_date": start,
                            "window_days": 7, "page_size": 20000}, auth_kind="keys",
               connected=True)
    creds.save("amplitude", {"api_key": "bench", "secret_key": "bench", "base_url": usage_url,
                             "start_date": start, "window_hours": 24, "page_size": 20000},
               auth_kind="keys", connected=True)
    with sync.store.session() as s:
        for name in ("mixpanel", "amplitude"):
            s.get(ConnectorConfig, name).schedule_minutes = 0
    sync.enqueue("hubspot")
    sync.enqueue("mixpanel", streams=None)
    sync.enqueue("amplitude", streams=None)


def finished(sync: Sync) -> tuple[bool, list]:
    from sqlalchemy import text

    with sync.store.sessions() as s:
        jobs = s.execute(text("SELECT status::text FROM procrastinate_jobs "
                              "WHERE task_name = 'sync'")).scalars().all()
        runs = s.execute(text("SELECT connector, status, started_at, finished_at, streams "
                              "FROM sync_runs ORDER BY id")).all()
    return bool(jobs) and all(j in ("succeeded", "failed") for j in jobs), runs


def one(workers: int, args, usage_url: str) -> dict:
    url, name = fresh_db(args.admin_url)
    work = Path(tempfile.mkdtemp(prefix=f"a360-syncw{workers}-"))
    procs = Procs(work)
    try:
        companies, deals = (int(x) for x in args.hubspot.split("/"))
        sync = Sync(url, SECRET)
        backlog(sync, serve_fake(procs, companies, deals), usage_url)
        env = job_env(url, work, SECRET)
        t0 = time.perf_counter()
        for i in range(workers):
            procs.start(f"worker-{i}", [sys.executable, "-m", "server", "worker",
                                        "--concurrency", str(args.concurrency)], env)
        while True:
            done, runs = finished(sync)
            if done:
                break
            if time.perf_counter() - t0 > args.timeout:
                raise RuntimeError(f"the backlog did not finish: {runs}")
            time.sleep(0.2)
        wall = time.perf_counter() - t0
        per: dict[str, list] = {}      # connector -> [status, records, runs, first, last]
        for conn, status, started, fin, streams in runs:
            recs = sum(int((v or {}).get("records") or 0) for v in (streams or {}).values())
            got = per.setdefault(conn, [status, 0, 0, started, fin])
            got[0], got[1], got[2], got[4] = status, got[1] + recs, got[2] + 1, fin
        sync.store.dispose()
        return {"wall": wall, "runs": per, "records": sum(v[1] for v in per.values())}
    finally:
        procs.stop()
        drop_db(args.admin_url, name)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--admin-url", required=True, help="a PostgreSQL URL to create databases")
    ap.add_argument("--events", type=int, default=200_000, help="per usage connector")
    ap.add_argument("--hubspot", default="2000/8000", help="companies/deals of the fake")
    ap.add_argument("--concurrency", type=int, default=4, help="jobs per worker process")
    ap.add_argument("--timeout", type=float, default=900)
    args = ap.parse_args()
    from bench_usage_connectors import amplitude_windows

    with tempfile.TemporaryDirectory() as tmp:
        q = mp.Queue()
        srv = mp.Process(target=serve, args=(args.events, q, tmp, amplitude_windows()),
                         daemon=True)
        srv.start()
        usage_url = f"http://127.0.0.1:{q.get(timeout=3600)}"
        print(f"{os.cpu_count()} CPUs; backlog: HubSpot {args.hubspot} companies/deals, "
              f"Mixpanel and Amplitude {args.events:,} events each; worker --concurrency "
              f"{args.concurrency}; load average before: {os.getloadavg()}", flush=True)
        try:
            out = {}
            for n in (1, 2):
                out[n] = r = one(n, args, usage_url)
                runs = ", ".join(
                    f"{c} {st} {k:,} in {(b - a).total_seconds():.0f} s"
                    + (f" over {n} runs" if n > 1 else "")
                    for c, (st, k, n, a, b) in r["runs"].items())
                print(f"{n} worker{'s' if n > 1 else ' '}  {r['wall']:7.1f} s  "
                      f"{r['records']:>9,} records  {r['records'] / r['wall']:8,.0f} records/s"
                      f"  ({runs})  load average {os.getloadavg()[0]:.2f}", flush=True)
            print(f"2 workers vs 1: {out[1]['wall'] / out[2]['wall']:.2f}x the throughput")
        finally:
            srv.terminate()
            srv.join(10)


if __name__ == "__main__":
    main()
