"""Core benchmark: JSONL import throughput and memory, and 360 latency.

Not a test: it prints figures and ratios. Targets (issue: core service):
ingest <= 3x a bare JSON-parse loop over the same file, peak RSS flat and <= 300 MB at 1M
and 5M events, 360 p99 <= 15 ms and <= 1.5x a trivial authenticated route.

    .venv/bin/python bench/bench_core.py                      # 10k accounts, 1M and 5M events
    .venv/bin/python bench/bench_core.py --events 200000,1000000 --accounts 2000
    .venv/bin/python bench/bench_core.py --pg postgresql+psycopg://postgres@127.0.0.1:5432/postgres

Each import prints its phases (wall and CPU seconds): read = parse + validate, write = the
batches' rows, commit = the commits with the metrics-rows marks, refresh = the touched
accounts' metrics rows after the import.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import quote

import orjson

ROOT = Path(__file__).resolve().parent.parent
NAMES = ["login", "dashboard_viewed", "report_created", "report_shared", "export_csv", "search"]


def write_workspace(path: Path, accounts: int, events: int, seed: int = 1) -> None:
    """Accounts, then events in sessions over 60 days, as product analytics exports them.

    Each session: one of an account's 25 users, 5-30 events 10-120 s apart, one session id.
    """
    rng = random.Random(seed)
    today = date.today()
    days = [(today - timedelta(days=i)).isoformat() for i in range(60)]
    with path.open("w") as fh:
        for i in range(accounts):
            fh.write(json.dumps({"type": "account", "id": f"a{i}", "name": f"Account {i}",
                                 "domains": [f"a{i}.example"], "seats": 25}) + "\n")
        made = sid = 0
        while made < events:
            a, u, day = rng.randrange(accounts), rng.randrange(25), rng.choice(days)
            sid += 1
            t = rng.randrange(6 * 3600, 20 * 3600)
            for _ in range(min(rng.randint(5, 30), events - made)):
                t += rng.randint(10, 120)
                fh.write('{"type":"event","account_id":"a%d","user_id":"u%d","name":"%s",'
                         '"time":"%sT%02d:%02d:%02dZ","session_id":"s%d"}\n' % (
                             a, u, rng.choice(NAMES), day, t // 3600 % 24, t // 60 % 60,
                             t % 60, sid))
                made += 1


def parse_only(path: Path, loads=json.loads) -> float:
    start = time.perf_counter()
    with path.open("rb") as fh:
        for line in fh:
            loads(line)
    return time.perf_counter() - start


def fresh_db(base: str | None, work: Path, name: str) -> str:
    """A new empty database: a SQLite file in work, or a new database on a PostgreSQL server."""
    if not base:
        (work / f"{name}.db").unlink(missing_ok=True)
        return f"sqlite:///{work / (name + '.db')}"
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    db = f"a360_bench_{name}_{uuid.uuid4().hex[:6]}".replace("-", "_")
    eng = create_engine(base, isolation_level="AUTOCOMMIT")
    with eng.connect() as c:
        c.execute(text(f'CREATE DATABASE "{db}"'))
    eng.dispose()
    return make_url(base).set(database=db).render_as_string(hide_password=False)


def drop_db(base: str | None, url: str) -> None:
    if not base:
        return
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    eng = create_engine(base, isolation_level="AUTOCOMMIT")
    with eng.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
    eng.dispose()


def phases(res: dict, parse: float) -> str:
    wall, cpu = res["phases"], res["cpu_phases"]
    return "; ".join(f"{k} {wall[k]:.1f}s ({wall[k] / parse:.2f}x, cpu {cpu[k]:.1f}s)"
                     for k in wall)


IMPORT_CHILD = """
import json, resource, sys, time
from server.db import Store
from server.importer import import_lines
store = Store(sys.argv[1], migrate=True)
start = time.perf_counter()
with open(sys.argv[2], "rb") as fh:
    report = import_lines(store, fh)
