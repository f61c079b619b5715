"""Amplitude connector end to end: real ZIP-of-gzip export archives from a fake server."""

from __future__ import annotations

import sys
from collections import defaultdict
from datetime import datetime
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fixtures_usage import helpers as H  # noqa: E402
from fixtures_usage import payloads as P  # noqa: E402
from fixtures_usage.fake_server import FakeServer, Resp  # noqa: E402

from connectors.amplitude.connector import AmplitudeConnector, AmplitudeSettings  # noqa: E402
from connectors.amplitude.export import amplitude_time  # noqa: E402
from server.sync import load_state, run_sync  # noqa: E402

pytestmark = pytest.mark.store
EXPORT = "/api/2/export"
T = "2025-07-10"
S1, S2, S3 = 1751360400000, 1751450400000, 1751119200000


def ev(name, user, when, company=None, session=-1, uploaded=None, **kw):
    return P.amp_event(name, user, when, company=company, session_id=session,
                       uploaded=uploaded, **kw)


EVENTS = [
    # acme, last 30 days, all in vendor sessions: u1 600 s, u2 1800 s, u3 0 s
    ev("Report Exported", "dana@acme.io", "2025-07-01T09:00:00Z", ["acme.io"], S1),
    ev("Dashboard Viewed", "dana@acme.io", "2025-07-01T09:10:00Z", ["acme.io"], S1),
    ev("Dashboard Viewed", "u2", "2025-07-02T10:00:00Z", "acc-acme", S2),
    ev("Report Exported", "u2", "2025-07-02T10:30:00Z", "acc-acme", S2),
    ev("Login", None, "2025-06-28T14:00:00Z", ["acme.io"], S3, amplitude_id=777),
    # the same event re-uploaded later: delivered again in another window
    ev("Report Exported", "u2", "2025-07-02T10:30:00Z", "acc-acme", S2,
       uploaded="2025-07-03T18:00:00.000000"),
    # acme, prior 30 days
    ev("Login", "dana@acme.io", "2025-05-20T08:00:00Z", "acme.io"),
    # globex by email domain (no group), initech by CRM-less domain group
    ev("Login", "g1@globex.com", "2025-07-05T08:00:00Z"),
    ev("Login", "i1", "2025-07-06T08:00:00Z", "initech.com"),
    # unmapped
    ev("Login", "x1", "2025-07-03T08:00:00Z", "unknown.io"),
    ev("Login", "x2", "2025-07-04T08:00:00Z", ["unknown.io"]),
    ev("Login", "joe@gmail.com", "2025-07-04T09:00:00Z"),
]


def upload_hour(e) -> str:
    return datetime.fromisoformat(e["server_upload_time"][:19]).strftime("%Y%m%dT%H")


class AmplitudeFake:
    """The Export API: a ZIP with one gzip JSONL member per hour (two for busy hours)."""

    def __init__(self, server: FakeServer, events, max_hours: int | None = None,
                 too_large: int = 400):
        self.events = list(events)
        self.max_hours = max_hours
        self.too_large = too_large
        self.extra_members: dict[str, bytes] = {}
        self.cut_next = False
        server.route("GET", EXPORT, self.handle)

    def handle(self, req):
        start, end = req.arg("start"), req.arg("end")
        hours = (datetime.strptime(end, "%Y%m%dT%H") - datetime.strptime(start, "%Y%m%dT%H"))
        if self.max_hours is not None and hours.total_seconds() / 3600 + 1 > self.max_hours:
            return Resp(self.too_large, b"Raw data files were too large to export")
        by_hour = defaultdict(list)
        for e in self.events:
            h = upload_hour(e)
            if start <= h <= end:
                by_hour[h].append(e)
        members = {}
        for h, evs in sorted(by_hour.items()):
            day, hour = f"{h[:4]}-{h[4:6]}-{h[6:8]}", int(h[9:])
            half = (len(evs) + 1) // 2
            members[P.amp_member(987654, day, hour, 0)] = evs[:half]
            if evs[half:]:
                members[P.amp_member(987654, day, hour, 1)] = evs[half:]
        for name, raw in self.extra_members.items():
            if start <= name.split("|")[0] <= end:
                members[name.split("|")[1]] = raw
        if not members:
            return Resp(404, b"No data available")
        body = P.amp_zip(members)
        cut = len(body) // 2 if self.cut_next else None
        self.cut_next = False
        return Resp(200, [body[i:i + 1000] for i in range(0, len(body), 1000)],
                    {"Content-Type": "application/zip"}, cut_after=cut)


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
    cfg = {"api_key": "k", "secret_key": "s3cret", "base_url": server.url,
           "start_date": "2025-05-15", "window_hours": 72, **overrides}
    conn = AmplitudeConnector(AmplitudeSettings.from_dict(cfg))
    conn.sleep = H.no_sleep(sleeps)
    conn.started_at = datetime.fromisoformat(now.replace("Z", "+00:00"))
    return conn


