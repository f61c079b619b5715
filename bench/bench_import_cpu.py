"""One JSONL import into a fresh database: its phases, this process's CPU and, on PostgreSQL,
the server backends' CPU (read from /proc: needs the server on this machine), which the
machine's load changes much less than wall times. For A/B runs of two code trees in one
hold of the bench lock: run it from each tree's checkout in turn.

    .venv/bin/python bench/bench_import_cpu.py --events 1000000 --workdir /tmp/ingest11-bench
    (cd /tmp/base-tree && /work/wt/.venv/bin/python bench/bench_import_cpu.py ... --pg URL)

The file is bench_core's workspace (ws-<events>.jsonl in the workdir, made when missing).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_core import drop_db, fresh_db, parse_only, write_workspace  # noqa: E402

CHILD = r'''
import json, os, resource, sys, time
from sqlalchemy import text
from server.db import Store
from server.importer import import_lines
store = Store(sys.argv[1], migrate=True)
start = time.perf_counter()
with open(sys.argv[2], "rb") as fh:
    report = import_lines(store, fh)
elapsed = time.perf_counter() - start
server_cpu = 0.0
if sys.argv[1].startswith("postgresql"):
    with store.engine.connect() as c:
        pids = c.execute(text("SELECT pid FROM pg_stat_activity "
                              "WHERE datname = current_database()")).scalars().all()
    for pid in pids:
        try:
            f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
            server_cpu += (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")
        except OSError:
            pass
print(json.dumps({"seconds": elapsed, "phases": report.seconds, "cpu": report.cpu_seconds,
                  "server_cpu": server_cpu, "new": report.new_events,
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
'''


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--accounts", type=int, default=10_000)
    ap.add_argument("--workdir", default="/tmp/a360-bench-import")
    ap.add_argument("--pg", default=None, metavar="SERVER_URL")
    args = ap.parse_args()
    work = Path(args.workdir)
    work.mkdir(parents=True, exist_ok=True)
    path = work / f"ws-{args.events}.jsonl"
    if not path.exists():
        write_workspace(path, args.accounts, args.events)
    url = fresh_db(args.pg, work, f"cpu-{args.events}")
    parse = parse_only(path)
    out = subprocess.run([sys.executable, "-c", CHILD, url, str(path)], check=True,
                         capture_output=True, text=True, cwd=os.getcwd())
    res = json.loads(out.stdout.strip().splitlines()[-1])
    phases = "; ".join(f"{k} {res['phases'][k]:.1f}s ({res['phases'][k] / parse:.2f}x, "
                       f"cpu {res['cpu'][k]:.1f}s)" for k in res["phases"])
    print(f"tree {os.getcwd()}: import {res['seconds']:.1f}s = {res['seconds'] / parse:.2f}x "
          f"json.loads ({parse:.1f}s); our cpu {sum(res['cpu'].values()):.1f}s, server cpu "
          f"{res['server_cpu']:.1f}s; peak RSS {res['rss_mb']:.0f} MB; new events "
          f"{res['new']}; load average {os.getloadavg()[0]:.1f}\n  phases: {phases}")
    drop_db(args.pg, url)


if __name__ == "__main__":
    main()
