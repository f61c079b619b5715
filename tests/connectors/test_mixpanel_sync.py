"""Mixpanel connector end to end: fake export server -> sync engine -> store -> the 360."""

from __future__ import annotations

import json
import sys
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fixtures_usage import helpers as H  # noqa: E402
from fixtures_usage import payloads as P  # noqa: E402
from fixtures_usage.fake_server import FakeServer, Resp  # noqa: E402

from connectors.mixpanel.connector import MixpanelConnector, MixpanelSettings  # noqa: E402
from connectors.mixpanel.export import HOSTS  # noqa: E402
from server.sync import load_state, run_sync  # noqa: E402

pytestmark = pytest.mark.store
SPEC = Path(__file__).resolve().parents[1] / "fixtures" / "vendor-specs" / "mixpanel" / \
    "export.openapi.yaml"
EXPORT = "/api/2.0/export"
T = "2025-07-10"


def ev(name, user, when, company=None, email=None):
    return P.mp_event(name, user, when, company=company, email=email)


# Last 30 days as of T: 2025-06-11..2025-07-10; prior 30: 2025-05-12..2025-06-10.
EVENTS = [
    ev("Report Exported", "u1", "2025-07-01T09:00:00Z", company=["acme.io"]),
    ev("Report Exported", "u1", "2025-07-01T09:00:00Z", company=["acme.io"]),  # raw duplicate
    ev("Dashboard Viewed", "u1", "2025-07-02T10:00:00Z", company="acme.io"),
    ev("Dashboard Viewed", "u2", "2025-06-20T10:00:00Z", company="acc-acme"),
    ev("Dashboard Viewed", "u3", "2025-06-12T10:00:00Z", email="u3@acme.io"),
    ev("Login", "u4", "2025-07-09T08:00:00Z", company="0015g00000AbC12AAF"),
    ev("Login", "u7", "2025-07-05T08:00:00Z", company=["acme.io", "globex.com"]),
    ev("Login", "u1", "2025-05-20T08:00:00Z", company="acme.io"),
    ev("Login", "u5", "2025-06-01T08:00:00Z", company="acme.io"),
    ev("Login", "u9", "2025-07-03T08:00:00Z", company="globex.com"),
    ev("Login", "x1", "2025-07-03T08:00:00Z", company="unknown.io"),
    ev("Login", "x2", "2025-07-04T08:00:00Z", company="unknown.io"),
    ev("Login", "x3", "2025-06-04T08:00:00Z", company=["unknown.io"]),
    ev("Login", "joe", "2025-07-04T09:00:00Z", email="joe@gmail.com"),
    ev("Login", "joe", "2025-07-05T09:00:00Z", email="joe@gmail.com"),
]
MALFORMED = [("2025-07-02", b'{"event": "Login", "properties": {'), ("2025-06-03", b"[1, 2")]


def day_of(e) -> str:
    t = e["properties"]["time"]
    return datetime.fromtimestamp(t / 1000 if t > 1e11 else t, timezone.utc).date().isoformat()


class MixpanelFake:
    """The export endpoint over a list of events; optional connection cut in one window."""

    def __init__(self, server: FakeServer, events, malformed=()):
        self.events = list(events)
        self.malformed = list(malformed)
        self.cut_day: str | None = None
        self.cuts, self.cut_at = 1, 0.5  # answers cut (at this fraction) for cut_day's window
        self.order = None                # optional key: the order of the events in the body
        server.route("GET", EXPORT, self.handle)

    def handle(self, req):
        lo, hi = req.arg("from_date"), req.arg("to_date")
        sel = [e for e in self.events if lo <= day_of(e) <= hi]
        if self.order is not None:
            sel.sort(key=self.order)
        bad = [raw for d, raw in self.malformed if lo <= d <= hi]
        body = P.jsonl(sel, bad) if (sel or bad) else b""
        chunks = [body[i:i + 97] for i in range(0, len(body), 97)]
        cut = None
        if self.cut_day and lo <= self.cut_day <= hi and self.cuts > 0:
            cut = int(len(body) * self.cut_at)
            self.cuts -= 1
        return Resp(200, chunks, {"Content-Type": "text/plain; charset=utf-8"}, cut_after=cut)