elapsed = time.perf_counter() - start
print(json.dumps({"seconds": elapsed, "loaded": report.loaded, "rejected": report.rejected,
                  "new_events": report.new_events, "phases": report.seconds,
                  "cpu_phases": report.cpu_seconds,
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def run_import(db_url: str, path: Path) -> dict:
    out = subprocess.run([sys.executable, "-c", IMPORT_CHILD, db_url, str(path)], check=True,
                         capture_output=True, text=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def snapshot_30d_ago(db_url: str) -> float:
    """Run the daily snapshot job for the day 30 days back, as a deployment's cron would."""
    from datetime import datetime, timezone

    from server.db import Store
    from server.services.account360 import snapshot
    from server.settings import load

    store = Store(db_url, migrate=True)
    t0 = time.perf_counter()
    with store.session() as s:
        snapshot(s, datetime.now(timezone.utc).date() - timedelta(days=30), load(None))
    store.dispose()
    return time.perf_counter() - t0


def sample_accounts(store, samples: int) -> tuple[list[str], list[str]]:
    """Account ids and one domain of each, sampled from the database (the generated
    workspace here or any other, such as the demo workspace), the same every run."""
    from sqlalchemy import text

    with store.sessions() as s:
        pairs = s.execute(text("SELECT account_id, min(domain) FROM account_domains "
                               "GROUP BY account_id ORDER BY account_id")).all()
    rng = random.Random(7)
    picked = [rng.choice(pairs) for _ in range(samples)]
    return [a for a, _ in picked], [dm for _, dm in picked]


def latency(db_url: str, samples: int, cached: bool, settings: str | None) -> dict:
    from server import create_app
    from server.auth import create_token
    from server.rows.refresh import ensure_fresh

    extra = {"SETTINGS": settings} if settings else {}
    app = create_app({"DATABASE_URL": db_url, "CACHE_TTL": 3600 if cached else 0,
                      "CACHE_SIZE": 100_000 if cached else 1, "SECRET_KEY": "bench", **extra})
    st = app.extensions["account360"]
    # as in a running deployment, the account-metrics rows are current (writes and the
    # daily job keep them so); the first run on a copied workspace brings them up to date
    t0 = time.perf_counter()
    n = ensure_fresh(st.store, st.settings)
    if n:
        print(f"  brought {n} account-metrics rows up to date in {time.perf_counter() - t0:.1f}s")
    tok = create_token(app.extensions["account360"].store, "bench")
    h = {"Authorization": f"Bearer {tok}"}
    client = app.test_client()
    ids, domains = sample_accounts(app.extensions["account360"].store, samples)
    if cached:
        for i in set(ids):
            client.get(f"/api/v1/accounts/{quote(i)}/360", headers=h)

    def timed(urls):
        out = []
        for url in urls:
            t0 = time.perf_counter()
            r = client.get(url, headers=h)
            out.append((time.perf_counter() - t0) * 1000)
            assert r.status_code == 200, r.get_data()
        out.sort()
        return {"p50": statistics.median(out), "p99": out[int(len(out) * 0.99) - 1]}

    trivial = timed(["/api/v1/me"] * samples)
    full = timed([f"/api/v1/accounts/{quote(i)}/360" for i in ids])
    lookup = timed([f"/api/v1/accounts/lookup?domain={quote(dm)}" for dm in domains])
    app.extensions["account360"].store.dispose()
    return {"trivial": trivial, "360": full, "lookup": lookup}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--accounts", type=int, default=10_000)
    ap.add_argument("--events", default="1000000,5000000")
    ap.add_argument("--samples", type=int, default=500)
    ap.add_argument("--workdir", default=None)
    ap.add_argument("--pg", default=None, metavar="SERVER_URL",
                    help="import into new databases on this PostgreSQL server (dropped after)")
    ap.add_argument("--settings", default=None, metavar="TOML",
                    help="workspace settings file for the latency runs (e.g. demo-settings.toml)")
    ap.add_argument("--latency-only", metavar="DB_URL", default=None,
                    help="skip the imports; measure latency on an existing database")
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT))
    work = Path(args.workdir or tempfile.mkdtemp(prefix="a360-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    pg = args.pg or (args.latency_only or "").startswith("postgresql")
    print(f"workdir {work}; {args.accounts} accounts; machine: {os.cpu_count()} cores; "
          f"database {'PostgreSQL' if pg else 'SQLite'}; load average "
          f"{os.getloadavg()[0]:.1f}")
    made = []
    last_db = args.latency_only
    for n in [] if args.latency_only else [int(x) for x in args.events.split(",")]:
        path = work / f"ws-{n}.jsonl"
        if not path.exists():
            t0 = time.perf_counter()
            write_workspace(path, args.accounts, n)
            print(f"  generated {path.name} ({path.stat().st_size / 1e6:.0f} MB) in "
                  f"{time.perf_counter() - t0:.1f}s")
        url = fresh_db(args.pg, work, f"ws-{n}")
        made.append(url)
        parse_only(path, orjson.loads)   # the file in the page cache
        parse = parse_only(path)
        fast = parse_only(path, orjson.loads)
        res = run_import(url, path)
        lines = args.accounts + n
        print(f"import {n:>9,} events: {res['seconds']:.1f}s = {lines / res['seconds']:,.0f} "
              f"lines/s; json.loads loop {parse:.1f}s, orjson loop {fast:.1f}s; "
              f"ratio {res['seconds'] / parse:.2f}x json.loads (target <= 3x), "
              f"{res['seconds'] / fast:.2f}x orjson; peak RSS {res['rss_mb']:.0f} MB "
              f"(target <= 300 MB); rejected {res['rejected']}; load average "
              f"{os.getloadavg()[0]:.1f}")
        print(f"  phases: {phases(res, parse)}")
        again = run_import(url, path)
        print(f"  re-import of the same file: {again['seconds']:.1f}s "
              f"({again['seconds'] / parse:.2f}x), new events {again['new_events']} (must be 0); "
              f"peak RSS {again['rss_mb']:.0f} MB")
        print(f"  phases: {phases(again, parse)}")
        last_db = url
    runs = [(True, "warm cache"), (False, "no cache, no snapshots")]
    for cached, label in runs + [(False, "no cache, daily snapshots")]:
        if label.endswith("daily snapshots"):
            print(f"  daily snapshot job for T-30: {snapshot_30d_ago(last_db):.1f}s")
        lat = latency(last_db, args.samples, cached, args.settings)
        t, f, lk = lat["trivial"], lat["360"], lat["lookup"]
        print(f"360 latency, {label}: p50 {f['p50']:.2f} ms, p99 {f['p99']:.2f} ms "
              f"(target <= 15 ms); lookup p50 {lk['p50']:.2f} p99 {lk['p99']:.2f} ms; trivial "
              f"route p50 {t['p50']:.2f} p99 {t['p99']:.2f} ms; ratio p99 "
              f"{f['p99'] / t['p99']:.2f}x (target <= 1.5x)")
    print(f"peak RSS of this process: "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB; load average "
          f"{os.getloadavg()[0]:.1f}")
    for url in made:
        drop_db(args.pg, url)


if __name__ == "__main__":
    main()
