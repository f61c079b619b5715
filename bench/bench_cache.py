"""The shared 360 cache under threads: hits per second through the lock vs a bare dict.

Prints the figures and the ratio to the baseline (a plain dict lookup, no lock, no TTL),
single-threaded and with 8 threads. Run: .venv/bin/python bench/bench_cache.py
"""

from __future__ import annotations

import argparse
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from server.services.cache import SharedCache  # noqa: E402

KEYS = [(f"acc-{i:04d}", "2026-12-01", i) for i in range(2000)]


class DictBaseline:
    def __init__(self) -> None:
        self.d: dict = {}

    def get(self, key):
        return self.d.get(key)

    def put(self, key, value) -> None:
        self.d[key] = value


def rate(cache, threads: int, ops: int) -> float:
    """Hits per second: each thread reads every key `ops // len(KEYS)` times."""
    for k in KEYS:
        cache.put(k, b"{}")
    rounds = max(1, ops // len(KEYS) // threads)

    def work(_: int) -> int:
        n = 0
        for _ in range(rounds):
            for k in KEYS:
                n += cache.get(k) is not None
        return n

    t0 = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        hits = sum(pool.map(work, range(threads)))
    return hits / (time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--ops", type=int, default=2_000_000)
    args = ap.parse_args()
    for threads in (1, 8):
        base = rate(DictBaseline(), threads, args.ops)
        shared = rate(SharedCache(maxsize=4096, ttl=300), threads, args.ops)
        print(f"{threads} thread(s): shared cache {shared / 1e6:.2f} M hits/s, bare dict "
              f"{base / 1e6:.2f} M hits/s, ratio {base / shared:.1f}x "
              f"({1e6 / shared:.2f} us per hit)")


if __name__ == "__main__":
    main()