@pytest.fixture
def server():
    srv = FakeServer()
    yield srv
    srv.close()


@pytest.fixture
def store(app):
    st = app.extensions["account360"].store
    H.seed(st)
    return st


def connector(server, store, now="2025-07-10T12:00:00Z", sleeps=None, **overrides):
    cfg = {"api_secret": "s3cret", "base_url": server.url, "start_date": "2025-05-01",
           "window_days": 7, **overrides}
    conn = MixpanelConnector(MixpanelSettings.from_dict(cfg))
    conn.sleep = H.no_sleep(sleeps)
    conn.started_at = datetime.fromisoformat(now.replace("Z", "+00:00"))
    return conn


def normalised(events, accounts_of) -> list[dict]:
    """What an exact ingest must hold: each event once per account it maps to."""
    out = []
    for e in events:
        p = e["properties"]
        for acc in accounts_of(e):
            out.append({"account_id": acc, "user_id": p["distinct_id"], "name": e["event"],
                        "time": datetime.fromtimestamp(p["time"] / 1000, timezone.utc)
                        .isoformat()})
    return out


def accounts_of(e) -> list[str]:
    p = e["properties"]
    keys = p.get("company_id")
    keys = keys if isinstance(keys, list) else [keys] if keys else []
    table = {"acme.io": "acc-acme", "acc-acme": "acc-acme", "0015g00000AbC12AAF": "acc-acme",
             "globex.com": "acc-globex"}
    out = [table[k] for k in keys if k in table]
    if not out and str(p.get("$email", "")).endswith("@acme.io"):
        out = ["acc-acme"]
    return out


def test_sync_lands_events_and_the_360_shows_usage(server, store, client, auth):
    MixpanelFake(server, EVENTS, MALFORMED)
    report = run_sync(store, connector(server, store))
    ev_counts = report["streams"]["events"]
    assert report["status"] == "success"
    assert ev_counts["unmapped_keys"] == {"unknown.io": 3, "@gmail.com": 2}
    assert ev_counts["unmapped"] == 5
    assert ev_counts["skipped"] == 2
    assert {s["reason"] for s in ev_counts["skipped_samples"]} == {"malformed JSON line"}
    assert ev_counts["by_type"] == {"event": 11}  # 10 mapped lines, one for two accounts
    assert H.user_days(store) == H.expected_user_days(normalised(EVENTS, accounts_of))
    assert load_state(store, "mixpanel", "events") == {"through": "2025-07-09"}

    acme = H.view_360(client, auth, "acc-acme", T)["usage"]
    assert acme["active_users_30d"] == 5            # u1 u2 u3 u4 u7
    assert acme["active_users_prior_30d"] == 2      # u1 u5
    assert acme["trend"] == pytest.approx(1.5)
    assert acme["seat_utilization"] == pytest.approx(0.5)
    assert acme["last_activity_date"] == "2025-07-09"
    assert acme["days_since_last_activity"] == 1
    daily = {d["date"]: d["active_users"] for d in acme["daily_active"]}
    assert daily["2025-07-01"] == 1 and daily["2025-07-05"] == 1 and daily["2025-07-03"] == 0
    globex = H.view_360(client, auth, "acc-globex", T)["usage"]
    assert (globex["active_users_30d"], globex["active_users_prior_30d"]) == (2, 0)
    assert globex["trend"] is None


