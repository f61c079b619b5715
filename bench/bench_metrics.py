"""Account-metrics rows benchmark: reads from the rows, refresh on write, daily job, backfill.

Not a test: it prints figures and ratios. Targets (issue: account-metrics table), at 10k
accounts and >= 1M events: portfolio p99 <= 200 ms; accounts list with any sort/filter
p99 <= 50 ms; one touched account refreshed <= 20 ms; a 5,000-line import with its refresh
<= 2x the import alone; daily job <= 60 s; 90-day backfill reported with its cost per
account-day, >= 10x cheaper than single-day evaluations.

    # build the 10k-account demo workspace once (minutes), then reuse it:
    ACCOUNT360_DATA_DIR=/tmp/a360bench account360 demo --accounts 10000 --events 1500000 --no-serve
    .venv/bin/python bench/bench_metrics.py --db sqlite:////tmp/a360bench/account360.db \
        --settings /tmp/a360bench/demo-settings.toml
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def load_avg() -> str:
    """The machine's load average (1, 5, 15 min): other work on it moves every figure."""
    return "load average " + " ".join(f"{x:.1f}" for x in os.getloadavg())


def stats(ms: list[float], cpu: list[float] | None = None) -> dict:
    """p50 and p99 of wall times in ms, and of the process CPU times when measured."""
    ms = sorted(ms)
    out = {"p50": statistics.median(ms), "p99": ms[max(0, int(len(ms) * 0.99) - 1)]}
    if cpu:
        cpu = sorted(cpu)
        out["cpu50"], out["cpu99"] = statistics.median(cpu), cpu[max(0, int(len(cpu) * 0.99) - 1)]
    return out


def show(label: str, s: dict, base: dict | None = None, target: str = "") -> None:
    """One measure: wall p50/p99 (and the p99's ratio to the trivial one), then the process
    CPU time p50/p99: on a shared machine the wall time waits for the other processes, the
    CPU time is what the request itself costs (the SQL included: SQLite runs in-process)."""
    ratio = f" ({s['p99'] / base['p99']:.1f}x trivial)" if base else ""
    cpu = f"  cpu p50 {s['cpu50']:7.2f} p99 {s['cpu99']:7.2f} ms" if "cpu50" in s else ""
    print(f"  {label:<44} p50 {s['p50']:8.2f} p99 {s['p99']:8.2f} ms{ratio}{cpu}"
          + (f"  (target {target})" if target else ""))


def timed(fn, n: int) -> dict:
    out, cpu = [], []
    for _ in range(n):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    return stats(out, cpu)


