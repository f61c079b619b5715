"""Backtest benchmark: the backtest of a demo workspace without daily history (the bulk
evaluation rebuilds it), again with the history in place, and a settings preview (today's
band moves and the proposed settings' backtest in memory), each vs reading the cohort's
outcomes alone (the trivial part: deals -> ARR timelines) in the same run.

Not a test: it prints figures and ratios.

    .venv/bin/python bench/bench_backtest.py --accounts 240 --events 60000
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--accounts", type=int, default=240)
    ap.add_argument("--events", type=int, default=60000)
    ap.add_argument("--horizon", type=int, default=90)
    args = ap.parse_args()

    import tomllib

    from server.backtest.preview import default_period, preview
    from server.backtest.service import backtest, cohort
    from server.db import Store
    from server.demo import DEMO_SETTINGS, build_demo
    from server.models import utcnow
    from server.settings import parse
    from server.settings_history import parse_text

    tmp = Path(tempfile.mkdtemp(prefix="a360-bt-"))
    store = Store(f"sqlite:///{tmp / 'a.db'}", migrate=True)
    store.settings = settings = parse(tomllib.loads(DEMO_SETTINGS), "demo")
    (_, secs) = timed(lambda: build_demo(store, args.accounts, args.events, 7, tmp))
    print(f"demo workspace: {args.accounts} accounts, {args.events} events in {secs:.1f} s")
    today = utcnow().date()
    start, end = default_period(today)
    end = end - timedelta(days=1)
    with store.session() as s:
        (_, outcomes), base = timed(lambda: cohort(s, start, end))
    print(f"cohort ({len(outcomes)} accounts with ARR at {start}): {base * 1000:.1f} ms "
          "(trivial baseline: outcomes from the deals)")
    for label in ("backtest, no history (rebuilt and kept)", "backtest, history in place"):
        with store.session() as s:
            bt, secs = timed(lambda: backtest(s, settings, start, end, args.horizon))
        print(f"{label:<44} {secs * 1000:9.1f} ms = {secs / base:7.1f}x baseline  "
              f"(AUC {bt['auc']['value']})")
    # the demo settings with the usage trend weighing twice its default
    proposed = parse_text(DEMO_SETTINGS.replace("[health.weights]",
                                                "[health.weights]\nusage_trend = 40", 1)
                          if "[health.weights]" in DEMO_SETTINGS
                          else DEMO_SETTINGS + "\n[health.weights]\nusage_trend = 40\n")
    with store.session() as s:
        p, secs = timed(lambda: preview(s, settings, proposed, start, end, args.horizon, today))
    print(f"{'settings preview (today + proposed backtest)':<44} {secs * 1000:9.1f} ms = "
          f"{secs / base:7.1f}x baseline  ({len(p['band_changes'])} band changes)")
    store.dispose()


if __name__ == "__main__":
    main()
