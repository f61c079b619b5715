"""Usage connector benchmark: Mixpanel JSONL and Amplitude ZIP exports through the real code.

Not a test: it prints figures. A local server (its own process, so it does not share the
GIL with the code measured) generates the export payloads lazily from an event index:
Mixpanel streams JSON Lines for the requested days; Amplitude serves ZIP archives of
gzipped hourly JSON Lines, written once to disk before timing starts. Nothing holds all
events in memory on either side.

For each format and volume, three phases run in fresh child processes (so peak RSS is
per phase):

* ``parse``: the bare loop over the same bytes: HTTP download, (unzip + gunzip,) split
  lines, ``json.loads`` each line;
* ``connector``: the connector's stream pages (HTTP, parse, attribution, normalisation),
  records counted and dropped;
* ``sync``: ``server.sync.run_sync`` into a fresh SQLite store (or --database-url), i.e.
  the connector plus the record path (``server.ingest.Loader``), one transaction per page.

Targets (issue 4): ``sync`` <= 3x ``parse``; peak RSS flat and <= 300 MB.

    .venv/bin/python bench/bench_usage_connectors.py                     # 1M and 5M, both
    .venv/bin/python bench/bench_usage_connectors.py --events 1000000 --formats mixpanel
    .venv/bin/python bench/bench_usage_connectors.py --events 200000 --profile sync
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import multiprocessing as mp
import os
import resource
import sys
import tempfile
import time
import zipfile
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from usage_exports import (  # noqa: E402  (the bench directory is on sys.path)
    ACCOUNTS, DAYS, NOW, START, USERS, serve,
)


# -- phases (run in child processes) ------------------------------------------------------
def make_store(url: str | None, tmp: str):
    from server.db import Store
    from server.ingest import load_records

    store = Store(url or f"sqlite:///{tmp}/bench.db", migrate=True)
    with store.session() as s:
        load_records(s, ({"type": "account", "id": f"a{i}", "name": f"Account {i}",
                          "domains": [f"acc{i}.example.com"], "seats": 50}
                         for i in range(ACCOUNTS)))
    return store


def make_connector(fmt: str, base: str, store, page_size: int):
    if fmt == "mixpanel":
        from connectors.mixpanel.connector import MixpanelConnector, MixpanelSettings

        conn = MixpanelConnector(MixpanelSettings.from_dict({
            "api_secret": "bench", "base_url": base, "start_date": START.date().isoformat(),
            "window_days": 7, "page_size": page_size}))
    else:
        from connectors.amplitude.connector import AmplitudeConnector, AmplitudeSettings

        conn = AmplitudeConnector(AmplitudeSettings.from_dict({
            "api_key": "bench", "secret_key": "bench", "base_url": base,
            "start_date": START.date().isoformat(), "window_hours": 24,
            "page_size": page_size}))
    from server.sync import account_lookup

    conn.bind({}, account_lookup=account_lookup(store))  # run_sync binds it again
    conn.started_at = NOW
    return conn


def amplitude_windows() -> list[tuple[str, str]]:
    """The windows the connector asks for (its plan, recomputed here for the pre-warm)."""
    nxt = START
    last = (NOW - timedelta(hours=3)).replace(minute=0) - timedelta(hours=1)
    out = []
    while nxt <= last:
        hi = min(last, nxt + timedelta(hours=23))
        out.append((nxt.strftime("%Y%m%dT%H"), hi.strftime("%Y%m%dT%H")))
        nxt = hi + timedelta(hours=1)
    return out


def mixpanel_windows() -> list[tuple[str, str]]:
    from connectors.streaming import windows

    return [(a.isoformat(), b.isoformat()) for a, b in windows(START.date(), NOW.date(), 7)]


def phase_parse(fmt: str, base: str) -> int:
    import requests

    from connectors.streaming import CHUNK, iter_lines

    n = 0
    loads = json.loads
    with requests.Session() as http:
        if fmt == "mixpanel":
            for lo, hi in mixpanel_windows():
                with http.get(f"{base}/api/2.0/export", params={"from_date": lo, "to_date": hi},
                              stream=True) as r:
                    for line in iter_lines(r.iter_content(CHUNK)):
                        try:
                            loads(line)
                        except ValueError:
                            pass
                        n += 1
            return n
        for lo, hi in amplitude_windows():
            with http.get(f"{base}/api/2/export", params={"start": lo, "end": hi},
                          stream=True) as r:
                if r.status_code == 404:
                    continue
                spool = tempfile.SpooledTemporaryFile(max_size=8 << 20)
                for chunk in r.iter_content(CHUNK):
                    spool.write(chunk)
            spool.seek(0)
            with zipfile.ZipFile(spool) as zf:
                for info in zf.infolist():
                    with zf.open(info) as raw, gzip.GzipFile(fileobj=raw) as gz:
                        for line in io.BufferedReader(gz, CHUNK):
                            try:
                                loads(line)
                            except ValueError:
                                pass
                            n += 1
            spool.close()
    return n


def phase_connector(fmt: str, base: str, db: str | None, tmp: str, page_size: int) -> dict:
    store = make_store(db, tmp)
    conn = make_connector(fmt, base, store, page_size)
    stream = conn.get_stream("events")
    records = skipped = unmapped = 0
    start = time.perf_counter()
    for page in stream.pages(None):
        records += len(page.records)
        skipped += len(page.skipped)
        unmapped += sum(page.unmapped.values())
    return {"seconds": time.perf_counter() - start, "records": records, "skipped": skipped,
            "unmapped": unmapped}


def phase_sync(fmt: str, base: str, db: str | None, tmp: str, page_size: int) -> dict:
    from server.sync import run_sync
    from server.usage_ingest import stored_events

    store = make_store(db, tmp)
    conn = make_connector(fmt, base, store, page_size)
    start = time.perf_counter()
    report = run_sync(store, conn)
    seconds = time.perf_counter() - start
    with store.sessions() as s:
        keys = stored_events(s)
    c = report["streams"]["events"]
    return {"seconds": seconds, "records": c["records"], "skipped": c["skipped"],
            "unmapped": c["unmapped"], "stored_events": keys, "status": report["status"]}


TIMED = [
    ("server.ingest", "Loader", "add"), ("server.ingest", "Loader", "flush"),
    ("server.ingest", "Loader", "finish"), ("server.ingest", "Loader", "known_accounts"),
    ("server.usage_ingest", "EventWriter", "add"),
    ("server.usage_ingest", "EventWriter", "_insert_keys"),
    ("server.usage_ingest", "EventWriter", "_merge_implicit_sessions"),
    ("server.usage_ingest", "EventWriter", "flush"),
    ("sqlalchemy.orm", "Session", "commit"),
    ("server.sync.runs", None, "save_run"), ("server.sync.runs", None, "save_state"),
]


def instrument() -> dict:
    """Wrap the record path's functions with inclusive timers (seconds, calls)."""
    import functools
    import importlib

    totals: dict[str, list] = {}
    for module, cls, name in TIMED:
        mod = importlib.import_module(module)
        owner = getattr(mod, cls) if cls else mod
        fn = getattr(owner, name)
        key = f"{cls + '.' if cls else ''}{name}"
        slot = totals.setdefault(key, [0.0, 0])

        def wrap(fn=fn, slot=slot):
            @functools.wraps(fn)
            def timed(*a, **kw):
                t0 = time.perf_counter()
                try:
                    return fn(*a, **kw)
                finally:
                    slot[0] += time.perf_counter() - t0
                    slot[1] += 1
            return timed
        setattr(owner, name, wrap())
    return totals