def reads(db: str, samples: int) -> None:
    from server import create_app
    from server.auth import create_token

    # no job runner in the measuring process: the jobs a copied workspace left waiting (the
    # demo import's north_star.rollups over 10k accounts) ran in its threads during the
    # first measures, and its passes every 2 s are not the request's; they run first instead
    app = create_app({"DATABASE_URL": db, "CACHE_TTL": 0, "CACHE_SIZE": 1,
                      "SECRET_KEY": "bench", "SCHEDULER": "off"})
    st = app.extensions["account360"]
    h = {"Authorization": f"Bearer {create_token(st.store, 'bench')}"}
    client = app.test_client()
    run_waiting_jobs(app)

    def get(url):
        def call():
            r = client.get(url, headers=h)
            assert r.status_code == 200, r.get_data()[:300]
        return call

    get("/api/v1/accounts?limit=1")()          # refreshes whatever is pending, once
    base = timed(get("/api/v1/me"), samples)
    print(f"reads ({samples} sequential requests each, no cache; {load_avg()}):")
    show("GET /api/v1/me (trivial)", base)
    today = datetime.now(timezone.utc).date()
    owner = client.get("/api/v1/accounts?limit=1&sort=-arr", headers=h).get_json()[
        "items"][0]["owner"]
    for label, url in (
            ("portfolio (trailing 12 months)", "/api/v1/portfolio"),
            ("portfolio, one CSM", f"/api/v1/portfolio?owner={owner}"),
            ("portfolio, last quarter", f"/api/v1/portfolio?start={today - timedelta(91)}"),
            ("portfolio, segment", "/api/v1/portfolio?segment=enterprise")):
        first = timed(get(url), 1)          # the first call in the process, apart
        show(label, timed(get(url), max(20, samples // 5)), base,
             f"<= 200 ms; first call {first['p50']:.0f} ms")
    for q in ("sort=name", "sort=-name", "sort=arr", "sort=-arr", "sort=health",
              "sort=-health", "sort=renewal", "sort=-renewal", "band=at_risk",
              "band=watch&sort=-arr", "phase=renewal&sort=renewal", f"owner={owner}&sort=-arr",
              "segment=enterprise&sort=health", "q=acme", "sort=-arr&cursor=eyJvIjogNTAwMH0=",
              "sort=-relationship", "sentiment_max=0&sort=sentiment", "arr_min=50000&sort=-days"):
        show(f"accounts?limit=50&{q}"[:44], timed(get(f"/api/v1/accounts?limit=50&{q}"),
                                                  samples), base, "<= 50 ms")
    show("accounts/<id>/history (90 days)", timed(get(
        "/api/v1/accounts/acc-0042/history?metrics=health,arr,active_users_30d"), samples),
        base)
    st.store.dispose()


def run_waiting_jobs(app) -> None:
    """Run the jobs waiting in the workspace (and those a stopped process left running, once
    stalled) to the end, before anything is measured."""
    from server.jobs.embedded import EmbeddedWorker

    runner: EmbeddedWorker = app.extensions["account360_admin"].runner
    t0, names = time.perf_counter(), []
    while started := runner.tick():
        for th in started:
            names.append(th.name)
            th.join()
    if names:
        print(f"ran the waiting jobs first ({', '.join(names)}): "
              f"{time.perf_counter() - t0:.1f}s")


def touched_refresh(store, settings, samples: int) -> None:
    from sqlalchemy import select

    from server import models as m
    from server.rows.refresh import refresh

    with store.sessions() as s:
        ids = list(s.scalars(select(m.Account.id)))
    rng = random.Random(3)
    out, base, cpu, base_cpu = [], [], [], []
    for _ in range(samples):
        acc = rng.choice(ids)
        with store.session() as s:   # trivial baseline: one indexed read and a write
            t0, c0 = time.perf_counter(), time.process_time()
            s.get(m.Account, acc).updated_at = s.get(m.Account, acc).updated_at
            s.execute(select(m.Account.id).where(m.Account.id == acc)).all()
            s.flush()
            base.append((time.perf_counter() - t0) * 1000)
            base_cpu.append((time.process_time() - c0) * 1000)
        with store.session() as s:
            t0, c0 = time.perf_counter(), time.process_time()
            refresh(s, [acc], settings)
            out.append((time.perf_counter() - t0) * 1000)
            cpu.append((time.process_time() - c0) * 1000)
    trivial = stats(base, base_cpu)
    show("trivial transaction (read + flush)", trivial)
    show("one touched account refreshed", stats(out, cpu), trivial, "<= 20 ms")


def import_file(path: Path, accounts: list[str], lines: int, seed: int) -> None:
    rng = random.Random(seed)
    day = datetime.now(timezone.utc).date()
    with path.open("w") as fh:
        for i in range(lines):
            acc = rng.choice(accounts)
            if i % 50 == 0:
                rec = {"type": "ticket", "id": f"bench-{seed}-{i}", "account_id": acc,
                       "status": "open", "priority": "normal",
                       "created_at": f"{day - timedelta(days=rng.randint(0, 20))}T10:00:00Z"}
            else:
                rec = {"type": "event", "account_id": acc, "user_id": f"u{rng.randrange(30)}",
                       "name": "login", "time": f"{day - timedelta(days=rng.randint(0, 2))}T"
                       f"{rng.randrange(24):02d}:{rng.randrange(60):02d}:{rng.randrange(60):02d}Z",
                       "session_id": f"bench-{seed}-{i // 10}"}
            fh.write(json.dumps(rec) + "\n")


def imports(store, workdir: Path, n_accounts: int) -> None:
    from sqlalchemy import select

    import server.importer as importer
    import server.ingest as ingest
    from server import models as m

    with store.sessions() as s:
        ids = sorted(s.scalars(select(m.Account.id)))
    rng = random.Random(9)
    pool = rng.sample(ids, n_accounts)
    results, cpus = {}, {}
    for seed, label in ((1, "alone"), (2, "with refresh"), (3, "alone"), (4, "with refresh")):
        path = workdir / f"bench-import-{seed}.jsonl"
        import_file(path, pool, 5000, seed + int(time.time()))
        real = ingest.mark, ingest.affected_days, importer.refresh_dirty
        if label == "alone":   # no marking, no comparison with stored rows, no refresh
            ingest.mark = lambda *a, **k: None
            ingest.affected_days = lambda *a, **k: {}
            importer.refresh_dirty = lambda *a, **k: 0
        try:
            t0, c0 = time.perf_counter(), time.process_time()
            with path.open("rb") as fh:
                report = importer.import_lines(store, fh)
            results.setdefault(label, []).append(time.perf_counter() - t0)
            cpus.setdefault(label, []).append(time.process_time() - c0)
            assert report.rejected == 0, report.errors[:3]
        finally:
            ingest.mark, ingest.affected_days, importer.refresh_dirty = real
    alone, both = min(results["alone"]), min(results["with refresh"])
    c_alone, c_both = min(cpus["alone"]), min(cpus["with refresh"])
    print(f"  5,000-line import touching {n_accounts} accounts: alone {alone * 1000:.0f} ms, "
          f"with refresh {both * 1000:.0f} ms, ratio {both / alone:.2f}x (target <= 2x); "
          f"cpu alone {c_alone * 1000:.0f} ms, with refresh {c_both * 1000:.0f} ms, ratio "
          f"{c_both / c_alone:.2f}x")
    each = ", ".join(f"{label} {w * 1000:.0f}/{c * 1000:.0f}" for label in results
                     for w, c in zip(results[label], cpus[label]))
    print(f"    the refresh adds {(both - alone) * 1000:.0f} ms wall, "
          f"{(c_both - c_alone) * 1000:.0f} ms cpu (of the fastest runs; each run wall/cpu "
          f"ms: {each})")


def single_day_cost(store, settings, n: int, among: list[str]) -> tuple[float, float]:
    """ms per account-day of single-day evaluations (the 360's path, one account, one day):
    wall and process CPU time, on n accounts drawn (seeded) from `among`, the accounts the
    backfill evaluated (their per-day cost varies with their records: the first ids alone
    are not the backfill's sample), after one untimed evaluation (statements compiled)."""
    from server.services.evaluate import evaluate_many

    ids = sorted(random.Random(7).sample(among, min(n, len(among))))
    today = datetime.now(timezone.utc).date()
    with store.sessions() as s:
        evaluate_many(s, [ids[0]], today, settings)
        t0, c0 = time.perf_counter(), time.process_time()
        for acc in ids:
            for k in range(0, 90, 15):
                evaluate_many(s, [acc], today - timedelta(days=k), settings)
        return ((time.perf_counter() - t0) * 1000 / (len(ids) * 6),
                (time.process_time() - c0) * 1000 / (len(ids) * 6))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", required=True, help="SQLAlchemy URL of a built workspace")
    ap.add_argument("--settings", default=None, help="workspace settings file")
    ap.add_argument("--samples", type=int, default=200)
    ap.add_argument("--backfill-days", type=int, default=90)
    ap.add_argument("--skip-backfill", action="store_true")
    ap.add_argument("--backfill-accounts", type=int, default=0,
                    help="backfill only the first N accounts (the backfill's chunks and "
                    "transactions, without its job state), to keep a run short")
    ap.add_argument("--single-accounts", type=int, default=200,
                    help="accounts of the single-day evaluations the backfill is compared "
                    "with, drawn from the backfilled ones (6 days each; more make the ratio "
                    "steadier on a busy machine)")
    ap.add_argument("--only-backfill", action="store_true",
                    help="measure the backfill and the single-day cost, nothing else")
    ap.add_argument("--only-reads", action="store_true",
                    help="measure the reads only (no daily job, refresh or import first)")
    ap.add_argument("--skip-reads", action="store_true",
                    help="measure the writes (daily job, refreshes, imports), not the reads")
    ap.add_argument("--skip-daily", action="store_true", help="do not run the daily job")
    ap.add_argument("--workdir", default="/tmp")
    args = ap.parse_args()
    if args.settings:
        os.environ["ACCOUNT360_SETTINGS"] = args.settings
    from sqlalchemy import func, select

    from server import models as m
    from server.db import Store
    from server.rows.history import backfill
    from server.settings import load

    settings = load(args.settings)
    store = Store(args.db, migrate=True)
    store.settings = settings
    with store.sessions() as s:
        n_acc = s.scalar(select(func.count()).select_from(m.Account))
        n_days = s.scalar(select(func.count()).select_from(m.UsageUserDay))
    print(f"{args.db}: {n_acc} accounts, {n_days} user-days; {os.cpu_count()} cores")
    if not (args.skip_backfill or args.only_reads):
        with store.sessions() as s:
            done = list(s.scalars(select(m.Account.id).order_by(m.Account.id)))
        t0, c0 = time.perf_counter(), time.process_time()
        if args.backfill_accounts:
            n_acc = min(n_acc, args.backfill_accounts)
            done = done[:n_acc]
            state = backfill_some(store, settings, args.backfill_days, n_acc)
        else:
            state = backfill(store, settings, args.backfill_days, restart=True)
        secs = time.perf_counter() - t0
        cpu = time.process_time() - c0
        per, per_cpu = secs * 1000 / state["rows"], cpu * 1000 / state["rows"]
        single, single_cpu = single_day_cost(store, settings, args.single_accounts, done)
        print(f"backfill {args.backfill_days} days x {n_acc} accounts: {secs:.1f}s (cpu "
              f"{cpu:.1f}s), {state['rows']} rows, {per:.3f} ms per account-day (cpu "
              f"{per_cpu:.3f}); single-day evaluation {single:.2f} ms per account-day (cpu "
              f"{single_cpu:.2f}); {single / per:.1f}x faster, cpu {single_cpu / per_cpu:.1f}x "
              f"(target >= 10x; {load_avg()})")
        if args.only_backfill:
            return
    if args.only_reads:
        store.dispose()
        reads(args.db, args.samples)
        print(f"done ({load_avg()})")
        return
    if not args.skip_daily:
        daily_job(store, settings)
    print(f"writes ({load_avg()}):")
    touched_refresh(store, settings, args.samples)
    imports(store, Path(args.workdir), min(500, n_acc))
    store.dispose()
    if not args.skip_reads:
        reads(args.db, args.samples)
    print(f"done ({load_avg()})")


def backfill_some(store, settings, days: int, n: int) -> dict:
    """The backfill's work for the first n accounts: its chunks, each in a transaction."""
    from sqlalchemy import select

    from server import models as m
    from server.rows.history import CHUNK, evaluate_days

    end = datetime.now(timezone.utc).date()
    with store.sessions() as s:
        ids = list(s.scalars(select(m.Account.id).order_by(m.Account.id).limit(n)))
    rows = 0
    for i in range(0, len(ids), CHUNK):
        with store.session() as s:
            rows += evaluate_days(s, settings, ids[i:i + CHUNK], end - timedelta(days=days - 1),
                                  end, with_current=True)
    return {"rows": rows}


def daily_job(store, settings) -> None:
    from server.rows.history import daily

    t0, c0 = time.perf_counter(), time.process_time()
    with store.session() as s:
        n = daily(s, settings)
    print(f"daily job (today, {n} accounts): {time.perf_counter() - t0:.1f}s, cpu "
          f"{time.process_time() - c0:.1f}s (target <= 60 s; {load_avg()})")


if __name__ == "__main__":
    main()
