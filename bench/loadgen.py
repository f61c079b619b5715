"""A small threaded HTTP load generator for bench_load.py: N clients, each a keep-alive
connection (http.client) sending requests back to back for a fixed time; per request kind
the count, errors, throughput and latency percentiles."""

from __future__ import annotations

import http.client
import random
import threading
import time
import typing as t
from urllib.parse import urlparse


class Result:
    def __init__(self) -> None:
        self.lat: dict[str, list[float]] = {}
        self.errors: dict[str, int] = {}
        self.samples: list[str] = []
        self.lock = threading.Lock()

    def add(self, kind: str, seconds: float, error: str | None) -> None:
        with self.lock:
            self.lat.setdefault(kind, []).append(seconds)
            if error is not None:
                self.errors[kind] = self.errors.get(kind, 0) + 1
                if len(self.samples) < 5:
                    self.samples.append(f"{kind}: {error}")


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    xs = sorted(values)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def run(base: str, token: str, pick: t.Callable[[random.Random], tuple[str, str]],
        clients: int, seconds: float, seed: int = 7) -> tuple[Result, float]:
    """`pick(rng)` -> (kind, path). Every answer but 200 counts as an error."""
    url = urlparse(base)
    res = Result()
    stop = time.monotonic() + seconds
    start = threading.Barrier(clients + 1)

    def client(n: int) -> None:
        rng = random.Random(seed * 1000 + n)
        conn = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
        headers = {"Authorization": f"Bearer {token}", "Connection": "keep-alive"}
        start.wait()
        while time.monotonic() < stop:
            kind, path = pick(rng)
            t0 = time.perf_counter()
            error = None
            try:
                conn.request("GET", path, headers=headers)
                r = conn.getresponse()
                r.read()
                if r.status != 200:
                    error = f"HTTP {r.status} {path}"
                if r.getheader("Connection", "").lower() == "close":
                    conn.close()
            except (OSError, http.client.HTTPException) as exc:
                error = f"{type(exc).__name__}: {exc} {path}"
                conn.close()
                conn = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
            res.add(kind, time.perf_counter() - t0, error)
        conn.close()

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    for th in threads:
        th.start()
    start.wait()
    began = time.perf_counter()
    for th in threads:
        th.join()
    return res, time.perf_counter() - began


def report(phase: str, res: Result, wall: float, trivial_p99: float | None = None,
           trivial_rps: float | None = None) -> list[str]:
    lines = []
    every = [x for v in res.lat.values() for x in v]
    kinds = sorted(res.lat) + (["all"] if len(res.lat) > 1 else [])
    for kind in kinds:
        lat = every if kind == "all" else res.lat[kind]
        errs = sum(res.errors.values()) if kind == "all" else res.errors.get(kind, 0)
        rps = len(lat) / wall
        p99 = pct(lat, 99)
        ratio = ""
        if kind == "all" and trivial_p99:
            ratio = f"  p99 {p99 / trivial_p99:.1f}x trivial, req/s {rps / trivial_rps:.2f}x"
        lines.append(f"{phase:18} {kind:8} {len(lat):>7} {errs:>6} {rps:>8.1f} "
                     f"{pct(lat, 50) * 1000:>8.1f} {pct(lat, 95) * 1000:>8.1f} "
                     f"{p99 * 1000:>8.1f}{ratio}")
    for sample in res.samples:
        lines.append(f"    error: {sample}")
    return lines


HEADER = (f"{'phase':18} {'kind':8} {'requests':>7} {'errors':>6} {'req/s':>8} "
          f"{'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}")