def test_windows_requests_and_auth_follow_the_export_spec(server, store):
    fake = MixpanelFake(server, EVENTS)
    conn = connector(server, store, service_account_username="sa.user",
                     service_account_secret="pw", api_secret="", project_id="12345")
    run_sync(store, conn)
    calls = server.calls(EXPORT)
    windows = [(c.arg("from_date"), c.arg("to_date")) for c in calls]
    assert windows[0] == ("2025-05-01", "2025-05-07") and windows[-1] == ("2025-07-10", T)
    assert len(windows) == 11
    for (_, hi), (lo, _) in zip(windows, windows[1:], strict=False):
        assert date.fromisoformat(lo).toordinal() == date.fromisoformat(hi).toordinal() + 1
    import base64
    assert calls[0].headers["authorization"] == "Basic " + base64.b64encode(b"sa.user:pw").decode()
    assert all(c.arg("project_id") == "12345" for c in calls)
    assert fake.events  # served


def test_fake_export_and_requests_validate_against_the_openapi_spec(server, store):
    spec = yaml.safe_load(SPEC.read_text())
    op = spec["paths"]["/export"]["get"]
    hosts = {v: f"https://{v}.mixpanel.com"
             for v in spec["servers"][0]["variables"]["server"]["enum"]}
    assert set(HOSTS.values()) == set(hosts.values())
    assert spec["servers"][0]["url"].endswith("/api/2.0") and EXPORT.endswith("/export")
    MixpanelFake(server, EVENTS)
    run_sync(store, connector(server, store, project_id="12345"))
    params = {p["name"]: p for p in op["parameters"] if p["in"] == "query"}
    for call in server.calls(EXPORT):
        for name, p in params.items():
            if p.get("required"):
                assert call.arg(name), f"required parameter {name} missing"
        for name, values in call.query.items():
            assert name in params, f"{name} is not a documented parameter"
            kind = params[name]["schema"]["type"]
            value = values[0]
            if kind == "integer":
                assert value.isdigit()
            elif kind == "boolean":
                assert value in ("true", "false")
        for name in ("from_date", "to_date"):
            date.fromisoformat(call.arg(name))
        if call.arg("limit"):
            assert int(call.arg("limit")) <= 100000
    # the served body is what the spec documents: text/plain, one JSON event per line,
    # with the fields of the spec's example
    ok = op["responses"]["200"]["content"]
    assert list(ok) == ["text/plain"]
    example = [json.loads(x) for x in ok["text/plain"]["schema"]["example"].splitlines()
               if x.strip()]
    served = [json.loads(x) for x in P.jsonl(EVENTS).splitlines()]
    for line in served:
        assert set(example[0]) <= set(line)
        assert set(example[0]["properties"]) <= set(line["properties"])


def test_incremental_second_run_reexports_the_lookback_only_and_counts_nothing_twice(
        server, store, client, auth):
    fake = MixpanelFake(server, EVENTS, MALFORMED)
    run_sync(store, connector(server, store))
    first = H.user_days(store)
    keys_first = H.event_keys(store)
    late = [ev("Login", "u8", "2025-07-09T22:00:00Z", company="acme.io"),   # late arrival
            ev("Login", "u1", "2025-07-11T07:00:00Z", company="acme.io")]
    fake.events += late
    server.requests.clear()
    report = run_sync(store, connector(server, store, now="2025-07-12T06:00:00Z"))
    assert report["status"] == "success"
    windows = [(c.arg("from_date"), c.arg("to_date")) for c in server.calls(EXPORT)]
    assert windows == [("2025-07-08", "2025-07-12")]
    assert load_state(store, "mixpanel", "events") == {"through": "2025-07-11"}
    after = H.user_days(store)
    assert after == H.expected_user_days(normalised(EVENTS + late, accounts_of))
    assert {k: v for k, v in after.items() if k in first} == first  # re-export: no double count
    assert H.event_keys(store) == keys_first + 2
    # a third run with nothing new changes nothing
    run_sync(store, connector(server, store, now="2025-07-12T07:00:00Z"))
    assert H.user_days(store) == after
    usage = H.view_360(client, auth, "acc-acme", "2025-07-11")["usage"]
    assert usage["active_users_30d"] == 6 and usage["last_activity_date"] == "2025-07-11"


