"""Response time, the North Star and the relationship figures: in the 360, in the
account-metrics rows (equal to the 360) and in the portfolio's team and per-CSM figures."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone

import pytest

from server.auth import create_token
from server.importer import import_lines
from server.metrics.config import NorthStarConfig
from server.metrics.north_star import north_star
from server.services.north_star import monthly_totals, months
from server.services.portfolio import portfolio
from tests.server.rows_helpers import stored_rows

pytestmark = pytest.mark.store

NOW = datetime.now(timezone.utc)
T = NOW.date()
SETTINGS = """
[messages]
scorer = "tests.server.test_messages:last_number"
[north_star]
name = "Reports created"
kind = "events"
events = ["report_created"]
period = "week"
"""


def at(days: int, hour: int, minute: int = 0) -> str:
    return f"{T - timedelta(days=days)}T{hour:02d}:{minute:02d}:00Z"


def msg(mid, acc, when, direction, thread, channel="email", text="ok 0.1"):
    return {"type": "message", "id": mid, "account_id": acc, "at": when, "channel": channel,
            "direction": direction, "thread_id": thread, "contact_email": f"ann@{acc}.example",
            "text": text}


def event(acc, when, name="report_created", user="u1"):
    return {"type": "event", "account_id": acc, "user_id": user, "name": name, "time": when}


RECORDS = [
    {"type": "account", "id": "acc0", "name": "Acme", "owner": "ana@team.example", "seats": 2},
    {"type": "account", "id": "acc1", "name": "Beta", "owner": "ben@team.example"},
    # acc0, t1: two customer emails, then our answer 4 hours after the first
    msg("a1", "acc0", at(3, 9), "in", "t1"), msg("a2", "acc0", at(3, 10), "in", "t1"),
    msg("a3", "acc0", at(3, 13), "out", "t1"),
    # t2 lands reply first: read in time order, 1.5 hours
    msg("b2", "acc0", at(2, 9, 30), "out", "t2"), msg("b1", "acc0", at(2, 8), "in", "t2"),
    msg("c1", "acc0", at(1, 8), "in", "t3"),                       # not answered yet
    msg("d1", "acc0", at(1, 9), "in", "t4", channel="chat"),       # chats are not emails
    msg("d2", "acc0", at(1, 9, 5), "out", "t4", channel="chat"),
    msg("e1", "acc1", at(5, 10), "in", "t9", text="bad -0.6"),
    msg("e2", "acc1", at(5, 20), "out", "t9"),
    # North Star: report_created in the last 7 days and the 7 before
    event("acc0", at(1, 12)), event("acc0", at(2, 12)), event("acc0", at(6, 12)),
    event("acc0", at(8, 12)), event("acc0", at(13, 12)), event("acc0", at(1, 13), "login"),
    event("acc1", at(0, 1), user="u9"),
    # for the monthly totals, on fixed days
    event("acc0", "2026-09-15T10:00:00Z"), event("acc0", "2026-09-15T11:00:00Z"),
    event("acc0", "2026-10-03T10:00:00Z"), event("acc1", "2026-10-03T10:00:00Z", user="u9"),
    event("acc1", "2026-10-04T10:00:00Z", name="login", user="u8"),
]


@pytest.fixture
def api(make_app, settings_file):
    app = make_app(SETTINGS=settings_file(SETTINGS))
    store = app.extensions["account360"].store
    report = import_lines(store, [json.dumps(r).encode() for r in RECORDS])
    assert report.rejected == 0, report.errors
    headers = {"Authorization": "Bearer " + create_token(store, "t")}
    client = app.test_client()
    return app, lambda url: client.get(url, headers=headers).get_json()


def test_response_time_north_star_and_rows_equal_the_360(api):
    app, get = api
    body = get("/api/v1/accounts/acc0/360")
    assert body["relationship"]["response_time"] == {
        "median_hours": 2.75, "replies": 2, "unanswered": 1}     # (1.5 + 4) / 2
    star = body["usage"]["north_star"]
    assert (star["name"], star["kind"], star["period"]) == ("Reports created", "events", "week")
    assert (star["value"], star["prior"], star["change"]) == (3, 2, 1)
    assert (star["start"], star["end"]) == ((T - timedelta(days=6)).isoformat(), T.isoformat())
    with app.extensions["account360"].store.sessions() as s:
        rows = stored_rows(s)
    for acc in ("acc0", "acc1"):
        b, row = get(f"/api/v1/accounts/{acc}/360"), rows[acc]
        rel = b["relationship"]
        assert row["sentiment"] == rel["sentiment"]["score"]
        assert row["sentiment_change_90d"] == rel["sentiment"]["change_90d"]
        assert row["sentiment_messages"] == rel["sentiment"]["messages"]
        assert row["relationship_score"] == rel["score"]
        assert row["engaged_contacts"] == rel["engaged_contacts"]
        assert row["replies_unanswered"] == rel["response_time"]["unanswered"]
        assert len(row["reply_hours"]) == rel["response_time"]["replies"]
        assert row["north_star_value"] == b["usage"]["north_star"]["value"]
        assert row["north_star_change"] == b["usage"]["north_star"]["change"]
    assert rows["acc0"]["reply_hours"] == [1.5, 4.0]
    assert rows["acc1"]["reply_hours"] == [10.0]
    assert rows["acc1"]["sentiment"] == pytest.approx(-60.0)
    assert (rows["acc1"]["north_star_value"], rows["acc1"]["north_star_change"]) == (1, 1)


def test_portfolio_reply_medians_per_csm_and_north_star_by_month(api):
    app, get = api
    body = get("/api/v1/portfolio?start=2026-09-10&end=2026-10-31")
    assert body["team"]["email_reply_hours_median"] == {
        "value": 4.0, "type": "leading", "inputs": {"replies": 3, "window_days": 90}}
    per = {c["owner"]: c["email_reply_hours_median"]["value"] for c in body["by_csm"]}
    assert per == {"ana@team.example": 2.75, "ben@team.example": 10.0}
    assert body["north_star"] == {"name": "Reports created", "kind": "events", "by_month": [
        {"month": "2026-09", "start": "2026-09-10", "end": "2026-09-30", "value": 2},
        {"month": "2026-10", "start": "2026-10-01", "end": "2026-10-31", "value": 2}]}
    ana = get("/api/v1/portfolio?start=2026-09-10&end=2026-10-31&owner=ana@team.example")
    assert [m["value"] for m in ana["north_star"]["by_month"]] == [2, 1]
    st = app.extensions["account360"].store
    with st.sessions() as s:   # the records path gives the same figures
        rec = portfolio(s, st.settings, date(2026, 9, 10), date(2026, 10, 31), T, None)
        users = monthly_totals(s, NorthStarConfig(name="Users", kind="active_users"),
                               date(2026, 10, 1), date(2026, 10, 31), None)
        seats = monthly_totals(s, NorthStarConfig(name="Seats", kind="seats"),
                               date(2026, 10, 1), date(2026, 10, 31), ["acc0"])
    assert rec["north_star"]["by_month"][1]["value"] == 2
    assert rec["team"]["email_reply_hours_median"]["value"] == 4.0
    assert users["by_month"][0]["value"] == 3      # u1 at acc0, u9 and u8 at acc1
    assert seats["by_month"][0]["value"] == 1


def test_north_star_kinds_and_months():
    cfg = NorthStarConfig(name="Seats used", kind="seats", period="month")
    star = north_star(cfg, (7, 3), 5, date(2026, 6, 30))
    assert (star.value, star.prior, star.change) == (5, 3, 2)
    assert (star.start, star.end) == (date(2026, 6, 1), date(2026, 6, 30))
    assert north_star(NorthStarConfig(), (7, 3), 5, date(2026, 6, 30)) is None
    assert north_star(NorthStarConfig(name="Users", kind="active_users"), None, None,
                      date(2026, 6, 30)).value == 0
    assert months(date(2025, 12, 20), date(2026, 2, 3)) == [
        (date(2025, 12, 20), date(2025, 12, 31)), (date(2026, 1, 1), date(2026, 1, 31)),
        (date(2026, 2, 1), date(2026, 2, 3))]