def child(args) -> None:
    phase, fmt, base, db, page_size, profile = args
    breakdown = profile == "breakdown"
    profile = profile and not breakdown
    totals = instrument() if breakdown and phase == "sync" else None
    with tempfile.TemporaryDirectory() as tmp:
        prof = None
        if profile:
            import cProfile

            prof = cProfile.Profile()
            prof.enable()
        if phase == "parse":
            t0 = time.perf_counter()
            n = phase_parse(fmt, base)
            out = {"seconds": time.perf_counter() - t0, "lines": n}
        elif phase == "connector":
            out = phase_connector(fmt, base, db, tmp, page_size)
        else:
            out = phase_sync(fmt, base, db, tmp, page_size)
        if prof is not None:
            import pstats

            prof.disable()
            stats = pstats.Stats(prof, stream=sys.stderr)
            stats.sort_stats("tottime").print_stats(25)
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if totals is not None:
        for key, (secs, calls) in sorted(totals.items(), key=lambda kv: -kv[1][0]):
            sys.stderr.write(f"    {key:38} {secs:8.1f} s  {calls:>9} calls (inclusive)\n")
    print(json.dumps(out), flush=True)


def run_child(phase, fmt, base, db, page_size, profile) -> dict:
    import subprocess

    cmd = [sys.executable, __file__, "--child", json.dumps(
        [phase, fmt, base, db, page_size, profile])]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    if proc.returncode != 0:
        raise SystemExit(f"{phase} {fmt} failed:\n{proc.stderr[-4000:]}")
    if profile:
        sys.stderr.write("".join(x for x in proc.stderr.splitlines(True)
                                 if not x.startswith(("INFO", "WARNING", "20"))))
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--events", default="1000000,5000000",
                    help="comma-separated volumes (default 1000000,5000000)")
    ap.add_argument("--formats", default="mixpanel,amplitude")
    ap.add_argument("--phases", default="parse,connector,sync")
    ap.add_argument("--database-url", default=None, help="store for the sync phase "
                                                         "(default: a fresh SQLite file)")
    ap.add_argument("--page-size", type=int, default=20000)
    ap.add_argument("--profile", default="", help="a phase to run under cProfile")
    ap.add_argument("--breakdown", action="store_true",
                    help="time the record path's parts inside the sync phase")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(json.loads(args.child))
        return
    print(f"{os.cpu_count()} CPUs, python {sys.version.split()[0]}, {ACCOUNTS} accounts, "
          f"{USERS} users, {DAYS} days, page size {args.page_size}")
    print(f"{'format':10} {'events':>9} {'phase':10} {'seconds':>8} {'events/s':>10} "
          f"{'x parse':>8} {'peak RSS MB':>11}  notes")
    for total in [int(x) for x in args.events.split(",")]:
        for fmt in args.formats.split(","):
            with tempfile.TemporaryDirectory() as work:
                q = mp.Queue()
                windows = amplitude_windows() if fmt == "amplitude" else []
                prep = time.perf_counter()
                srv = mp.Process(target=serve, args=(total, q, work, windows), daemon=True)
                srv.start()
                try:
                    base = f"http://127.0.0.1:{q.get(timeout=3600)}"
                    if fmt == "amplitude":
                        print(f"  (amplitude archives generated in "
                              f"{time.perf_counter() - prep:.0f} s, not measured)")
                    parse_s = None
                    for phase in args.phases.split(","):
                        prof = "breakdown" if args.breakdown else args.profile == phase
                        out = run_child(phase, fmt, base, args.database_url, args.page_size,
                                        prof)
                        secs = out["seconds"]
                        if phase == "parse":
                            parse_s = secs
                        ratio = f"{secs / parse_s:.2f}" if parse_s else "-"
                        notes = ", ".join(f"{k}={v}" for k, v in out.items()
                                          if k not in ("seconds", "peak_rss_mb"))
                        print(f"{fmt:10} {total:>9} {phase:10} {secs:>8.1f} "
                              f"{total / secs:>10.0f} {ratio:>8} {out['peak_rss_mb']:>11.0f}  "
                              f"{notes}", flush=True)
                finally:
                    srv.terminate()
                    srv.join(10)


if __name__ == "__main__":
    main()
