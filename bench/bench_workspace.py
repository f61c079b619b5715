"""Workspace pages benchmark: each page's server time at 10k accounts against a trivial route.

Not a test: it prints figures and ratios. Target (issue: the CS workspace): every page's
server time p99 <= 300 ms at 10k accounts. Pages are fetched through the Flask test client
signed in as a lead (the whole team: the heaviest scope) and as a CSM (their own book): the
dashboard (with its charts) for each preset and a filter, the lifecycle view, priority
accounts, the accounts table (sorts, filters, ranges) and its CSV, my tasks, and the account
page of the largest at-risk account. The 360 cache is off (every account page computes it).
The dashboard remembers its figures while the data they read is unchanged
(server/workspace/memo.py). Its "after a ..." lines make a real write of one kind before each
sample, through the API as a team does (the write itself is not timed): a task on an
account, a usage import (20 events of today for one account) and a deal import that changes
an account's ARR (an expansion won today); "(memo cleared)" forgets every remembered figure
(a process's first view). Each dashboard line splits its server time into the portfolio
service, the NRR/GRR series, the bands series and the rest (choices, freshness, the rows
check, rendering), p50 of each part.

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
DASHBOARDS = ("/app/", "/app/?period=quarter", "/app/?segment=enterprise&phase=renewal")
WRITES = ("task", "usage", "deal", "clear")
PAGES = (*(f"{w.upper()} {p}" for p in DASHBOARDS for w in ("", *WRITES)),
         "/app/?period=month", "/app/lifecycle", "/app/priority",
         "/app/accounts", "/app/accounts?sort=-arr&band=at_risk",
         "/app/accounts?q=acme&sort=renewal", "/app/accounts?arr_min=50000&health_max=60",
         "/app/accounts.csv?sort=-health", "/app/tasks", "ACCOUNT")


def stats(ms: list[float]) -> dict:
    ms = sorted(ms)
    return {"p50": statistics.median(ms), "p99": ms[max(0, int(len(ms) * 0.99) - 1)]}


class Parts:
    """Times the dashboard's parts: each wrapped function adds its time to the current view."""

    def __init__(self) -> None:
        self.now: dict[str, float] = {}
        self.views: list[dict[str, float]] = []

    def wrap(self, module, name: str, label: str) -> None:
        fn = getattr(module, name)

        def timed_part(*a, **kw):
            t0 = time.perf_counter()
            try:
                return fn(*a, **kw)
            finally:
                self.now[label] = self.now.get(label, 0.0) + (time.perf_counter() - t0) * 1000
        setattr(module, name, timed_part)

    def line(self, totals: list[float]) -> str:
        if not any(self.views):
            return ""
        labels = ("portfolio", "retention", "bands")
        med = {k: statistics.median(v.get(k, 0.0) for v in self.views) for k in labels}
        rest = statistics.median(t - sum(v.get(k, 0.0) for k in labels)
                                 for t, v in zip(totals, self.views))
        return "      split p50: " + ", ".join(f"{k} {med[k]:.1f}" for k in labels) + \
            f", rest {rest:.1f} ms"


def timed(fetch, path: str, n: int, before=None, parts: Parts | None = None) -> tuple:
    fetch(path)  # warm: the first read of the day may refresh pending rows
    out = []
    if parts:
        parts.views = []
    for _ in range(n):
        if before:
            before()
        if parts:
            parts.now = {}
        t0 = time.perf_counter()
        r = fetch(path)
        out.append((time.perf_counter() - t0) * 1000)
        assert r.status_code == 200, (path, r.status_code)
        if parts:
            parts.views.append(parts.now)
    return stats(out), out


