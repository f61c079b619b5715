"""North Star team total by month benchmark: the portfolio's `north_star` for each kind at 10k
accounts, from the calendar-month rollups vs counting the user-days (the computation before
them), against a trivial statement in the same run. Not a test: it prints figures, ratios,
whether both give the same months, and the load average.

Lines: `user-days` counts the period's user-days (distinct users per account and month);
`rollups` reads the current rollups; `after a write` adds a user-day of a new user to one
account and bumps its change stamp before each sample, as an import of one event does (that
account's month is rebuilt first); `first build` (12 months, one sample) empties the
rollups first and runs the `north_star.rollups` job, then the read (a read that finds more
than 500 accounts without a rollup queues that job and counts the user-days meanwhile);
`CRM re-sync` moves every account's change stamp (`updated_at`) as a full CRM sync of
unchanged records does (the usage stamp stays: the rollups answer); `every usage stamp moved`
moves every rollup's stamp only (the rollups stay built), as an import that added usage to
every account: the read queues the job and counts the stale accounts' user-days; `the job`
is that job's run after it (each account's user-days counted again, no month rebuilt; the
read after it is `rollups`); `usage today on every account` moves every account's usage stamp
and records today as the earliest usage day added (`usage_changed_from`, since 0037), as the
daily usage sync does (sampled like the current rollups: reads build nothing while the
job is queued): the read queues the job and, since 0037, uses the stored months before
this month (before it: counts every user-day of the stale accounts); `usage from 4 days
back` the same with the day 4 days before today (a sync catching up; often in the previous
month, which is then read from its rollup before that day plus the users new since).
`--kinds` and `--periods` restrict the lines. On PostgreSQL the rollup tables are
VACUUM ANALYZEd after those two lines, as autovacuum would (the shared server runs with it
off: the dead rows of the builds made the team's reads 100-140 ms). It writes the rollups:
run it on a copy.

    cp -r /tmp/a360bench /tmp/ns-bench
    ACCOUNT360_DATABASE_URL=sqlite:////tmp/ns-bench/account360.db account360 db upgrade
    flock /work/bench.lock .venv/bin/python bench/bench_north_star.py \\
        --db sqlite:////tmp/ns-bench/account360.db
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def stats(ms: list[float]) -> str:
    ms = sorted(ms)
    return f"p50 {statistics.median(ms):8.2f} ms  p99 {ms[max(0, int(len(ms) * .99) - 1)]:8.2f} ms"


def timed(fn, n: int, before=None) -> tuple[list[float], object]:
    out, value = [], None
    for _ in range(n):
        if before:
            before()
        t0 = time.perf_counter()
        value = fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out, value


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", required=True)
    ap.add_argument("--samples", type=int, default=20)
    ap.add_argument("--event", default="report_shared", help="the events kind's event")
    ap.add_argument("--kinds", default="events,active_users,seats")
    ap.add_argument("--periods", default="12m,quarter,month")
    args = ap.parse_args()
    from sqlalchemy import delete, func, insert, select, text, update

    from server import models as m
    from server.db import Store
    from server.metrics import add_years
    from server.metrics.config import NorthStarConfig
    from server.services import north_star as ns
    from server.services.periods import bounds
    from server.usage_month_models import UsageMonth, UsageMonthEdge, UsageMonthStamp

    store = Store(args.db)
    as_of = datetime.now(timezone.utc).date()
    with store.sessions() as s:
        n = s.scalar(select(func.count()).select_from(m.Account))
        days = s.scalar(select(func.count()).select_from(m.UsageUserDay))
        owner = s.scalar(select(m.Account.owner).where(m.Account.owner.is_not(None)).limit(1))
        book = list(s.scalars(select(m.Account.id).where(m.Account.owner == owner)))
        some = s.scalar(select(m.Account.id).order_by(m.Account.id).limit(1))
    print(f"North Star by month at {n:,} accounts, {days:,} user-days, {store.dialect}, "
          f"{args.samples} samples; load average "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")

    def trivial():
        with store.sessions() as s:
            return s.execute(text("SELECT 1")).scalar()

    base, _ = timed(trivial, args.samples)
    print(f"  {'trivial SELECT 1':<58} {stats(base)}")
    p99 = sorted(base)[max(0, int(len(base) * .99) - 1)]

    written = [0]

    def bump():  # what an import of one new user's event does to the account
        written[0] += 1
        with store.session() as s:
            s.execute(insert(m.UsageUserDay).values(account_id=some, day=as_of, events=1,
                                                    user_id=f"bench-{time.time_ns()}-{written[0]}"))
            now = datetime.now(timezone.utc)
            stamps = {"updated_at": now}
            if hasattr(m.Account, "usage_changed_at"):  # since 0033 (before: updated_at)
                stamps["usage_changed_at"] = now
            s.execute(update(m.Account).where(m.Account.id == some).values(**stamps))

    def resync():  # what a full CRM sync of unchanged records does to the stamps
        with store.session() as s:
            s.execute(update(m.Account).values(updated_at=datetime.now(timezone.utc)))

    def today():  # what the daily usage sync does to every account's usage stamps
        now = datetime.now(timezone.utc)
        stamps = {"usage_changed_at": now}
        if hasattr(m.Account, "usage_changed_from"):  # since 0037
            stamps["usage_changed_from"] = as_of
        with store.session() as s:
            s.execute(update(m.Account).values(**stamps))

    def days_back():  # a sync that caught up on the last days' usage of every account
        with store.session() as s:
            s.execute(update(m.Account).values(usage_changed_at=datetime.now(timezone.utc),
                                               usage_changed_from=as_of - timedelta(days=4)))

    def once(setup):  # the stamps moved once, then every sample reads (the job is queued)
        done = []
        return lambda: done or (setup(), done.append(1))

    def unstamp():
        with store.session() as s:
            s.execute(update(UsageMonthStamp).values(updated_at=None))

    def empty():
        with store.session() as s:
            for model in (UsageMonthStamp, UsageMonth, UsageMonthEdge):
                s.execute(delete(model))

    def vacuum():  # what autovacuum does after the builds' deletes (off on the bench server)
        if store.dialect != "postgresql":
            return
        with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            for table in ("usage_months", "usage_month_edges", "usage_month_stamps", "accounts"):
                c.execute(text(f"VACUUM ANALYZE {table}"))

    periods = {"12m": (add_years(as_of, -1) + timedelta(days=1), as_of),
               "quarter": bounds("quarter", as_of), "month": bounds("month", as_of)}
    periods = {k: v for k, v in periods.items() if k in args.periods.split(",")}
    for kind in args.kinds.split(","):
        cfg = NorthStarConfig(name="N", kind=kind, events=(args.event,))
        for label, (start, end) in periods.items():
            for who, ids in (("team", None), (f"one CSM ({len(book)})", book)):
                def rolled(start=start, end=end, ids=ids, cfg=cfg):
                    with store.sessions() as s:
                        return [b["value"] for b in
                                ns.monthly_totals(s, cfg, start, end, ids)["by_month"]]

                def direct(start=start, end=end, ids=ids, cfg=cfg):
                    with store.sessions() as s:
                        got = ns._by_month(s, cfg, start, end, ids)
                    return [got.get((lo.year, lo.month), 0) for lo, _ in ns.months(start, end)]

                name = f"{kind} {label} {who}"
                runs = [("user-days", direct, min(args.samples, 5), None)]
                def built(rolled=rolled):  # the read queues the job: run it, then read
                    ns.rebuild_stale(store)
                    return rolled()

                def job(rolled=rolled):  # the job the previous read queued, then a read
                    ns.rebuild_stale(store)
                    return rolled()

                if kind != "events":
                    cold = [("first build (the job)", built, 1, empty),
                            ("CRM re-sync (no usage)", rolled, 1, resync),
                            ("every usage stamp moved (job queued)", rolled, 1, unstamp),
                            ("the job, then the read", job, 1, None),
                            ("usage today on every account (job queued)", rolled,
                             args.samples, once(today)),
                            ("the job, then the read (today's usage)", job, 1, None),
                            ("usage from 4 days back on every account (job queued)",
                             rolled, args.samples, once(days_back)),
                            ("the job, then the read (4 days' usage)", job, 1, None)] \
                        if label == "12m" else []
                    runs = [*cold, *runs, ("rollups", rolled, args.samples, None),
                            ("after a write", rolled, args.samples, bump)]
                else:
                    runs.append(("rollups", rolled, args.samples, None))
                values = {}
                for what, fn, k, before in runs:
                    if what == "user-days" and kind != "events" and label == "12m":
                        vacuum()  # the cold lines left every rollup row dead once or more
                    ms, values[what] = timed(fn, k, before)
                    worst = sorted(ms)[max(0, int(len(ms) * .99) - 1)]
                    print(f"  {name + ': ' + what:<58} {stats(ms)}; p99 {worst / p99:.0f}x trivial")
                same = values["rollups"] == values["user-days"]
                print(f"  {name}: same months as the user-days: {same} (total "
                      f"{sum(values['rollups']):,})")
                if kind == "events":
                    break  # the events kind reads no rollup; one scope is enough
    print(f"load average at the end {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
