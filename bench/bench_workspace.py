"""Workspace pages benchmark: each page's server time at 10k accounts against a trivial route.

Not a test: it prints figures and ratios. Target (issue: the CS workspace): every page's
server time p99 <= 300 ms at 10k accounts. Pages are fetched through the Flask test client
signed in as a lead (the whole team: the heaviest scope) and as a CSM (their own book): the
dashboard (with its charts) for each preset and a filter, the lifecycle view, priority
accounts, the accounts table (sorts, filters, ranges) and its CSV, my tasks, and the account
page of the largest at-risk account. The 360 cache is off (every account page computes it).
The dashboard remembers its figures while the metrics rows are unchanged
(server/workspace/memo.py): "(after a write)" lines clear that memo before each sample, as a
write does, so they time the dashboard computed from the rows.

    # build the 10k-account demo workspace once (minutes), copy it (the script adds users):
    ACCOUNT360_DATA_DIR=/tmp/a360bench account360 demo --accounts 10000 --events 1500000 --no-serve
    cp /tmp/a360bench/account360.db /tmp/ws-bench.db
    .venv/bin/python bench/bench_workspace.py --db sqlite:////tmp/ws-bench.db \
        --settings /tmp/a360bench/demo-settings.toml --north-star report_shared
    # PostgreSQL: a copy of the shared database, migrated (account360 db upgrade) first
    .venv/bin/python bench/bench_workspace.py --db postgresql+psycopg://.../ws_bench ...
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PASSWORD = "bench password 123"
PAGES = ("/app/", "COLD /app/", "/app/?period=quarter", "COLD /app/?period=quarter",
         "/app/?period=month",
         "/app/?segment=enterprise&phase=renewal", "COLD /app/?segment=enterprise&phase=renewal",
         "/app/lifecycle", "/app/priority",
         "/app/accounts", "/app/accounts?sort=-arr&band=at_risk",
         "/app/accounts?q=acme&sort=renewal", "/app/accounts?arr_min=50000&health_max=60",
         "/app/accounts.csv?sort=-health", "/app/tasks", "ACCOUNT")


def stats(ms: list[float]) -> dict:
    ms = sorted(ms)
    return {"p50": statistics.median(ms), "p99": ms[max(0, int(len(ms) * 0.99) - 1)]}


def timed(fetch, path: str, n: int, before=None) -> dict:
    fetch(path)  # warm: the first read of the day may refresh pending rows
    out = []
    for _ in range(n):
        if before:
            before()
        t0 = time.perf_counter()
        r = fetch(path)
        out.append((time.perf_counter() - t0) * 1000)
        assert r.status_code == 200, (path, r.status_code)
    return stats(out)


def signed_in(app, email: str, role: str):
    from server.admin.models import User
    from server.services.users import create_user

    store = app.extensions["account360"].store
    with store.sessions() as s:
        exists = s.query(User).filter_by(email=email).first() is not None
    if not exists:
        create_user(store, email, role, password=PASSWORD)
    client = app.test_client()
    html = client.get("/admin/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', html)[1]
    r = client.post("/admin/login", data={"csrf_token": csrf, "email": email,
                                          "password": PASSWORD})
    assert r.status_code == 302, r.status_code
    return client


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", required=True)
    ap.add_argument("--settings", default=None)
    ap.add_argument("--samples", type=int, default=30)
    ap.add_argument("--north-star", metavar="EVENT", default=None,
                    help="add a North Star counting EVENT by month to the settings (the "
                         "dashboard then shows its total per month)")
    args = ap.parse_args()
    settings = args.settings
    if args.north_star:
        import tempfile

        base = Path(settings).read_text() if settings else ""
        tmp = Path(tempfile.mkdtemp()) / "settings.toml"
        tmp.write_text(f'{base}\n[north_star]\nname = "{args.north_star}"\nkind = "events"\n'
                       f'events = ["{args.north_star}"]\nperiod = "month"\n')
        settings = str(tmp)
    if settings:
        os.environ["ACCOUNT360_SETTINGS"] = settings
    from sqlalchemy import func, select

    from server import create_app
    from server import models as m

    app = create_app({"DATABASE_URL": args.db, "SECRET_KEY": "bench", "CACHE_TTL": 0,
                      "CACHE_SIZE": 1})
    from server.rows.models import AccountMetrics

    with app.extensions["account360"].store.sessions() as s:
        n = s.scalar(select(func.count()).select_from(m.Account))
        csm = s.scalar(select(m.Account.owner).where(m.Account.owner.is_not(None)).limit(1))
        # the account page of the largest at-risk account (most history, signals, tickets)
        account = s.scalar(select(AccountMetrics.account_id)
                           .where(AccountMetrics.band == "at_risk")
                           .order_by(AccountMetrics.arr.desc()).limit(1))
    print(f"workspace pages at {n:,} accounts, {args.samples} samples each; load average "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    lead = signed_in(app, "bench-lead@example.com", "lead")
    mine = signed_in(app, csm, "csm")
    base = timed(lead.get, "/healthz", args.samples)
    print(f"  {'trivial route /healthz':<60} p50 {base['p50']:8.2f} ms  p99 {base['p99']:8.2f} ms")
    worst = 0.0
    from server.workspace import memo

    for who, client in (("lead", lead), ("csm", mine)):
        for path in PAGES:
            cold = path.startswith("COLD ")
            path = f"/app/accounts/{account}" if path == "ACCOUNT" else path.removeprefix("COLD ")
            s = timed(client.get, path, args.samples, memo.clear if cold else None)
            path = f"{path} (after a write)" if cold else path
            worst = max(worst, s["p99"])
            print(f"  {who + ' ' + path:<60} p50 {s['p50']:8.2f} ms  p99 {s['p99']:8.2f} ms;"
                  f" p99 {s['p99'] / base['p99']:.1f}x trivial")
    print(f"worst page p99 {worst:.1f} ms (target <= 300 ms); load average at the end "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
