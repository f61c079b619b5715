"""Team load benchmark: N concurrent clients against gunicorn web workers on PostgreSQL with
the procrastinate queue, on a copy of a 10k-account workspace.

Phases, all in one run: the trivial route (`/healthz`, one `SELECT 1`) as the baseline; mixed
reads (360s of 2,000 sampled accounts, so some cached and most not; lookups by domain and by
email; account lists by name prefix); then the same mixed reads while `account360 worker`
processes run a large import (posted through the API: 202 and a job) and a HubSpot sync
(a local fake portal, bench_crm_sync's lazy one, in its own process). Not a test: it prints
requests, errors, req/s and latency percentiles per request kind, the ratios against the
trivial route, how far the import and the sync got, and the load average.

    createdb -h 127.0.0.1 -U postgres -T perf_bench NAME_bench
    ACCOUNT360_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/NAME_bench \\
        .venv/bin/account360 db upgrade
    flock /work/bench.lock .venv/bin/python bench/bench_load.py \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/NAME_bench \\
        --import-file /tmp/a360pg/demo-360.jsonl
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import loadgen  # noqa: E402
from team_procs import (Procs, create_token, free_port, hubspot_sync, job_env,  # noqa: E402
                        wait_http)

SECRET = "bench-load-secret"


def sample(url: str, n: int, seed: int = 11) -> dict:
    from sqlalchemy import text

    from server.db import Store

    store = Store(url)
    with store.sessions() as s:
        ids = [r[0] for r in s.execute(text("SELECT id FROM accounts ORDER BY id"))]
        domains = [r[0] for r in s.execute(text(
            "SELECT domain FROM account_domains ORDER BY domain LIMIT 20000"))]
        emails = [r[0] for r in s.execute(text(
            "SELECT email FROM contacts WHERE email IS NOT NULL ORDER BY id LIMIT 20000"))]
        names = [r[0] for r in s.execute(text("SELECT name FROM accounts ORDER BY id"))]
    store.dispose()
    rng = random.Random(seed)
    return {"ids": rng.sample(ids, min(n, len(ids))),
            "domains": rng.sample(domains, min(500, len(domains))),
            "emails": rng.sample(emails, min(500, len(emails))),
            "prefixes": sorted({x.split()[0][:4] for x in names if x})[:200]}


def picker(data: dict):
    from urllib.parse import quote

    def pick(rng: random.Random) -> tuple[str, str]:
        x = rng.random()
        if x < 0.5:
            return "360", f"/api/v1/accounts/{quote(rng.choice(data['ids']))}/360"
        if x < 0.65:
            return "lookup", f"/api/v1/accounts/lookup?domain={quote(rng.choice(data['domains']))}"
        if x < 0.75:
            return "lookup", f"/api/v1/accounts/lookup?email={quote(rng.choice(data['emails']))}"
        return "list", f"/api/v1/accounts?limit=20&q={quote(rng.choice(data['prefixes']))}"

    return pick


def head_of(path: Path, mb: int, out: Path) -> int:
    """The first `mb` MB of a JSON Lines file, cut at a line end; its line count."""
    lines = 0
    with open(path, "rb") as src, open(out, "wb") as dst:
        for line in src:
            dst.write(line)
            lines += 1
            if dst.tell() >= mb * 1_000_000:
                break
    return lines


def post_import(base: str, token: str, path: Path, out: dict) -> None:
    import requests

    t0 = time.perf_counter()
    with open(path, "rb") as fh:
        r = requests.post(base + "/api/v1/import", data=fh, timeout=600, headers={
            "Authorization": f"Bearer {token}", "Content-Type": "application/x-ndjson"})
    out.update(status=r.status_code, seconds=time.perf_counter() - t0, body=r.json())


def first_reads(base: str, token: str, data: dict) -> str:
    import requests

    out = []
    for path in (f"/api/v1/accounts?limit=20&q={data['prefixes'][0]}",
                 f"/api/v1/accounts/{data['ids'][0]}/360"):
        t0 = time.perf_counter()
        r = requests.get(base + path, timeout=900, headers={"Authorization": f"Bearer {token}"})
        out.append(f"{path.split('?')[0]} {r.status_code} in {time.perf_counter() - t0:.1f} s")
    return "; ".join(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--database-url", required=True, help="a COPY of the bench database")
    ap.add_argument("--settings", default="/tmp/a360pg/demo-settings.toml")
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--web-workers", type=int, default=2)
    ap.add_argument("--threads", type=int, default=4, help="gunicorn gthread threads")
    ap.add_argument("--job-workers", type=int, default=2)
    ap.add_argument("--import-file", type=Path, default=Path("/tmp/a360pg/demo-360.jsonl"))
    ap.add_argument("--import-mb", type=int, default=64)
    ap.add_argument("--hubspot", default="5000/20000", help="companies/deals of the fake")
    ap.add_argument("--job-nice", type=int, default=0,
                    help="start the job workers with this niceness (web workers: 0)")
    ap.add_argument("--reads-only", action="store_true",
                    help="stop after the trivial and mixed phases (no job workers, import, sync)")
    ap.add_argument("--drain", type=float, default=420,
                    help="seconds to wait afterwards for the import and the sync to end")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="a360-load-"))
    env = job_env(args.database_url, work, SECRET, args.settings)
    data = sample(args.database_url, 2000)
    token = create_token(args.database_url, "bench-load")
    body = work / "import.jsonl"
    lines = head_of(args.import_file, args.import_mb, body)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    procs = Procs(work)
    print(f"{os.cpu_count()} CPUs; {args.clients} clients x {args.seconds:.0f} s per phase; "
          f"gunicorn -w {args.web_workers} -k gthread --threads {args.threads}; "
          f"{args.job_workers} job workers (nice {args.job_nice}); "
          f"load average before: {os.getloadavg()}")
    try:
        procs.start("web", [str(Path(sys.executable).parent / "gunicorn"), "-w",
                            str(args.web_workers), "-k", "gthread", "--threads",
                            str(args.threads), "-b", f"127.0.0.1:{port}", "--timeout", "120",
                            "server:create_app()"], env)
        wait_http(base + "/healthz", 60)
        pick = picker(data)
        first = first_reads(base, token, data)      # one-time work after the copy, not measured
        print(f"first list and 360 after the start: {first}", flush=True)
        loadgen.run(base, token, pick, args.clients, 5)           # warm-up, not reported
        print(loadgen.HEADER)
        res, wall = loadgen.run(base, token, lambda rng: ("healthz", "/healthz"),
                                args.clients, args.seconds)
        trivial = [x for v in res.lat.values() for x in v]
        t_p99, t_rps = loadgen.pct(trivial, 99), len(trivial) / wall
        print("\n".join(loadgen.report("trivial", res, wall)), flush=True)
        res, wall = loadgen.run(base, token, pick, args.clients, args.seconds)
        print("\n".join(loadgen.report("mixed", res, wall, t_p99, t_rps)), flush=True)
        if args.reads_only:
            print(f"load average after: {os.getloadavg()}")
            return

        niced = ["nice", "-n", str(args.job_nice)] if args.job_nice else []
        for i in range(args.job_workers):
            procs.start(f"worker-{i}", [*niced, sys.executable, "-m", "server", "worker"], env)
        companies, deals = (int(x) for x in args.hubspot.split("/"))
        sync = hubspot_sync(procs, args.database_url, SECRET, companies, deals)
        posted: dict = {}
        th = threading.Thread(target=post_import, args=(base, token, body, posted))
        th.start()
        res, wall = loadgen.run(base, token, pick, args.clients, args.seconds)
        print("\n".join(loadgen.report("mixed+import+sync", res, wall, t_p99, t_rps)))
        th.join(600)
        import_id = posted.get("body", {}).get("import_id")
        print(f"load average after: {os.getloadavg()}")
        print(f"at the end of the phase: import answered {posted.get('status')} in "
              f"{posted.get('seconds', 0):.1f} s ({body.stat().st_size / 1e6:.0f} MB, "
              f"{lines:,} lines), {sync.import_progress(import_id)}; {sync.progress()}",
              flush=True)
        t0 = time.perf_counter()
        while not sync.all_done(import_id) and time.perf_counter() - t0 < args.drain:
            time.sleep(0.5)
        print(f"then without web load, {time.perf_counter() - t0:.0f} s more: "
              f"{sync.import_progress(import_id)}; {sync.progress()}")
    finally:
        procs.stop()


if __name__ == "__main__":
    main()
