"""Ingest benchmark: the JSONL import through the CLI and through the API (a large body: spooled,
202, loaded by the embedded queue's job), against a bare `json.loads` loop and an `orjson`
loop over the same file, on a fresh SQLite (or PostgreSQL with --pg) database each time.

Not a test: it prints figures and ratios. Targets (issue 11): import <= 3x the json.loads
loop; API import >= 80% of the CLI import's speed.

    .venv/bin/python bench/bench_ingest.py --events 1000000 --accounts 10000
    .venv/bin/python bench/bench_ingest.py --events 200000 --accounts 2000 \
        --pg postgresql+psycopg://postgres@127.0.0.1:5432/postgres
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

import orjson
import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_core import ROOT, fresh_db, parse_only, write_workspace  # noqa: E402

CLI = [sys.executable, "-m", "server"]


def orjson_only(path: Path) -> float:
    return parse_only(path, orjson.loads)


def env_for(url: str, work: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACCOUNT360_")}
    env.update({"ACCOUNT360_DATABASE_URL": url, "ACCOUNT360_DATA_DIR": str(work / "data"),
                "ACCOUNT360_SECRET_KEY": "bench", "ACCOUNT360_SYNC_POLL_SECONDS": "0.2",
                "ACCOUNT360_IMPORT_JOB_BYTES": "1000000",
                "ACCOUNT360_MAX_IMPORT_BYTES": str(4 * 10**9)})
    return env


def cli_import(url: str, path: Path, work: Path) -> float:
    env = env_for(url, work)
    subprocess.run(CLI + ["db", "upgrade"], env=env, cwd=ROOT, check=True, capture_output=True)
    start = time.perf_counter()
    subprocess.run(CLI + ["import", str(path)], env=env, cwd=ROOT, check=True,
                   capture_output=True)
    return time.perf_counter() - start


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def api_import(url: str, path: Path, work: Path) -> tuple[float, float, dict]:
    """POST the file (streamed) to `account360 serve`; seconds to the 202, to the job's end."""
    env = env_for(url, work)
    subprocess.run(CLI + ["db", "upgrade"], env=env, cwd=ROOT, check=True, capture_output=True)
    token = subprocess.run(CLI + ["token", "create", "--name", "bench"], env=env, cwd=ROOT,
                           check=True, capture_output=True, text=True).stdout.strip()
    port = free_port()
    server = subprocess.Popen(CLI + ["serve", "--port", str(port)], env=env, cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                if requests.get(base + "/healthz", timeout=1).ok:
                    break
            except requests.RequestException:
                time.sleep(0.1)
        auth = {"Authorization": f"Bearer {token}"}
        requests.get(base + "/api/v1/me", headers=auth, timeout=5)  # starts the runner
        start = time.perf_counter()
        with path.open("rb") as fh:
            r = requests.post(base + "/api/v1/import", data=fh, timeout=600, headers={
                **auth, "Content-Type": "application/x-ndjson"})
        accepted = time.perf_counter() - start
        assert r.status_code == 202, r.text
        status_url = base + r.json()["status_url"]
        while True:
            st = requests.get(status_url, headers=auth, timeout=10).json()
            if st["status"] in ("done", "failed"):
                break
            time.sleep(0.2)
        return accepted, time.perf_counter() - start, st
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--accounts", type=int, default=10_000)
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--pg", default=None, help="PostgreSQL server URL (default: SQLite)")
    ap.add_argument("--workdir", default=None)
    args = ap.parse_args()
    work = Path(args.workdir or tempfile.mkdtemp(prefix="a360-ingest-"))
    work.mkdir(parents=True, exist_ok=True)
    path = work / "workspace.jsonl"
    write_workspace(path, args.accounts, args.events)
    lines = args.accounts + args.events
    size_mb = path.stat().st_size / 1e6
    print(f"{lines:,} lines ({args.accounts:,} accounts, {args.events:,} events), "
          f"{size_mb:.0f} MB, database {'PostgreSQL' if args.pg else 'SQLite'}; "
          f"load average {os.getloadavg()[0]:.1f}")
    parse_only(path)                      # warm the page cache
    j = parse_only(path)
    o = orjson_only(path)
    print(f"json.loads loop      {j:7.1f} s  {lines / j:9,.0f} lines/s")
    print(f"orjson.loads loop    {o:7.1f} s  {lines / o:9,.0f} lines/s")
    cli = cli_import(fresh_db(args.pg, work, "cli"), path, work / "cli")
    print(f"CLI import           {cli:7.1f} s  {lines / cli:9,.0f} lines/s  "
          f"{cli / j:.2f}x json.loads, {cli / o:.2f}x orjson")
    accepted, api, st = api_import(fresh_db(args.pg, work, "api"), path, work / "api")
    print(f"API import (job)     {api:7.1f} s  {lines / api:9,.0f} lines/s  "
          f"{api / j:.2f}x json.loads, {api / o:.2f}x orjson; 202 after {accepted:.1f} s "
          f"(spooling {size_mb / accepted:.0f} MB/s); loaded {st['loaded']:,}, "
          f"rejected {st['rejected']}")
    print(f"API speed / CLI speed {cli / api:.2f} (target >= 0.80)")
    print(f"bench peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