def mapped(events) -> list[dict]:
    table = {"acme.io": "acc-acme", "acc-acme": "acc-acme", "initech.com": "acc-initech"}
    out = []
    for e in events:
        keys = e["groups"].get("company")
        keys = keys if isinstance(keys, list) else [keys] if keys else []
        accs = [table[k] for k in keys if k in table]
        if not accs and str(e["user_id"]).endswith("@globex.com"):
            accs = ["acc-globex"]
        user = e["user_id"] or f"amplitude:{e['amplitude_id']}"
        out += [{"account_id": a, "user_id": user, "name": e["event_type"],
                 "time": amplitude_time(e["event_time"])[:19]} for a in accs]
    return out


def test_sync_lands_events_sessions_and_the_360_shows_them(server, store, client, auth):
    fake = AmplitudeFake(server, EVENTS)
    fake.extra_members["20250704T08|987654/987654_2025-07-04_8#9.json.gz"] = (
        b'{"event_type": "Login", "user_id": "u2", "event_time": "2025-07-04 08:00:00",\n'
        b'not json at all\n')
    report = run_sync(store, connector(server, store))
    counts = report["streams"]["events"]
    assert report["status"] == "success", counts
    assert counts["unmapped_keys"] == {"unknown.io": 2, "@gmail.com": 1}
    assert counts["skipped"] == 2, counts["skipped_samples"]
    assert all(s["reason"] == "malformed JSON line" for s in counts["skipped_samples"])
    assert load_state(store, "amplitude", "events") == {"through_hour": "20250710T08"}
    assert H.user_days(store) == H.expected_user_days(mapped(EVENTS))
    assert H.sessions(store)[("acc-acme", "u2", f"s:{S2}")] == (1751450400, 1751452200)

    acme = H.view_360(client, auth, "acc-acme", T)["usage"]
    assert acme["active_users_30d"] == 3           # dana, u2, amplitude:777
    assert acme["active_users_prior_30d"] == 1     # dana
    assert acme["trend"] == pytest.approx(2.0)
    assert acme["sessions_30d"] == 3
    assert acme["session_seconds_30d"] == 600 + 1800 + 0
    assert acme["avg_session_seconds"] == pytest.approx(800.0)
    globex = H.view_360(client, auth, "acc-globex", T)["usage"]
    assert globex["active_users_30d"] == 1


