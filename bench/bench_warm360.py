"""Warm (or uncached) 360 against the trivial route, interleaved: each sample is one
`/api/v1/me` and one `/api/v1/accounts/<id>/360` back to back in the same process, so the load
of the machine moves both alike; several code trees (checkouts) take turns, round after
round, on the same database (`--uncached`: the cache off, the 360 computed every time).
Prints per tree and round p50/p99 of both routes and their ratios, with the load average;
then the medians over the rounds.

    flock /work/bench.lock .venv/bin/python bench/bench_warm360.py DB_URL \\
        --settings /tmp/a360pg/demo-settings.toml --code /tmp/base=f330cba --code . --rounds 3

The database must be at the schema of every tree (create_app checks it); nothing is written
but an API token per run and, once, the account-metrics rows brought up to date.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = r"""
import json, random, statistics, sys, time
from urllib.parse import quote
sys.path.insert(0, sys.argv[1])
from sqlalchemy import text
from server import create_app
from server.auth import create_token
from server.rows.refresh import ensure_fresh

url, settings, samples, cached = sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5] == "1"
app = create_app({"DATABASE_URL": url, "CACHE_TTL": 3600 if cached else 0,
                  "CACHE_SIZE": 100_000 if cached else 1,
                  "SECRET_KEY": "bench", **({"SETTINGS": settings} if settings else {})})
st = app.extensions["account360"]
ensure_fresh(st.store, st.settings)
h = {"Authorization": "Bearer " + create_token(st.store, "bench-warm")}
with st.store.sessions() as s:
    ids = [r[0] for r in s.execute(text("SELECT id FROM accounts ORDER BY id"))]
rng = random.Random(7)
picked = [rng.choice(ids) for _ in range(samples)]
c = app.test_client()
for i in set(picked) if cached else ():
    assert c.get(f"/api/v1/accounts/{quote(i)}/360", headers=h).status_code == 200
me, full = [], []
for i in picked:
    for out, path in ((me, "/api/v1/me"), (full, f"/api/v1/accounts/{quote(i)}/360")):
        t0 = time.perf_counter()
        r = c.get(path, headers=h)
        out.append((time.perf_counter() - t0) * 1000)
        assert r.status_code == 200
st.store.dispose()
def q(xs):
    xs = sorted(xs)
    return {"p50": statistics.median(xs), "p99": xs[int(len(xs) * 0.99) - 1]}
print(json.dumps({"me": q(me), "360": q(full)}))
"""


def commit_of(tree: Path) -> str:
    try:
        return subprocess.run(["git", "-C", str(tree), "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True, check=True).stdout.strip()
    except (subprocess.CalledProcessError, FileNotFoundError):
        return tree.name


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("db_url")
    ap.add_argument("--settings", default="")
    ap.add_argument("--code", action="append", default=None,
                    help="a code tree to measure, DIR or DIR=LABEL (a tree without git, e.g. "
                         "`git archive` of a commit); repeat for several; default: this one")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--samples", type=int, default=500)
    ap.add_argument("--uncached", action="store_true",
                    help="the 360 computed on every request (cache off) instead of warm")
    args = ap.parse_args()
    specs = [c.partition("=") for c in (args.code or [str(ROOT)])]
    trees = [Path(d).resolve() for d, _, _ in specs]
    names = [label or commit_of(t) for (_, _, label), t in zip(specs, trees)]
    what = "uncached" if args.uncached else "warm"
    print(f"{os.cpu_count()} cores; database {args.db_url.split(':')[0]}; {what} 360; "
          f"{args.samples} samples per run; load average {os.getloadavg()[0]:.1f}", flush=True)
    ratios: dict[str, list[tuple[float, float]]] = {n: [] for n in names}
    for rnd in range(1, args.rounds + 1):
        for tree, name in zip(trees, names):
            out = subprocess.run([sys.executable, "-c", CHILD, str(tree), args.db_url,
                                  args.settings, str(args.samples),
                                  "0" if args.uncached else "1"], capture_output=True,
                                 text=True, cwd=tree)
            if out.returncode:
                sys.exit(out.stderr[-3000:])
            r = json.loads(out.stdout.strip().splitlines()[-1])
            me, full = r["me"], r["360"]
            p50, p99 = full["p50"] / me["p50"], full["p99"] / me["p99"]
            ratios[name].append((p50, p99))
            print(f"round {rnd} {name}: trivial p50 {me['p50']:.2f} p99 {me['p99']:.2f} ms; "
                  f"{what} 360 p50 {full['p50']:.2f} p99 {full['p99']:.2f} ms; ratio p50 "
                  f"{p50:.2f}x, p99 {p99:.2f}x (target <= 1.5x); load average "
                  f"{os.getloadavg()[0]:.1f}", flush=True)
    for name, rs in ratios.items():
        print(f"{name}: median over {len(rs)} rounds: ratio p50 "
              f"{statistics.median(r[0] for r in rs):.2f}x, p99 "
              f"{statistics.median(r[1] for r in rs):.2f}x")


if __name__ == "__main__":
    main()
