"""Backtest benchmark: the backtest of a demo workspace without daily history (the bulk
evaluation rebuilds it), again with the history in place, and a settings preview (today's
band moves and the proposed settings' backtest in memory), each vs reading the cohort's
outcomes alone (the trivial part: deals -> ARR timelines) in the same run.

Not a test: it prints figures and ratios.

    .venv/bin/python bench/bench_backtest.py --accounts 240 --events 60000
    .venv/bin/python bench/bench_backtest.py --db sqlite:////tmp/x/account360.db \
        --settings /tmp/x/demo-settings.toml     # an existing workspace (a copy: it writes)
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


CPU: list[float] = []


def timed(fn):
    """(result, wall seconds); the CPU seconds of the process go to CPU[-1]."""
    t0, c0 = time.perf_counter(), time.process_time()
    out = fn()
    CPU.append(time.process_time() - c0)
    return out, time.perf_counter() - t0


def cpu() -> str:
    return f"cpu {CPU[-1]:.1f} s"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--accounts", type=int, default=240)
    ap.add_argument("--events", type=int, default=60000)
    ap.add_argument("--horizon", type=int, default=90)
    ap.add_argument("--db", default=None, help="an existing workspace's database URL")
    ap.add_argument("--settings", default=None, help="its settings file (with --db)")
    args = ap.parse_args()
    print("load average:", " ".join(f"{x:.2f}" for x in os.getloadavg()))

    import tomllib

    from server.backtest.preview import default_period, preview
    from server.backtest.service import backtest, cohort
    from server.db import Store
    from server.demo import DEMO_SETTINGS, build_demo
    from server.models import utcnow
    from server.settings import load, parse
    from server.settings_history import parse_text

    if args.db:
        store = Store(args.db, migrate=True)          # a copy: brought to the current schema
        store.settings = settings = load(args.settings)
        text = Path(args.settings).read_text() if args.settings else ""
        print(f"workspace {args.db}")
    else:
        tmp = Path(tempfile.mkdtemp(prefix="a360-bt-"))
        store = Store(f"sqlite:///{tmp / 'a.db'}", migrate=True)
        store.settings = settings = parse(tomllib.loads(DEMO_SETTINGS), "demo")
        text = DEMO_SETTINGS
        (_, secs) = timed(lambda: build_demo(store, args.accounts, args.events, 7, tmp))
        print(f"demo workspace: {args.accounts} accounts, {args.events} events in {secs:.1f} s")
    today = utcnow().date()
    start, end = default_period(today)
    end = end - timedelta(days=1)
    with store.session() as s:
        cohort(s, start, end)                      # warm: the baseline is a read of the deals
        (_, outcomes), base = timed(lambda: cohort(s, start, end))
    print(f"cohort ({len(outcomes)} accounts with ARR at {start}): {base * 1000:.1f} ms "
          f"({cpu()}; trivial baseline: outcomes from the deals)")
    for label in ("backtest, no history (rebuilt and kept)", "backtest, history in place"):
        with store.session() as s:
            bt, secs = timed(lambda: backtest(s, settings, start, end, args.horizon))
        print(f"{label:<44} {secs * 1000:9.1f} ms = {secs / base:7.1f}x baseline  "
              f"({cpu()}, AUC {bt['auc']['value']:.4f})")
    # the demo settings with the usage trend weighing twice its default
    for label, section, line in (("weights", "health.weights", "usage_trend = 40"),
                                 ("signal threshold", "signals", "inactive_days = 21")):
        head = f"[{section}]"
        proposed = parse_text(text.replace(head, f"{head}\n{line}", 1) if head in text
                              else f"{text}\n{head}\n{line}\n")
        with store.session() as s:
            p, secs = timed(lambda: preview(s, settings, proposed, start, end, args.horizon,
                                            today))
        print(f"{'settings preview, ' + label + ' (' + line + ')':<44} {secs * 1000:9.1f} ms = "
              f"{secs / base:7.1f}x baseline  ({cpu()}, {len(p['band_changes'])} band changes, "
              f"{len(p['signal_changes'])} signal changes)")
    store.dispose()


if __name__ == "__main__":
    main()