class Writes:
    """Real writes of the kinds a team makes, through the API (one account per write, in
    turn over the largest accounts)."""

    def __init__(self, app, accounts: list[str]) -> None:
        from server.auth import create_token

        self.client = app.test_client()
        token = create_token(app.extensions["account360"].store, "bench-writes")
        self.auth = {"Authorization": f"Bearer {token}"}
        self.accounts, self.n = accounts, 0

    def _next(self) -> str:
        self.n += 1
        return self.accounts[self.n % len(self.accounts)]

    def _import(self, records: list[dict]) -> None:
        import json

        body = "\n".join(json.dumps(r) for r in records).encode()
        r = self.client.post("/api/v1/import", data=body, headers={
            **self.auth, "Content-Type": "application/x-ndjson"})
        assert r.status_code == 200, r.get_data(as_text=True)

    def task(self) -> None:
        r = self.client.post(f"/api/v1/accounts/{self._next()}/tasks", headers=self.auth,
                             json={"subject": f"Bench follow-up {self.n}"})
        assert r.status_code == 201, r.get_data(as_text=True)

    def usage(self) -> None:
        from datetime import datetime, timezone

        acc, now = self._next(), datetime.now(timezone.utc).replace(microsecond=0)
        self._import([{"type": "event", "account_id": acc, "user_id": f"bench-{i % 4}",
                       "name": "report_created", "time": now.isoformat()} for i in range(20)])

    def deal(self) -> None:
        from datetime import date

        acc = self._next()
        self._import([{"type": "deal", "id": f"bench-exp-{acc}-{self.n}", "account_id": acc,
                       "kind": "expansion", "status": "won", "amount": 1000,
                       "close_date": date.today().isoformat()}])


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
    ap.add_argument("--dashboards-only", action="store_true",
                    help="time only the dashboard lines (with their writes and split)")
    ap.add_argument("--north-star-kind", default="events",
                    choices=("events", "active_users", "seats"),
                    help="what the --north-star counts (active_users, seats: any event)")
    ap.add_argument("--who", choices=("lead", "csm"), default=None,
                    help="time only the lead's (whole team) or only the CSM's pages")
    ap.add_argument("--only", metavar="PREFIX", default=None,
                    help="time only the pages whose path starts with PREFIX (e.g. /app/accounts)")
    args = ap.parse_args()
    settings = args.settings
    if args.north_star:
        import tempfile

        base = Path(settings).read_text() if settings else ""
        tmp = Path(tempfile.mkdtemp()) / "settings.toml"
        tmp.write_text(f'{base}\n[north_star]\nname = "{args.north_star}"\n'
                       f'kind = "{args.north_star_kind}"\n'
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
    base, _ = timed(lead.get, "/healthz", args.samples)
    print(f"  {'trivial route /healthz':<60} p50 {base['p50']:8.2f} ms  p99 {base['p99']:8.2f} ms")
    worst = 0.0
    from server.services import trends
    from server.workspace import dashboard, memo

    try:
        from server.services import retention_series
    except ImportError:  # before the kept series
        retention_series = None

    with app.extensions["account360"].store.sessions() as s:
        largest = list(s.scalars(select(AccountMetrics.account_id)
                                 .order_by(AccountMetrics.arr.desc()).limit(50)))
    writes = Writes(app, largest)
    parts = Parts()
    parts.wrap(dashboard, "portfolio", "portfolio")
    parts.wrap(trends, "retention_by_month", "retention")
    if retention_series is not None:
        parts.wrap(retention_series, "retention_by_month", "retention")
    parts.wrap(trends, "bands_by_month", "bands")
    before = {"TASK": writes.task, "USAGE": writes.usage, "DEAL": writes.deal,
              "CLEAR": memo.clear}
    after = {"TASK": "after a task", "USAGE": "after a usage import",
             "DEAL": "after a deal changing ARR", "CLEAR": "memo cleared"}
    for who, client in (("lead", lead), ("csm", mine)):
        if args.who and who != args.who:
            continue
        for page in PAGES:
            kind, _, path = page.rpartition(" ")
            path = f"/app/accounts/{account}" if path == "ACCOUNT" else path
            if who == "csm" and "segment=" in path or \
                    args.dashboards_only and not path.startswith("/app/?") and path != "/app/" \
                    or args.only and not path.startswith(args.only):
                continue
            s, views = timed(client.get, path, args.samples, before.get(kind),
                             parts if path.startswith("/app/?") or path == "/app/" else None)
            label = f"{path} ({after[kind]})" if kind else path
            worst = max(worst, s["p99"])
            print(f"  {who + ' ' + label:<60} p50 {s['p50']:8.2f} ms  p99 {s['p99']:8.2f} ms;"
                  f" p99 {s['p99'] / base['p99']:.1f}x trivial")
            split = parts.line(views) if path.startswith("/app/?") or path == "/app/" else ""
            if split:
                print(split)
    print(f"worst page p99 {worst:.1f} ms (target <= 300 ms); load average at the end "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