def test_429_and_5xx_are_retried(server, store):
    MixpanelFake(server, EVENTS)
    server.script("GET", EXPORT, Resp(429, b"Too many requests", {"Retry-After": "7"}),
                  Resp(503, b"unavailable"), Resp(500, b"oops"))
    sleeps: list = []
    report = run_sync(store, connector(server, store, sleeps=sleeps))
    assert report["status"] == "success"
    assert sleeps[0] == 7.0 and len(sleeps) == 3
    assert H.user_days(store) == H.expected_user_days(normalised(EVENTS, accounts_of))


def test_crash_mid_export_then_resume_gives_exact_counts(server, store, make_app):
    fake = MixpanelFake(server, EVENTS, MALFORMED)
    fake.cut_day = "2025-07-02"          # the connection drops inside the window 06-26..07-02
    fake.cuts = 4                        # ... and again on each of the 3 attempts to read on
    # one record per page: part of the broken window is committed before the drop
    report = run_sync(store, connector(server, store, page_size=1))
    counts = report["streams"]["events"]
    assert report["status"] == "partial" and counts["status"] == "failed"
    assert "broke off" in counts["errors"][0]["message"]
    assert len([r for r in server.calls(EXPORT) if r.arg("from_date") == "2025-06-26"]) == 4
    assert load_state(store, "mixpanel", "events") == {"through": "2025-06-25"}
    partial = H.user_days(store)
    assert ("acc-acme", "2025-07-01", "u1") in partial      # landed before the drop
    assert partial != H.expected_user_days(normalised(EVENTS, accounts_of))
    report = run_sync(store, connector(server, store, page_size=1))
    assert report["status"] == "success"
    assert H.user_days(store) == H.expected_user_days(normalised(EVENTS, accounts_of))
    # the same figures as one clean run into a fresh store
    clean = make_app(DATABASE_URL=str(store.engine.url).replace(".db", "-clean.db")) \
        if store.dialect == "sqlite" else None
    if clean is not None:
        other = clean.extensions["account360"].store
        H.seed(other)
        run_sync(other, connector(server, other))
        assert H.user_days(other) == H.user_days(store)
        assert H.sessions(other) == H.sessions(store)


def test_eu_and_india_residency_hosts_and_settings_errors():
    eu = MixpanelConnector(MixpanelSettings.from_dict({"api_secret": "x", "region": "eu"}))
    ind = MixpanelConnector(MixpanelSettings.from_dict({"api_secret": "x", "region": "in"}))
    assert eu.base_url == "https://data-eu.mixpanel.com"
    assert ind.base_url == "https://data-in.mixpanel.com"
    from connectors.errors import ConfigError
    with pytest.raises(ConfigError) as exc:
        MixpanelSettings.from_env("MIXPANEL_", {"MIXPANEL_SERVICE_ACCOUNT_USERNAME": "u",
                                                "MIXPANEL_REGION": "mars"})
    msg = str(exc.value)
    assert "MIXPANEL_SERVICE_ACCOUNT_SECRET" in msg and "MIXPANEL_REGION" in msg
    assert "MIXPANEL_PROJECT_ID" in msg
    assert "s3cret" not in repr(MixpanelSettings.from_dict({"api_secret": "s3cret"}))


