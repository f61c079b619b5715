"""What a line the database refuses costs an import: the same JSONL file imported clean and
with one refused line in the middle of a batch (the batch is rolled back and written again
in halves inside savepoints), against a bare json.loads loop over the file.

    .venv/bin/python bench/bench_import_recovery.py --events 200000 --accounts 500
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from server.db import Store  # noqa: E402
from server.importer import import_lines  # noqa: E402


def write(path: Path, accounts: int, events: int, refused: bool) -> int:
    n = 0
    with path.open("w") as fh:
        for a in range(accounts):
            fh.write(json.dumps({"type": "account", "id": f"a{a}", "name": f"Account {a}"}) + "\n")
            n += 1
        for i in range(events):
            if refused and i == events // 2:
                fh.write(json.dumps({"type": "account", "id": "bad", "name": "Refused"}) + "\n")
                n += 1
            fh.write(json.dumps({"type": "event", "account_id": f"a{i % accounts}",
                                 "user_id": f"u{i % 97}", "name": "login",
                                 "time": f"2026-0{1 + i % 9}-1{i % 10}T{i % 24:02d}:"
                                         f"{i % 60:02d}:{(i // 60) % 60:02d}Z"}) + "\n")
            n += 1
    return n


def run(tmp: Path, name: str, path: Path, batch: int) -> tuple[float, object]:
    store = Store(f"sqlite:///{tmp / (name + '.db')}", migrate=True)
    with store.engine.begin() as conn:
        conn.execute(text("CREATE TRIGGER refuse BEFORE INSERT ON accounts WHEN NEW.name = "
                          "'Refused' BEGIN SELECT RAISE(ABORT, 'refused'); END"))
    started = time.perf_counter()
    with path.open("rb") as fh:
        report = import_lines(store, fh, batch_size=batch)
    took = time.perf_counter() - started
    store.dispose()
    return took, report


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=200_000)
    ap.add_argument("--accounts", type=int, default=500)
    ap.add_argument("--batch", type=int, default=20_000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        clean, mixed = tmp / "clean.jsonl", tmp / "mixed.jsonl"
        lines = write(clean, args.accounts, args.events, refused=False)
        write(mixed, args.accounts, args.events, refused=True)
        started = time.perf_counter()
        with clean.open("rb") as fh:
            for raw in fh:
                json.loads(raw)
        parse = time.perf_counter() - started
        t_clean, r_clean = run(tmp, "clean", clean, args.batch)
        t_mixed, r_mixed = run(tmp, "mixed", mixed, args.batch)
    print(f"{lines:,} lines, batch {args.batch:,}")
    print(f"parse only            {parse:7.2f} s")
    print(f"import, all good      {t_clean:7.2f} s  ({t_clean / parse:.1f}x parse)  "
          f"loaded {r_clean.loaded:,}, rejected {r_clean.rejected}")
    print(f"import, 1 refused     {t_mixed:7.2f} s  ({t_mixed / parse:.1f}x parse, "
          f"{t_mixed / t_clean:.2f}x all good)  loaded {r_mixed.loaded:,}, "
          f"rejected {r_mixed.rejected}: {r_mixed.errors[:1]}")


if __name__ == "__main__":
    main()
