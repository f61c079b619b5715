"""Playbooks at scale: preview (the firings of a day) and run (first run acting, second run
acting on nothing) over N accounts with two stored history days, vs a trivial baseline in
the same run (counting the day's history rows). The playbooks include `new_account` (each
account's start read) and, with --workspace, `{signal.reason}` of a past day (the 360
evaluated as of that day for each firing still to act on).

    .venv/bin/python bench/bench_playbooks.py --accounts 10000
    .venv/bin/python bench/bench_playbooks.py --workspace /tmp/NAME-bench --day 2026-11-30
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, insert, select  # noqa: E402

from server.db import Store  # noqa: E402
from server.importer import import_lines  # noqa: E402
from server.playbooks.service import Env, preview, run  # noqa: E402
from server.playbooks.spec import parse  # noqa: E402
from server.rows.models import AccountDay  # noqa: E402
from server.rows.refresh import today  # noqa: E402
from server.secrets import Vault  # noqa: E402

PLAYBOOKS = '''
[[playbook]]
name = "Usage drop"
when = { signal = "usage_drop" }
[[playbook.action]]
task = { subject = "Call {account.name} ({usage.trend})" }

[[playbook]]
name = "At risk renewal"
when = { band = "at_risk", days_to_renewal = 90 }
[[playbook.action]]
task = { subject = "Renewal of {account.name} in {renewal.days} days" }

[[playbook]]
name = "Welcome"
when = { new_account = 14 }
[[playbook.action]]
task = { subject = "Kick-off with {account.name}" }
'''
REASONS = '''
[[playbook]]
name = "Signal"
when = { signal = ["usage_drop", "no_touch", "inactive", "health_drop", "renewal_risk"] }
[[playbook.action]]
task = { subject = "{account.name}: {signal.reason} ({signal.severity})" }
'''


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def synthetic(args):
    """N accounts (a tenth began 5 days before the day, most 400 days before, some have no
    date) with two stored history days."""
    tmp = tempfile.mkdtemp()
    store = Store(args.db or f"sqlite:///{tmp}/bench.db", migrate=True)
    n = args.accounts
    day = today() - timedelta(days=3)        # history days (today's rows are refreshed)
    starts = {0: 5, 1: None}
    import_lines(store, [json.dumps({
        "type": "account", "id": f"a{i:06d}", "name": f"Acc {i}",
        "owner": f"csm{i % 20}@example.com",
        **({} if starts.get(i % 10, 400) is None else {"onboarding_start": (
            day - timedelta(days=starts.get(i % 10, 400))).isoformat()})}).encode()
        for i in range(n)])
    rows = []
    for i in range(n):
        for d, fires in ((day - timedelta(days=1), i % 5 == 0), (day, i % 5 in (0, 1))):
            rows.append({"account_id": f"a{i:06d}", "day": d, "score": 30.0 if i % 7 == 0
                         else 60.0, "band": "at_risk" if i % 7 == 0 else "watch",
                         "components": {}, "signals": ["usage_drop"] if fires else [],
                         "signal_runs": {}, "phase": "adoption", "arr": None,
                         "active_users_30d": 10, "usage_trend": -0.4 if fires else 0.0,
                         "days_to_renewal": 60 if i % 3 == 0 else 200,
                         "settings_version": "bench"})
    with store.session() as s:
        for k in range(0, len(rows), 2000):
            s.execute(insert(AccountDay.__table__), rows[k:k + 2000])
    return store, day, parse(PLAYBOOKS), n


def workspace(args):
    """A copy of a built workspace (its own settings) and a past day with history rows."""
    from server.settings import load

    store = Store(f"sqlite:///{args.workspace}/account360.db", migrate=False)
    store.settings = load(f"{args.workspace}/demo-settings.toml")
    with store.sessions() as s:
        n = s.scalar(select(func.count()).select_from(AccountDay)
                     .where(AccountDay.day == args.day))
    return store, args.day, parse(REASONS), n


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--accounts", type=int, default=10000)
    ap.add_argument("--db", default=None, help="SQLAlchemy URL of an empty database")
    ap.add_argument("--workspace", default=None,
                    help="directory of a built workspace COPY (it is written to)")
    ap.add_argument("--day", type=date.fromisoformat, default=None,
                    help="with --workspace: a past day with history rows")
    args = ap.parse_args()
    store, day, pf, n = workspace(args) if args.workspace else synthetic(args)
    env = Env(store, {"SECRET_KEY": "bench"}, Vault("bench"))

    def baseline():
        with store.sessions() as s:
            return s.scalar(select(func.count()).select_from(AccountDay)
                            .where(AccountDay.day == day))

    base, _ = timed(baseline)
    t_prev, items = timed(lambda: preview(env, pf, day))
    t_run1, out1 = timed(lambda: run(env, pf, day, trigger="bench"))
    t_prev2, _ = timed(lambda: preview(env, pf, day))
    t_run2, out2 = timed(lambda: run(env, pf, day, trigger="bench"))
    acts = sum(1 for i in items if i["acts"])
    by = {}
    for i in items:
        by[i["playbook"]] = by.get(i["playbook"], 0) + 1
    print(f"load average {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f}; as of {day}; "
          f"firings by playbook {by}")
    print(f"accounts {n}, firings {len(items)} (would act {acts}), "
          f"actions first run {out1['counts']['actions']}, second run {out2['counts']['actions']}")
    print(f"baseline (count the day's rows): {base * 1000:.1f} ms")
    print(f"preview: {t_prev * 1000:.0f} ms ({t_prev / base:.0f}x baseline)")
    print(f"run, acting on {out1['counts']['actions']}: {t_run1:.2f} s "
          f"({t_run1 / max(out1['counts']['actions'], 1) * 1000:.2f} ms per action)")
    print(f"preview again: {t_prev2 * 1000:.0f} ms; run again (nothing to do): "
          f"{t_run2 * 1000:.0f} ms ({t_run2 / base:.0f}x baseline)")
    store.dispose()


if __name__ == "__main__":
    main()
