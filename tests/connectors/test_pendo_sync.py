"""Pendo connector end to end: aggregation requests/answers from a fake server."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fixtures_usage import helpers as H  # noqa: E402
from fixtures_usage import payloads as P  # noqa: E402
from fixtures_usage.fake_server import FakeServer, Resp  # noqa: E402

from connectors.pendo.connector import PendoConnector, PendoSettings  # noqa: E402
from server.sync import load_state, run_sync  # noqa: E402

pytestmark = pytest.mark.store
AGG = "/api/v1/aggregation"
T = "2025-07-10"
DAY = 86_400_000
KEY_FEATURES = """
[key_features]
exports = ["Report Exported"]
dashboards = ["Dashboard Viewed"]
alerts = ["Alert Created"]
"""

ROWS = [
    P.pendo_row("dana@acme.io", "acme.io", "2025-07-01", minutes=10),
    P.pendo_row("dana@acme.io", "acme.io", "2025-07-02", minutes=30),
    P.pendo_row("bob", "acme.io", "2025-07-05", minutes=0),
    P.pendo_row("carl", "acme.io", "2025-05-20", minutes=5),
    P.pendo_row("x@initech.com", None, "2025-07-03", minutes=3),
    P.pendo_row("ghost", "unknown-co", "2025-07-03"),
    P.pendo_row("ghost", "unknown-co", "2025-07-04"),
]
FEATURES = {"feat-export": [P.pendo_row("dana@acme.io", "acme.io", "2025-07-01")]}
PAGES = {"page-dash": [P.pendo_row("bob", "acme.io", "2025-07-05")]}


class PendoFake:
    def __init__(self, server: FakeServer, rows, features=None, pages=None, accounts=(),
                 visitors=()):
        self.rows, self.features, self.pages = list(rows), dict(features or {}), \
            dict(pages or {})
        self.accounts, self.visitors = list(accounts), list(visitors)
        self.bodies: list[dict] = []
        self.raw_override: bytes | None = None
        self.raw_times = 1   # answers served as raw_override before the real ones
        server.route("POST", AGG, self.handle)

    def handle(self, req):
        body = req.json()
        self.bodies.append(body)
        src = body["request"]["pipeline"][0]["source"]
        if "accounts" in src:
            rows = self.accounts
        elif "visitors" in src:
            rows = self.visitors
        else:
            if "events" in src:
                rows = self.rows
            elif "featureEvents" in src:
                rows = self.features.get(src["featureEvents"]["featureId"], [])
            else:
                rows = self.pages.get(src["pageEvents"]["pageId"], [])
            ts = src["timeSeries"]
            lo, hi = ts["first"], ts["first"] + ts["count"] * DAY
            rows = [r for r in rows if not isinstance(r, dict) or "day" not in r
                    or lo <= r["day"] < hi]      # malformed rows come back in every answer
        data = json.dumps({"startTime": 0, "results": rows}).encode()
        if self.raw_override is not None:
            data = self.raw_override
            self.raw_times -= 1
            if self.raw_times <= 0:
                self.raw_override = None
        return Resp(200, [data[i:i + 50] for i in range(0, len(data), 50)],
                    {"Content-Type": "application/json"})


@pytest.fixture
def server():
    srv = FakeServer()
    yield srv
    srv.close()


@pytest.fixture
def app(make_app, settings_file):
    return make_app(SETTINGS=settings_file(KEY_FEATURES))


@pytest.fixture
def store(app):
    st = app.extensions["account360"].store
    H.seed(st)
    return st


def connector(server, store, now="2025-07-10T12:00:00Z", sleeps=None, **overrides):
    cfg = {"integration_key": "pk-123", "base_url": server.url, "start_date": "2025-05-15",
           "features": "feat-export=Report Exported", "pages": '{"page-dash": "Dashboard Viewed"}',
           **overrides}
    conn = PendoConnector(PendoSettings.from_dict(cfg))
    conn.sleep = H.no_sleep(sleeps)
    conn.started_at = datetime.fromisoformat(now.replace("Z", "+00:00"))
    return conn


def test_sync_lands_daily_usage_features_and_sessions_in_the_360(server, store, client, auth):
    fake = PendoFake(server, ROWS, FEATURES, PAGES)
    report = run_sync(store, connector(server, store))
    counts = report["streams"]["events"]
    assert report["status"] == "success", counts
    assert counts["unmapped_keys"] == {"unknown-co": 2}
    assert load_state(store, "pendo", "events") == {"through": "2025-07-09"}
    assert server.calls(AGG)[0].headers["x-pendo-integration-key"] == "pk-123"
    # every request has the documented aggregation shape
    sample = json.loads((P.HERE / "pendo_aggregation_events_request.json").read_text())
    for b in fake.bodies:
        assert b["response"] == sample["response"]
        src = b["request"]["pipeline"][0]["source"]
        assert set(src["timeSeries"]) == set(sample["request"]["pipeline"][0]["source"]
                                             ["timeSeries"])
        assert src["timeSeries"]["period"] == "dayRange"
        assert b["request"]["pipeline"][1] == {"sort": ["day"]}
    assert H.user_days(store) == {
        ("acc-acme", "2025-07-01", "dana@acme.io"): 3,   # activity start + end, feature
        ("acc-acme", "2025-07-02", "dana@acme.io"): 2,
        ("acc-acme", "2025-07-05", "bob"): 2,            # activity (0 min), page
        ("acc-acme", "2025-05-20", "carl"): 2,
        ("acc-initech", "2025-07-03", "x@initech.com"): 2,
    }
    usage = H.view_360(client, auth, "acc-acme", T)["usage"]
    assert (usage["active_users_30d"], usage["active_users_prior_30d"]) == (2, 1)
    assert usage["trend"] == pytest.approx(1.0)
    assert usage["features_used"] == ["dashboards", "exports"]
    assert usage["adoption_breadth"] == pytest.approx(2 / 3)
    assert usage["sessions_30d"] == 3
    assert usage["session_seconds_30d"] == 600 + 1800
    assert usage["avg_session_seconds"] == pytest.approx(800.0)
    assert usage["stickiness"] == pytest.approx((3 / 30) / 2)


def test_rereading_days_is_idempotent_and_a_growing_day_extends_its_session(server, store):
    fake = PendoFake(server, ROWS, FEATURES, PAGES)
    run_sync(store, connector(server, store))
    first = H.user_days(store)
    today = P.pendo_row("dana@acme.io", "acme.io", "2025-07-09", minutes=5)
    fake.rows.append(today)
    run_sync(store, connector(server, store, now="2025-07-10T13:00:00Z"))
    fake.bodies.clear()
    today["numMinutes"] = 45                          # later in the day Pendo has more
    run_sync(store, connector(server, store, now="2025-07-10T18:00:00Z"))
    firsts = {b["request"]["pipeline"][0]["source"]["timeSeries"]["first"] for b in fake.bodies}
    assert firsts == {P.day_ms("2025-07-09")}         # lookback: only the last day again
    days = H.user_days(store)
    assert {k: v for k, v in days.items() if k in first} == first
    key = ("acc-acme", "dana@acme.io", f"s:pendo-{P.day_ms('2025-07-09') // DAY}")
    start, end = H.sessions(store)[key]
    assert end - start == 45 * 60


def test_account_field_from_metadata_and_visitor_emails(server, store):
    rows = [P.pendo_row("v1", "pendo-42", "2025-07-01"),
            P.pendo_row("v2", None, "2025-07-02"),
            P.pendo_row("v3", "pendo-43", "2025-07-02")]
    fake = PendoFake(server, rows,
                     accounts=[P.pendo_account("pendo-42", crm_id="0015g00000AbC12AAF"),
                               P.pendo_account("pendo-43")],
                     visitors=[P.pendo_visitor("v2", "v2@globex.com")])
    report = run_sync(store, connector(server, store, account_field="metadata.custom.crm_id",
                                       visitor_emails=True, features="", pages=""))
    assert report["streams"]["events"]["unmapped_keys"] == {"pendo-43": 1}
    assert {(a, u) for a, _, u in H.user_days(store)} == {("acc-acme", "v1"),
                                                         ("acc-globex", "v2")}
    sources = [list(b["request"]["pipeline"][0]["source"])[0] for b in fake.bodies]
    assert sources[:2] == ["accounts", "visitors"]


def test_429_5xx_malformed_rows_and_a_broken_body(server, store):
    fake = PendoFake(server, ROWS + [{"visitorId": "nobody"}, "junk"], FEATURES, PAGES)
    server.script("POST", AGG, Resp(429, b"Too Many Requests", {"Retry-After": "30"}),
                  Resp(500, b"err"))
    sleeps: list = []
    report = run_sync(store, connector(server, store, sleeps=sleeps))
    counts = report["streams"]["events"]
    assert report["status"] == "success" and sleeps[0] == 30.0 and len(sleeps) == 2
    assert counts["skipped"] == 2 * 9   # two bad rows in the answer of each of 9 windows
    assert {s["reason"] for s in counts["skipped_samples"]} == {
        "missing 'visitorId' or 'day'", "not a JSON object"}
    before = H.user_days(store)
    # an answer cut short is asked again within the run: the second answer lands
    fake.raw_override = b'{"results": [{"visitorId": "a", "day": 1'
    sleeps.clear()
    report = run_sync(store, connector(server, store, now="2025-07-11T12:00:00Z",
                                       sleeps=sleeps))
    assert report["status"] == "success" and len(sleeps) == 1
    assert H.user_days(store) == before
    # cut short on every attempt (the first and 3 more): the stream stops, nothing landed
    fake.raw_override, fake.raw_times = b'{"results": [{"visitorId": "a", "day": 1', 4
    report = run_sync(store, connector(server, store, now="2025-07-12T12:00:00Z"))
    assert report["status"] == "failed"
    assert "broke off" in report["streams"]["events"]["errors"][0]["message"]
    # a body that is whole but not the documented shape is not read again
    fake.raw_override, fake.raw_times = b'[{"visitorId": "a"}]', 1
    report = run_sync(store, connector(server, store, now="2025-07-12T12:00:00Z"))
    assert report["status"] == "failed"
    assert "not the documented JSON" in report["streams"]["events"]["errors"][0]["message"]


def test_settings_and_regions():
    s = PendoSettings.from_dict({"integration_key": "abc.eu"})
    assert PendoConnector(s).base_url == "https://app.eu.pendo.io"
    s = PendoSettings.from_dict({"integration_key": "abc", "region": "jpn"})
    assert PendoConnector(s).base_url == "https://app.jpn.pendo.io"
    from connectors.errors import ConfigError
    with pytest.raises(ConfigError) as exc:
        PendoSettings.from_dict({"integration_key": "k", "features": "nope"}, prefix="PENDO_")
    assert "PENDO_FEATURES" in str(exc.value)
    assert "k" not in repr(PendoSettings.from_dict({"integration_key": "zzz"})).split("=")[1][:4]
