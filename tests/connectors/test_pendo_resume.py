"""Pendo: an aggregation answer that breaks off is asked again within the run and read on
from the row after the last one handled: exact figures and exact run counts."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fixtures_usage import helpers as H  # noqa: E402
from fixtures_usage import payloads as P  # noqa: E402
from fixtures_usage.fake_server import Resp  # noqa: E402

from server.sync import load_state, run_sync  # noqa: E402
from tests.connectors.test_pendo_sync import (  # noqa: E402,F401 (fixtures)
    FEATURES,
    PAGES,
    ROWS,
    PendoFake,
    app,
    connector,
    server,
    store,
)

pytestmark = pytest.mark.store
# 900 more visitor-days in the window from 2025-06-26, so an answer comes in many pieces
MORE = [P.pendo_row(f"v{i}@acme.io", "acme.io", f"2025-06-{26 + i % 5}", minutes=1 + i % 50)
        for i in range(900)]


class CuttingFake(PendoFake):
    """Cuts the connection inside the next `cuts` activity answers covering `cut_day`."""

    cut_day, cuts, cut_at = "2025-06-28", 0, 0.5

    def handle(self, req):
        resp = super().handle(req)
        src = self.bodies[-1]["request"]["pipeline"][0]["source"]
        ts = src.get("timeSeries")
        if "events" in src and ts and self.cuts > 0 and \
                ts["first"] <= P.day_ms(self.cut_day) < ts["first"] + ts["count"] * 86_400_000:
            self.cuts -= 1
            data = b"".join(resp.body)
            return Resp(200, [data[i:i + 500] for i in range(0, len(data), 500)],
                        resp.headers, cut_after=int(len(data) * self.cut_at))
        return resp


def activity_calls(fake):
    return sum(1 for b in fake.bodies if "events" in b["request"]["pipeline"][0]["source"])


def test_a_dropped_aggregation_answer_is_resumed_in_the_run(server, store):
    fake = CuttingFake(server, ROWS + MORE + ["junk"], FEATURES, PAGES)
    fake.cuts = 2
    sleeps: list[float] = []
    report = run_sync(store, connector(server, store, sleeps=sleeps, page_size=200))
    c = report["streams"]["events"]
    assert report["status"] == "success" and c["errors"] == [] and len(sleeps) == 2
    assert load_state(store, "pendo", "events") == {"through": "2025-07-09"}
    broken = (c["records"], c["skipped"], c["unmapped_keys"], H.user_days(store),
              H.sessions(store))
    windows = activity_calls(fake) - 2
    # the same as an unbroken read of everything
    fake.bodies.clear()
    again = run_sync(store, connector(server, store, page_size=200), full=True)
    a = again["streams"]["events"]
    assert activity_calls(fake) == windows
    assert (a["records"], a["skipped"], a["unmapped_keys"], H.user_days(store),
            H.sessions(store)) == broken
    assert c["skipped"] == windows      # "junk" once in each window's activity answer
    assert H.user_days(store)[("acc-acme", "2025-06-27", "v1@acme.io")] == 2


def test_an_answer_breaking_off_on_every_attempt_stops_the_stream(server, store):
    fake = CuttingFake(server, ROWS + MORE, FEATURES, PAGES)
    fake.cuts = 10
    report = run_sync(store, connector(server, store))
    c = report["streams"]["events"]
    assert c["status"] == "failed" and "broke off" in c["errors"][0]["message"]
    # windows of 7 days from 2025-05-15: the one of 06-28 is 06-26..07-02
    assert load_state(store, "pendo", "events") == {"through": "2025-06-25"}
    first = P.day_ms("2025-06-26")
    assert sum(1 for b in fake.bodies if b["request"]["pipeline"][0]["source"]
               .get("timeSeries", {}).get("first") == first
               and "events" in b["request"]["pipeline"][0]["source"]) == 4