def test_kill_9_mid_export_then_rerun_gives_exact_counts(server, store, tmp_path):
    """A real `account360 sync mixpanel` process killed with SIGKILL inside a window."""
    import os
    import signal
    import subprocess
    import threading
    import time

    from sqlalchemy import select

    from server.models import SyncState

    fake = MixpanelFake(server, EVENTS, MALFORMED)   # the CLI runs on the real clock:
    release = threading.Event()                       # windows 2025-05-01.. up to today
    served = fake.handle

    def stalling(req):
        resp = served(req)
        if req.arg("from_date") != "2025-06-26":
            return resp
        chunks = list(resp.body)

        def body():
            yield from chunks[:len(chunks) // 2]
            release.wait(60)            # the process is killed while reading here
        return Resp(200, body(), resp.headers)

    server.route("GET", EXPORT, stalling)
    url = store.engine.url.render_as_string(hide_password=False)
    env = {**os.environ, "ACCOUNT360_DATABASE_URL": url, "ACCOUNT360_DATA_DIR": str(tmp_path),
           "MIXPANEL_API_SECRET": "x", "MIXPANEL_BASE_URL": server.url,
           "MIXPANEL_START_DATE": "2025-05-01", "MIXPANEL_PAGE_SIZE": "1"}
    exe = Path(sys.executable).parent / "account360"
    proc = subprocess.Popen([str(exe), "sync", "mixpanel"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if any(r.arg("from_date") == "2025-06-26" for r in server.requests):
                time.sleep(1.0)     # let it land the records before the stall
                break
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
    finally:
        release.set()
    with store.sessions() as s:
        state = s.scalar(select(SyncState.state).where(SyncState.connector == "mixpanel"))
    assert state == {"through": "2025-06-25"}
    assert ("acc-acme", "2025-07-01", "u1") in H.user_days(store)   # landed before the kill
    server.route("GET", EXPORT, served)
    done = subprocess.run([str(exe), "sync", "mixpanel"], env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "run 2 success" in done.stdout
    assert H.user_days(store) == H.expected_user_days(normalised(EVENTS, accounts_of))


def test_account_key_from_user_profiles_via_engage(server, store):
    """Events without the group key are attributed by the user's profile property."""
    from urllib.parse import parse_qs

    query_spec = yaml.safe_load((SPEC.parent / "query.openapi.yaml").read_text())
    engage = query_spec["paths"]["/engage"]["post"]
    allowed = set(engage["requestBody"]["content"]["application/x-www-form-urlencoded"]
                  ["schema"]["properties"])
    sample = json.loads((SPEC.parent / "engage_response.json").read_text())
    profiles = [
        {"$distinct_id": "p1", "$properties": {"account_id": "acc-globex"}},
        {"$distinct_id": "p2", "$properties": {"$email": "p2@initech.com"}},
        {"$distinct_id": "p3", "$properties": {"account_id": ["acme.io"]}},
    ]
    forms = []

    def handle(req):
        form = {k: v[0] for k, v in parse_qs(req.body.decode()).items()}
        forms.append(form)
        assert set(form) <= allowed and req.arg("project_id") == "12345"
        page = int(form.get("page", 0))
        body = dict(sample, page=page, page_size=2, total=3, session_id="sess-1",
                    results=profiles[page * 2:page * 2 + 2])
        return Resp.json(body)

    server.route("POST", "/api/query/engage", handle)
    MixpanelFake(server, [ev("Login", "p1", "2025-07-01T08:00:00Z"),
                          ev("Login", "p2", "2025-07-01T08:00:00Z"),
                          ev("Login", "p3", "2025-07-02T08:00:00Z"),
                          ev("Login", "p4", "2025-07-02T08:00:00Z")])
    conn = connector(server, store, user_property="account_id", project_id="12345",
                     service_account_username="sa", service_account_secret="pw",
                     api_secret="")
    report = run_sync(store, conn)
    assert report["status"] == "success"
    assert forms[0] == {"output_properties": '["account_id", "$email"]'}
    assert forms[1]["session_id"] == "sess-1" and forms[1]["page"] == "1"
    assert set(H.user_days(store)) == {("acc-globex", "2025-07-01", "p1"),
                                       ("acc-initech", "2025-07-01", "p2"),
                                       ("acc-acme", "2025-07-02", "p3")}
    assert report["streams"]["events"]["unmapped_keys"] == {"(no account key)": 1}