def test_a_window_too_large_is_split_in_halves(server, store):
    AmplitudeFake(server, EVENTS, max_hours=6)
    report = run_sync(store, connector(server, store, start_date="2025-07-01",
                                       window_hours=24))
    assert report["status"] == "success"
    calls = server.calls(EXPORT)
    spans = []
    for c in calls:
        a = datetime.strptime(c.arg("start"), "%Y%m%dT%H")
        b = datetime.strptime(c.arg("end"), "%Y%m%dT%H")
        spans.append(int((b - a).total_seconds() // 3600) + 1)
    assert spans[:3] == [24, 12, 6]           # 400, 400, then served
    served = [c for c, s in zip(calls, spans, strict=True) if s <= 6]
    # the served windows tile the range hour after hour, with no gap and no overlap
    for prev, nxt in zip(served, served[1:], strict=False):
        end = datetime.strptime(prev.arg("end"), "%Y%m%dT%H")
        assert (datetime.strptime(nxt.arg("start"), "%Y%m%dT%H") - end).total_seconds() == 3600
    wanted = [e for e in EVENTS if e["server_upload_time"] >= "2025-07-01"]
    assert H.user_days(store) == H.expected_user_days(mapped(wanted))


def test_a_window_that_times_out_504_is_split_too(server, store):
    AmplitudeFake(server, EVENTS, max_hours=12, too_large=504)
    report = run_sync(store, connector(server, store, start_date="2025-07-01",
                                       window_hours=24))
    assert report["status"] == "success"
    served = [c for c in server.calls(EXPORT) if c.arg("end")[-2:] in ("11", "23")]
    assert served and all(c.arg("start")[-2:] in ("00", "12") for c in served)
    wanted = [e for e in EVENTS if e["server_upload_time"] >= "2025-07-01"]
    assert wanted
    assert H.user_days(store) == H.expected_user_days(mapped(wanted))


def test_a_single_hour_too_large_stops_the_stream_with_a_clear_error(server, store):
    AmplitudeFake(server, EVENTS, max_hours=0)
    report = run_sync(store, connector(server, store, start_date="2025-07-01"))
    err = report["streams"]["events"]["errors"][0]
    # the only stream failed and nothing landed: the run failed
    assert report["status"] == "failed" and "larger than the Export API serves" in \
        err["message"]
    assert load_state(store, "amplitude", "events") is None


def test_404_means_no_data_and_the_watermark_still_moves(server, store):
    AmplitudeFake(server, [])
    report = run_sync(store, connector(server, store, start_date="2025-07-09"))
    assert report["status"] == "success"
    assert load_state(store, "amplitude", "events") == {"through_hour": "20250710T08"}


def test_overlapping_rerun_and_incremental_run_never_double_count(server, store, client, auth):
    fake = AmplitudeFake(server, EVENTS)
    run_sync(store, connector(server, store))
    first, keys = H.user_days(store), H.event_keys(store)
    sess = H.sessions(store)
    # a full re-export of everything (all windows overlap what is stored)
    assert run_sync(store, connector(server, store), full=True)["status"] == "success"
    assert (H.user_days(store), H.event_keys(store), H.sessions(store)) == (first, keys, sess)
    # incremental: only hours after the watermark are asked for
    new = ev("Login", "u5", "2025-07-10T10:00:00Z", "acme.io", 1751536800000)
    fake.events.append(new)
    server.requests.clear()
    run_sync(store, connector(server, store, now="2025-07-10T16:00:00Z"))
    assert [(c.arg("start"), c.arg("end")) for c in server.calls(EXPORT)] == \
        [("20250710T09", "20250710T12")]
    assert H.user_days(store) == H.expected_user_days(mapped(EVENTS + [new]))
    assert H.view_360(client, auth, "acc-acme", T)["usage"]["active_users_30d"] == 4


def test_429_5xx_and_a_truncated_archive(server, store):
    fake = AmplitudeFake(server, EVENTS)
    server.script("GET", EXPORT, Resp(429, b"", {"Retry-After": "3"}), Resp(502, b"bad gw"))
    sleeps: list = []
    fake.cut_next = False
    report = run_sync(store, connector(server, store, sleeps=sleeps, start_date="2025-07-01"))
    assert report["status"] == "success" and sleeps[0] == 3.0 and len(sleeps) == 2
    # a download cut half way is downloaded again, like a 5xx: nothing half-landed
    fake.events.append(ev("Login", "u6", "2025-07-10T10:00:00Z", "acme.io"))
    fake.cut_next = True
    sleeps.clear()
    report = run_sync(store, connector(server, store, sleeps=sleeps,
                                       now="2025-07-10T16:00:00Z"))
    assert report["status"] == "success" and len(sleeps) == 1
    assert ("acc-acme", "2025-07-10", "u6") in H.user_days(store)
    # a download that keeps breaking off stops the stream; the cursor stays before it
    store2_state = load_state(store, "amplitude", "events")
    fake.events.append(ev("Login", "u7", "2025-07-10T16:00:00Z", "acme.io"))
    real = fake.handle

    def always_cut(req):
        fake.cut_next = True
        return real(req)

    server.route("GET", EXPORT, always_cut)
    report = run_sync(store, connector(server, store, now="2025-07-10T22:00:00Z"))
    assert report["status"] == "failed"
    assert "broke off" in report["streams"]["events"]["errors"][0]["message"]
    assert load_state(store, "amplitude", "events") == store2_state


def test_crash_mid_sync_then_resume_gives_exact_counts(server, store):
    class Crash(Exception):
        pass

    AmplitudeFake(server, EVENTS)
    conn = connector(server, store, page_size=1)
    stream_cls = conn.streams[0]
    original = stream_cls.pages
    landed = {"n": 0}

    def crashing(self, state):
        for page in original(self, state):
            landed["n"] += 1
            if landed["n"] == 12:
                raise Crash("process killed")
            yield page

    stream_cls.pages = crashing
    try:
        with pytest.raises(Crash):
            run_sync(store, conn)
    finally:
        stream_cls.pages = original
    mid = load_state(store, "amplitude", "events")
    assert mid is not None and mid["through_hour"] < "20250710T08"
    report = run_sync(store, connector(server, store, page_size=1))
    assert report["status"] == "success"
    assert H.user_days(store) == H.expected_user_days(mapped(EVENTS))


def test_time_formats_and_settings():
    assert amplitude_time("2025-07-07 16:13:20.123000") == "2025-07-07T16:13:20.123000Z"
    assert amplitude_time("2025-07-07T16:13:20Z") == "2025-07-07T16:13:20Z"
    assert amplitude_time("2025-07-07T16:13:20+02:00") == "2025-07-07T16:13:20+02:00"
    assert amplitude_time("2025-07-07") is None
    eu = AmplitudeConnector(AmplitudeSettings.from_dict({"api_key": "k", "secret_key": "s",
                                                         "region": "eu"}))
    assert eu.base_url == "https://analytics.eu.amplitude.com"
    from connectors.errors import ConfigError
    with pytest.raises(ConfigError) as exc:
        AmplitudeSettings.from_env("AMPLITUDE_", {"AMPLITUDE_WINDOW_HOURS": "0"})
    assert "AMPLITUDE_API_KEY" in str(exc.value) and "AMPLITUDE_SECRET_KEY" in str(exc.value)


def test_a_damaged_gzip_member_is_counted_and_the_others_still_load():
    import io
    import zipfile

    from connectors.amplitude.export import iter_archive
    from connectors.streaming import PageBuffer

    good = P.amp_zip({"p/p_2025-07-01_9#0.json.gz": [ev("Login", "u1", "2025-07-01T09:00:00Z")]})
    out = io.BytesIO(good)
    with zipfile.ZipFile(out, "a") as zf:
        zf.writestr("p/p_2025-07-01_10#0.json.gz", b"\x1f\x8bnot really gzip")
    buf = PageBuffer(lambda **kw: kw, 10)
    lines = list(iter_archive(io.BytesIO(out.getvalue()), buf))
    assert [(m, n) for m, n, _ in lines] == [("p/p_2025-07-01_9#0.json.gz", 1)]
    assert buf.skipped_total == 1
    assert buf.skipped[0]["vendor_id"] == "p/p_2025-07-01_10#0.json.gz"
    assert buf.skipped[0]["reason"].startswith("unreadable archive member after line 0")
