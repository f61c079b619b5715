"""CRM sync benchmark: a full HubSpot sync of companies and deals from a local fake portal.

Not a test: it prints records/s, peak RSS and the per-record cost ratio between two volumes
(the cost per record must stay flat as volume grows). The fake portal generates its objects
lazily (object i is built when asked for), runs in its own process, and is driven through
the real connector: hubspot-api-client over HTTP, search paging with the 10,000-result cap,
v4 association batches, the record path and one transaction per page.

    .venv/bin/python bench/bench_crm_sync.py                    # 10k/40k and 50k/200k
    .venv/bin/python bench/bench_crm_sync.py --volumes 2000/8000,10000/40000
    .venv/bin/python bench/bench_crm_sync.py --database-url postgresql+psycopg://...
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

T0 = 1_735_689_600_000  # 2025-01-01T00:00:00Z
STAGES = ("closedwon", "closedwon", "contractsent", "closedlost")
TYPES = ("newbusiness", "existingbusiness", "renewal", "newbusiness")


def build_fake(companies: int, deals: int):
    """A FakeHubSpot whose companies and deals are generated on demand."""
    from tests.connectors.fake_hubspot import FakeHubSpot, LazyCollection, Obj
    from tests.connectors.hubspot_portal import OWNERS, PIPELINES

    fake = FakeHubSpot()
    fake.keep_log = False
    fake.owners, fake.pipelines = OWNERS, PIPELINES
    c_base, d_base = 1_000_000, 50_000_000

    def company(i: int) -> Obj:
        return Obj(str(c_base + i), {"name": f"Company {i}", "domain": f"c{i}.example",
                                     "hubspot_owner_id": OWNERS[i % 2]["id"]},
                   T0 + i * 1000, T0)

    def deal(j: int) -> Obj:
        obj = Obj(str(d_base + j), {
            "dealname": f"Deal {j}", "amount": str(1000 + j % 5000),
            "dealstage": STAGES[j % 4], "dealtype": TYPES[j % 4], "pipeline": "default",
            "closedate": f"2025-{1 + j % 12:02d}-{1 + j % 28:02d}T00:00:00Z"},
            T0 + j * 250, T0)
        obj.assoc["companies"] = [(str(c_base + (j * 7919) % companies), "Primary")]
        return obj

    fake.collections["companies"] = LazyCollection("companies", companies, c_base, company,
                                                   lambda i: T0 + i * 1000)
    fake.collections["deals"] = LazyCollection("deals", deals, d_base, deal,
                                               lambda j: T0 + j * 250)
    return fake


def serve(companies: int, deals: int, port_file: str) -> None:
    fake = build_fake(companies, deals)
    url = fake.start()
    Path(port_file).write_text(url)
    while True:
        time.sleep(3600)


def run_one(database_url: str, url: str, sqlite_cache_mb: int | None = None) -> None:
    """One full sync in this process; prints a JSON line with the figures."""
    import logging

    logging.basicConfig(level=logging.WARNING)
    from connectors.hubspot import HubSpotConnector, HubSpotSettings
    from server.db import Store
    from server.sync import run_sync

    store = Store(database_url, migrate=True)
    if sqlite_cache_mb is not None and store.dialect == "sqlite":
        from sqlalchemy import event

        @event.listens_for(store.engine, "connect")
        def _cache(dbapi_conn, _record):  # noqa: ANN001
            dbapi_conn.execute(f"PRAGMA cache_size=-{sqlite_cache_mb * 1024}")

        store.engine.dispose()
    conn = HubSpotConnector(HubSpotSettings.from_dict({
        "access_token": "pat-test-token", "base_url": url, "search_lag_seconds": 0}))
    ru0 = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    report = run_sync(store, conn, streams=["companies", "deals"])
    seconds = time.perf_counter() - started
    ru1 = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)
    peak_kb = ru1.ru_maxrss
    print(json.dumps({"status": report["status"], "records": report["totals"]["records"],
                      "skipped": report["totals"]["skipped"], "pages": report["totals"]["pages"],
                      "seconds": seconds, "cpu_seconds": cpu,
                      "peak_rss_mb": peak_kb / 1024}))


def measure(companies: int, deals: int, database_url: str | None,
            sqlite_cache_mb: int | None = None) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        port_file = Path(tmp) / "url"
        server = subprocess.Popen([sys.executable, __file__, "--serve", str(companies),
                                   str(deals), str(port_file)], cwd=ROOT)
        try:
            deadline = time.time() + 30
            while not port_file.exists() or not port_file.read_text():
                if time.time() > deadline:
                    raise RuntimeError("the fake portal did not start")
                time.sleep(0.05)
            url = port_file.read_text()
            db = database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
            if database_url:
                db = _fresh_pg(database_url)
            cmd = [sys.executable, __file__, "--run-one", db, url]
            if sqlite_cache_mb is not None:
                cmd += ["--sqlite-cache-mb", str(sqlite_cache_mb)]
            out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=True)
            return json.loads(out.stdout.strip().splitlines()[-1])
        finally:
            server.kill()
            server.wait()


def _fresh_pg(url: str) -> str:
    import uuid

    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    base = make_url(url)
    name = f"a360_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--volumes", default="10000/40000,50000/200000",
                    help="comma-separated companies/deals pairs")
    ap.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    ap.add_argument("--sqlite-cache-mb", type=int, default=None,
                    help="cap SQLite's page cache (the service sets 64 MB per connection)")
    ap.add_argument("--serve", nargs=3, help=argparse.SUPPRESS)
    ap.add_argument("--run-one", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.serve:
        serve(int(args.serve[0]), int(args.serve[1]), args.serve[2])
        return
    if args.run_one:
        run_one(*args.run_one, sqlite_cache_mb=args.sqlite_cache_mb)
        return
    rows = []
    print(f"HubSpot full sync (companies + deals) on {socket.gethostname()}, "
          f"python {sys.version.split()[0]}, store {args.database_url or 'SQLite'}")
    for pair in args.volumes.split(","):
        companies, deals = (int(x) for x in pair.split("/"))
        r = measure(companies, deals, args.database_url, args.sqlite_cache_mb)
        expected = companies + deals
        per = r["seconds"] / max(r["records"], 1) * 1e6
        cpu = r["cpu_seconds"] / max(r["records"], 1) * 1e6
        rows.append((companies, deals, r, per, cpu))
        print(f"{companies:>7} companies {deals:>8} deals: {r['records']:>8} records "
              f"(expected {expected}, {r['skipped']} skipped, {r['pages']} pages) in "
              f"{r['seconds']:.1f}s = {r['records'] / r['seconds']:,.0f} records/s; "
              f"{per:.0f} us/record wall, {cpu:.0f} us/record CPU of the sync process; "
              f"peak RSS {r['peak_rss_mb']:.0f} MB  [{r['status']}]")
    if len(rows) >= 2:
        first, last = rows[0], rows[-1]
        print(f"per-record cost ratio ({last[0]}/{last[1]} vs {first[0]}/{first[1]}): "
              f"wall {last[3] / first[3]:.2f}, CPU {last[4] / first[4]:.2f} (flat = 1.00); "
              f"peak RSS ratio {last[2]['peak_rss_mb'] / first[2]['peak_rss_mb']:.2f}")
        print("(wall time includes waiting on the fake portal and on other load on this "
              "machine; CPU time is the sync process alone)")


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
