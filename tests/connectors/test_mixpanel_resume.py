"""Mixpanel: an export that breaks off is read again within the run, from the line after
the last one handled: exact figures and exact run counts, as in an unbroken run."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fixtures_usage import helpers as H  # noqa: E402

from server.sync import load_state, run_sync  # noqa: E402
from tests.connectors.test_mixpanel_sync import (  # noqa: E402,F401 (fixtures)
    EVENTS,
    EXPORT,
    MALFORMED,
    MixpanelFake,
    accounts_of,
    connector,
    ev,
    normalised,
    server,
    store,
)

pytestmark = pytest.mark.store
# 1,200 more events inside the window 2025-06-26..07-02, so the body is read in many pieces
FILLER = [ev("Report Exported", f"f{i % 40}", f"2025-06-{27 + i % 3}T{i % 24:02d}:"
             f"{i // 24 % 60:02d}:{i % 60:02d}Z", company=["acme.io", "unknown.io"][i % 2])
          for i in range(1200)]
ALL = EVENTS + FILLER


def window_calls(server, day="2025-06-26"):
    return len([r for r in server.calls(EXPORT) if r.arg("from_date") == day])


def counts(report):
    c = report["streams"]["events"]
    return c["records"], c["skipped"], c["unmapped"], c["unmapped_keys"]


def test_a_dropped_connection_is_resumed_in_the_run_with_exact_counts(server, store):
    fake = MixpanelFake(server, ALL, MALFORMED)
    fake.cut_day, fake.cuts, fake.cut_at = "2025-07-02", 2, 0.6   # two drops in one window
    sleeps: list[float] = []
    report = run_sync(store, connector(server, store, page_size=100, sleeps=sleeps))
    assert report["status"] == "success" and report["streams"]["events"]["errors"] == []
    assert window_calls(server) == 3 and len(sleeps) == 2
    assert load_state(store, "mixpanel", "events") == {"through": "2025-07-09"}
    assert H.user_days(store) == H.expected_user_days(normalised(ALL, accounts_of))
    broken = counts(report)
    # every line was handled once: the same counts as reading everything again unbroken
    again = run_sync(store, connector(server, store, page_size=100), full=True)
    assert counts(again) == broken
    assert broken[0] == len(normalised(ALL, accounts_of)) and broken[1] == len(MALFORMED)
    assert H.user_days(store) == H.expected_user_days(normalised(ALL, accounts_of))


class TruncatingFake(MixpanelFake):
    """Answers the window of `cut_day` once with a body cut short mid-line, cleanly closed
    (a complete HTTP answer whose last JSON line is incomplete)."""

    def handle(self, req):
        resp = super().handle(req)
        if self.cut_day and req.arg("from_date") <= self.cut_day <= req.arg("to_date"):
            self.cut_day = None
            body = b"".join(resp.body)
            resp.body = body[:len(body) - 25]   # bytes: sent with its Content-Length
        return resp


def test_a_body_cut_short_is_read_again_not_counted_as_a_malformed_line(server, store):
    fake = TruncatingFake(server, ALL)
    fake.cut_day, fake.cuts = "2025-07-02", 0
    report = run_sync(store, connector(server, store, page_size=500))
    assert report["status"] == "success" and window_calls(server) == 2
    assert report["streams"]["events"]["skipped"] == 0
    assert H.user_days(store) == H.expected_user_days(normalised(ALL, accounts_of))


def test_a_body_in_another_order_the_second_time_still_gives_exact_figures(server, store):
    fake = MixpanelFake(server, ALL)
    fake.cut_day, fake.cuts, fake.cut_at = "2025-07-02", 1, 0.7
    served = fake.handle

    def reordered(req):     # the second answer of the window lists the events backwards
        if window_calls(server) == 2 and req.arg("from_date") == "2025-06-26":
            fake.order = lambda e: -e["properties"]["time"]
        return served(req)

    server.route("GET", EXPORT, reordered)
    report = run_sync(store, connector(server, store, page_size=100))
    assert report["status"] == "success" and window_calls(server) == 2
    assert H.user_days(store) == H.expected_user_days(normalised(ALL, accounts_of))
    # lines read again after the body changed are counted again; the store dropped them
    assert report["streams"]["events"]["records"] > len(normalised(ALL, accounts_of))


def test_a_window_breaking_off_on_every_attempt_stops_the_stream_before_it(server, store):
    fake = MixpanelFake(server, ALL)
    fake.cut_day, fake.cuts = "2025-07-02", 10
    report = run_sync(store, connector(server, store, page_size=100))
    c = report["streams"]["events"]
    assert c["status"] == "failed" and "broke off" in c["errors"][0]["message"]
    assert window_calls(server) == 4   # the first answer and 3 attempts to read on
    assert load_state(store, "mixpanel", "events") == {"through": "2025-06-25"}
