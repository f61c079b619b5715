"""The dashboard's series at 10k accounts, lever by lever, against a trivial statement.

Not a test: it prints figures and ratios. Times, in one process on one database:
- the NRR/GRR series folded from the whole stored ARR timeline (services.trends, what every
  view after a write did before the kept series);
- the kept series (services.retention_series) while the timeline is unchanged, right after
  a real deal import that changes one account's ARR (the import is not timed), and built
  from nothing (a process's first view);
- the accounts per band at the 12 month ends (services.trends.bands_by_month), whole team
  and one CSM's book (to compare with and without the `(day, band, account_id)` index, run
  it on two copies, one with the index dropped).

    .venv/bin/python bench/bench_trends.py --db sqlite:////tmp/ws-bench.db --samples 30
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def timed(fn, n: int, before=None) -> dict:
    fn()
    out = []
    for _ in range(n):
        if before:
            before()
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    out.sort()
    return {"p50": statistics.median(out), "p99": out[max(0, int(len(out) * 0.99) - 1)]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", required=True)
    ap.add_argument("--samples", type=int, default=30)
    ap.add_argument("--only", choices=("retention", "bands"), default=None)
    args = ap.parse_args()
    from sqlalchemy import func, select

    from server.db import Store
    from server.importer import import_lines
    from server.models import Account
    from server.rows.models import AccountMetrics
    from server.services import retention_series, trends

    store = Store(args.db)
    today = date.today()
    with store.sessions() as s:
        n = s.scalar(select(func.count()).select_from(Account))
        csm = s.scalar(select(Account.owner).where(Account.owner.is_not(None)).limit(1))
        largest = list(s.scalars(select(AccountMetrics.account_id)
                                 .order_by(AccountMetrics.arr.desc()).limit(50)))
    print(f"dashboard series at {n:,} accounts, {args.samples} samples each; load average "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")

    def read(fn):
        def run():
            with store.sessions() as s:
                return fn(s)
        return run

    base = timed(read(lambda s: s.execute(select(1)).scalar()), args.samples)
    lines = [("trivial statement (select 1)", base)]
    if args.only in (None, "retention"):
        writes = iter(range(10**6))

        def deal() -> None:
            i = next(writes)
            acc = largest[i % len(largest)]
            rec = {"type": "deal", "id": f"bench-trends-{acc}-{i}-{time.time_ns()}",
                   "account_id": acc, "kind": "expansion", "status": "won", "amount": 1000,
                   "close_date": today.isoformat()}
            import_lines(store, [json.dumps(rec).encode()])

        kept = read(lambda s: retention_series.retention_by_month(s, today))
        lines += [
            ("NRR/GRR folded from the whole timeline",
             timed(read(lambda s: trends.retention_by_month(s, today)), args.samples)),
            ("kept NRR/GRR, timeline unchanged", timed(kept, args.samples)),
            ("kept NRR/GRR, after a deal changing one account's ARR",
             timed(kept, args.samples, deal)),
            ("kept NRR/GRR, built from nothing", timed(kept, args.samples,
                                                        retention_series.forget)),
            (f"kept NRR/GRR of one CSM's book ({csm})",
             timed(read(lambda s: retention_series.retention_by_month(s, today, csm)),
                   args.samples)),
        ]
    if args.only in (None, "bands"):
        with store.sessions() as s:
            points = len(trends.bands_by_month(s, today))
        lines += [
            (f"bands at month ends, team ({points} days with history)",
             timed(read(lambda s: trends.bands_by_month(s, today)), args.samples)),
            ("bands at month ends, one CSM's book",
             timed(read(lambda s: trends.bands_by_month(s, today, csm)), args.samples)),
        ]
    for label, st in lines:
        print(f"  {label:<62} p50 {st['p50']:8.2f} ms  p99 {st['p99']:8.2f} ms; "
              f"p99 {st['p99'] / base['p99']:.1f}x trivial")
    print(f"load average at the end {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
