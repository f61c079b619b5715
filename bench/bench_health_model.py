"""Health model page benchmark: /app/health-model's server time at 10k accounts, before (the
backtest computed in the request, as the page did) and after (the stored result read),
against the trivial route, plus the `backtest.run` job that stores it.

Not a test: it prints figures and ratios. Target (issue: the CS workspace): every page's
server time p99 <= 300 ms at 10k accounts. The page is fetched through the Flask test
client signed in as a lead, for its default period (the trailing year, horizon 90):

- "in the request": the stored results are deleted before each sample and the inline limit
  raised, so every view computes the backtest (with the daily history in place), as before;
- "stored, fresh": the job's result read back;
- "stored, after a write": one account-metrics row is rewritten before each sample (as any
  write does), so the page shows the stored result marked "data changed since" beside the
  queued recomputation.

    cp -r /tmp/a360bench /tmp/hm15-bench        # a copy: the run migrates it and writes rows
    .venv/bin/python bench/bench_health_model.py --db sqlite:////tmp/hm15-bench/account360.db \\
        --settings /tmp/hm15-bench/demo-settings.toml
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_workspace import signed_in, timed  # noqa: E402

PAGE = "/app/health-model"


def cpu() -> float:
    return time.process_time()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", required=True)
    ap.add_argument("--settings", default=None)
    ap.add_argument("--samples", type=int, default=30)
    ap.add_argument("--before-samples", type=int, default=3)
    args = ap.parse_args()
    if args.settings:
        os.environ["ACCOUNT360_SETTINGS"] = args.settings
    from sqlalchemy import delete, func, select, update

    from server import create_app
    from server import models as m
    from server.backtest import stored
    from server.db import Store
    from server.models import utcnow
    from server.rows.models import AccountMetrics
    from server.settings_models import BacktestResult

    Store(args.db, migrate=True).dispose()          # a copy: brought to the current schema
    app = create_app({"DATABASE_URL": args.db, "SECRET_KEY": "bench", "CACHE_TTL": 0,
                      "CACHE_SIZE": 1})
    app.testing = True                 # no embedded job threads: the script runs the job
    st = app.extensions["account360"]
    with st.store.sessions() as s:
        n = s.scalar(select(func.count()).select_from(m.Account))
        one = s.scalar(select(AccountMetrics.account_id).limit(1))
    print(f"health model page at {n:,} accounts; load average "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    lead = signed_in(app, "bench-lead@example.com", "lead")
    base = timed(lead.get, "/healthz", args.samples)
    print(f"  {'trivial route /healthz':<58} p50 {base['p50']:8.2f} ms  p99 {base['p99']:8.2f} ms")

    def line(label: str, s: dict) -> None:
        print(f"  {label:<58} p50 {s['p50']:8.2f} ms  p99 {s['p99']:8.2f} ms;"
              f" p99 {s['p99'] / base['p99']:.1f}x trivial", flush=True)

    def job(label: str) -> None:
        with st.store.sessions() as s:
            run_id = s.scalar(select(BacktestResult.id).where(
                BacktestResult.status == "queued").order_by(BacktestResult.id.desc()))
        t0, c0 = time.perf_counter(), cpu()
        stored.run(st.store, st.settings, run_id)
        print(f"  {label:<58} {time.perf_counter() - t0:8.1f} s (cpu {cpu() - c0:.1f} s)",
              flush=True)

    r = lead.get(PAGE)                               # queues the default backtest
    assert r.status_code == 200 and b"backtest-running" in r.data, r.status_code
    job("backtest.run job (first: missing history evaluated, kept)")

    def forget() -> None:
        with st.store.session() as s:
            s.execute(delete(BacktestResult))

    limit = st.config["PREVIEW_INLINE_ACCOUNTS"]
    st.config["PREVIEW_INLINE_ACCOUNTS"] = 10 ** 9
    line("before: backtest computed in the request (history in place)",
         timed(lead.get, PAGE, args.before_samples, forget))
    st.config["PREVIEW_INLINE_ACCOUNTS"] = limit
    forget()
    lead.get(PAGE)
    job("backtest.run job (history in place)")
    line("after: stored result, fresh", timed(lead.get, PAGE, args.samples))

    def write() -> None:
        with st.store.session() as s:
            s.execute(update(AccountMetrics).where(AccountMetrics.account_id == one)
                      .values(computed_at=utcnow()))

    line("after a write: stored result marked stale, recompute queued",
         timed(lead.get, PAGE, args.samples, write))
    print(f"load average at the end {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
