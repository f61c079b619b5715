"""Zendesk connector end to end: cursor export pages, organizations, metric sets, the 360."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fixtures_usage import helpers as H  # noqa: E402
from fixtures_usage import payloads as P  # noqa: E402
from fixtures_usage.fake_server import FakeServer, Resp  # noqa: E402

from connectors.zendesk.connector import ZendeskConnector, ZendeskSettings  # noqa: E402
from server.sync import load_state, run_sync  # noqa: E402

pytestmark = pytest.mark.store
EXPORT = "/api/v2/incremental/tickets/cursor.json"
ORGS = "/api/v2/organizations.json"
T = "2025-07-10"

ORGS_1 = [P.zd_org(509974, "Acme Inc", ["acme.io"]), P.zd_org(600, "Globex", [], "acc-globex")]
ORGS_2 = [P.zd_org(700, "Unknown Co", ["unknown.io"])]


def t(tid, org, status, prio, created, **kw):
    return P.zd_ticket(tid, org, status, prio, created, **kw)


PAGE_1 = P.zd_page(
    [t(1, 509974, "open", "high", "2025-07-01T10:00:00Z"),
     t(2, 509974, "pending", "urgent", "2025-07-05T08:00:00Z"),
     t(3, 509974, "new", None, "2025-07-08T00:00:00Z"),
     t(4, 509974, "solved", "low", "2025-06-01T00:00:00Z")],
    [P.zd_metric(1, "2025-07-01T10:00:00Z", reply_minutes=90),
     P.zd_metric(2, "2025-07-05T08:00:00Z", reply_minutes=30),
     P.zd_metric(3, "2025-07-08T00:00:00Z"),
     P.zd_metric(4, "2025-06-01T00:00:00Z", 120, 1440, solved_at="2025-06-02T00:00:00Z")],
    after_cursor="c1", end=False)
PAGE_2 = P.zd_page(
    [t(5, 509974, "closed", "normal", "2025-06-20T00:00:00Z"),
     t(6, 509974, "hold", "high", "2025-07-09T00:00:00Z"),
     t(7, 509974, "open", "normal", "2025-07-09T05:00:00Z"),
     t(8, None, "open", "low", "2025-07-02T00:00:00Z", requester=41),
     t(9, 700, "open", "urgent", "2025-07-02T00:00:00Z"),
     t(10, None, "open", "low", "2025-07-02T00:00:00Z", requester=42),
     t(11, 600, "open", "normal", "2025-07-03T00:00:00Z")],
    [P.zd_metric(5, "2025-06-20T00:00:00Z", 60, 2880),
     P.zd_metric(6, "2025-07-09T00:00:00Z", reply_minutes=240)],
    users=[P.zd_user(41, "g1@globex.com"), P.zd_user(42, "joe@gmail.com")],
    after_cursor="c2", end=True)
PAGE_3 = P.zd_page(
    [t(7, 509974, "deleted", "normal", "2025-07-09T05:00:00Z"),
     t(3, 509974, "solved", None, "2025-07-08T00:00:00Z", updated="2025-07-10T08:00:00Z")],
    [P.zd_metric(3, "2025-07-08T00:00:00Z", 60, 1800, solved_at="2025-07-09T06:00:00Z")],
    after_cursor="c3", end=True)


class ZendeskFake:
    def __init__(self, server: FakeServer, pages: dict):
        self.pages = pages            # cursor (None = start_time) -> page
        server.route("GET", EXPORT, self.export)
        server.route("GET", ORGS, self.orgs)
        self.base = server.url

    def export(self, req):
        return Resp.json(self.pages[req.arg("cursor")])

    def orgs(self, req):
        if req.arg("page[after]") == "o1":
            return Resp.json({"organizations": ORGS_2, "meta": {"has_more": False},
                              "links": {"next": None}})
        return Resp.json({"organizations": ORGS_1,
                          "meta": {"has_more": True, "after_cursor": "o1"},
                          "links": {"next": f"{self.base}{ORGS}?page[size]=100&page[after]=o1"}})


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
    cfg = {"base_url": server.url, "email": "agent@acme-support.com", "api_token": "tok",
           "start_date": "2025-01-01", **overrides}
    conn = ZendeskConnector(ZendeskSettings.from_dict(cfg))
    conn.sleep = H.no_sleep(sleeps)
    conn.started_at = datetime.fromisoformat(now.replace("Z", "+00:00"))
    return conn


def test_sync_lands_tickets_and_the_360_shows_support_figures(server, store, client, auth):
    ZendeskFake(server, {None: PAGE_1, "c1": PAGE_2})
    report = run_sync(store, connector(server, store))
    counts = report["streams"]["tickets"]
    assert report["status"] == "success", counts
    assert counts["by_type"] == {"ticket": 9}
    assert counts["unmapped_keys"] == {"Unknown Co": 1, "@gmail.com": 1}
    assert load_state(store, "zendesk", "tickets") == {"cursor": "c2"}
    first = server.calls(EXPORT)[0]
    assert first.arg("start_time") == "1735689600"              # 2025-01-01T00:00:00Z
    assert "metric_sets" in first.arg("include").split(",")
    import base64
    assert first.headers["authorization"] == "Basic " + base64.b64encode(
        b"agent@acme-support.com/token:tok").decode()
    stored = H.tickets(store)
    assert stored["zendesk:3"].status == "open" and stored["zendesk:3"].priority == "normal"
    assert stored["zendesk:6"].status == "open"                    # on-hold: not solved
    assert stored["zendesk:8"].account_id == "acc-globex"           # requester email domain
    assert stored["zendesk:11"].account_id == "acc-globex"          # external id

    sup = H.view_360(client, auth, "acc-acme", T)["support"]
    assert sup["open_by_priority"] == {"low": 0, "normal": 2, "high": 2, "urgent": 1}
    assert sup["open_total"] == 5
    assert sup["oldest_open_days"] == 9
    # first replies: 0.5, 1, 1.5, 2, 4 hours -> 1.5; resolutions: 24 h and 48 h -> 36
    assert sup["first_response_hours_median"] == pytest.approx(1.5)
    assert sup["first_response_count"] == 5
    assert sup["resolution_hours_median"] == pytest.approx(36.0)
    assert sup["resolution_count"] == 2


def test_second_run_resumes_from_the_cursor_with_deletions_and_updates(server, store, client,
                                                                        auth):
    fake = ZendeskFake(server, {None: PAGE_1, "c1": PAGE_2})
    run_sync(store, connector(server, store))
    fake.pages["c2"] = PAGE_3
    server.requests.clear()
    report = run_sync(store, connector(server, store, now="2025-07-10T14:00:00Z"))
    counts = report["streams"]["tickets"]
    assert report["status"] == "success" and counts["deleted"] == 1
    assert [c.arg("cursor") for c in server.calls(EXPORT)] == ["c2"]
    assert load_state(store, "zendesk", "tickets") == {"cursor": "c3"}
    stored = H.tickets(store)
    assert "zendesk:7" not in stored and stored["zendesk:3"].status == "solved"
    sup = H.view_360(client, auth, "acc-acme", T)["support"]
    assert sup["open_by_priority"] == {"low": 0, "normal": 0, "high": 2, "urgent": 1}
    # ticket 3 now solved after 30 h, replied in 1 h
    assert sup["resolution_hours_median"] == pytest.approx(30.0)
    assert sup["first_response_hours_median"] == pytest.approx(1.25)


def test_429_5xx_and_oauth_refresh(server, store):
    ZendeskFake(server, {None: PAGE_1, "c1": PAGE_2})
    server.script("GET", EXPORT, Resp(429, b"", {"Retry-After": "60"}), Resp(503, b""))
    tokens = []

    def token(req):
        tokens.append(req.json())
        return Resp.json({"access_token": "fresh", "token_type": "bearer"})

    server.route("POST", "/oauth/tokens", token)
    server.script("GET", ORGS, Resp(401, b'{"error": "invalid_token"}'))
    sleeps: list = []
    conn = connector(server, store, sleeps=sleeps, email="", api_token="", oauth_token="old",
                     refresh_token="r1", client_id="cid", client_secret="cs")
    report = run_sync(store, conn)
    assert report["status"] == "success", report
    assert sleeps[0] == 60.0 and len(sleeps) == 2
    assert tokens == [{"grant_type": "refresh_token", "refresh_token": "r1",
                       "client_id": "cid", "client_secret": "cs"}]
    auths = [r.headers["authorization"] for r in server.requests if r.path != "/oauth/tokens"]
    assert auths[0] == "Bearer old" and set(auths[1:]) == {"Bearer fresh"}


def test_crash_between_pages_then_resume_gives_exact_counts(server, store, client, auth):
    class Crash(Exception):
        pass

    ZendeskFake(server, {None: PAGE_1, "c1": PAGE_2})
    conn = connector(server, store)
    cls = conn.streams[0]
    original = cls.pages

    def crashing(self, state):
        for i, page in enumerate(original(self, state)):
            if i == 1:
                raise Crash("killed")
            yield page

    cls.pages = crashing
    try:
        with pytest.raises(Crash):
            run_sync(store, conn)
    finally:
        cls.pages = original
    assert load_state(store, "zendesk", "tickets") == {"cursor": "c1"}
    assert len(H.tickets(store)) == 4
    report = run_sync(store, connector(server, store))
    assert report["status"] == "success"
    assert len(H.tickets(store)) == 9
    sup = H.view_360(client, auth, "acc-acme", T)["support"]
    assert sup["open_total"] == 5 and sup["first_response_count"] == 5


def test_settings_errors_name_the_variables():
    from connectors.errors import ConfigError
    with pytest.raises(ConfigError) as exc:
        ZendeskSettings.from_env("ZENDESK_", {"ZENDESK_REFRESH_TOKEN": "r"})
    msg = str(exc.value)
    assert "ZENDESK_SUBDOMAIN" in msg and "ZENDESK_API_TOKEN" in msg and "ZENDESK_CLIENT_ID" in msg
    s = ZendeskSettings.from_dict({"subdomain": "acme", "oauth_token": "secret-token"})
    assert ZendeskConnector(s).base_url == "https://acme.zendesk.com"
    assert "secret-token" not in repr(s)


def test_an_empty_store_stops_the_sync_before_the_cursor_moves(server, app):
    empty = app.extensions["account360"].store           # no accounts seeded
    ZendeskFake(server, {None: PAGE_1, "c1": PAGE_2})
    report = run_sync(empty, connector(server, empty))
    assert report["status"] == "failed"
    assert "no accounts yet" in report["streams"]["tickets"]["errors"][0]["message"]
    assert load_state(empty, "zendesk", "tickets") is None
    assert server.calls(EXPORT) == []
