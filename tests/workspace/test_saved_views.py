"""The accounts table's range filters (every numeric and date column; the CSV keeps exactly
the rows shown) and saved views per user (save, open, replace, delete; only one's own)."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from server.services.search import list_accounts, parse_ranges
from tests.workspace.records import EVERY
from tests.workspace.test_accounts import records


def renewal(today: date) -> date:
    """The renewal of a deal won on `today` (a year on; 29 February renews on 1 March)."""
    return today.replace(year=today.year + 1) if not (today.month == 2 and today.day == 29) \
        else date(today.year + 1, 3, 1)


def dated(query: str) -> str:
    """`query` with {renewal}, {after} and {days} from the day the records are loaded."""
    today = date.today()
    end = renewal(today)
    return query.format(renewal=end.isoformat(), after=(end + timedelta(days=1)).isoformat(),
                        days=(end - today).days, fewer=(end - today).days - 1)


@pytest.fixture
def lead(app, load, make_user, browser):
    load(records())  # A 100, B 300, C 200, D 50; every deal closed today
    make_user("lead@example.com", "lead")
    b = browser()
    b.login("lead@example.com")
    return b


def shown(html: str) -> list[str]:
    return re.findall(r'<tr data-account="([^"]+)"', html)


@pytest.mark.parametrize(("query", "ids"), [
    ("arr_min=100&arr_max=250", ["A", "C"]),
    ("arr_min=100", ["A", "C", "B"]),
    ("arr_max=99.99", ["D"]),
    ("renewal_from={renewal}&renewal_to={renewal}", ["D", "A", "C", "B"]),
    ("renewal_from={after}", []),
    ("days_min={days}", ["D", "A", "C", "B"]),
    ("days_max={fewer}", []),
    ("signals_min=0&signals_max=0", None),  # compared with the signal counts below
])
def test_ranges_narrow_the_table(lead, client, auth, query, ids):
    query = dated(query)
    html = lead.get(f"/app/accounts?owner=&sort=arr&{query}").get_data(as_text=True)
    if ids is None:
        every = client.get("/api/v1/accounts?limit=50&sort=arr", headers=auth).get_json()
        ids = [a["id"] for a in every["items"] if a["signals"] == 0]
    assert shown(html) == ids


def test_health_ranges_leave_out_unknown_scores(lead, client, auth):
    every = client.get("/api/v1/accounts?limit=50&sort=arr", headers=auth).get_json()["items"]
    scored = [a for a in every if a["health_score"] is not None]
    html = lead.get("/app/accounts?owner=&sort=arr&health_min=0").get_data(as_text=True)
    assert shown(html) == [a["id"] for a in scored]


def test_csv_keeps_the_ranged_rows(lead):
    html = lead.get(f"/app/accounts?owner=&sort=-arr&arr_min=100&{EVERY}").get_data(as_text=True)
    link = re.search(r'href="([^"]+accounts\.csv[^"]*)"', html)[1].replace("&amp;", "&")
    rows = list(csv.reader(io.StringIO(lead.get(link).get_data(as_text=True))))[1:]
    assert [r[6] for r in rows] == ["300", "200", "100"]
    assert 'name="arr_min" value="100"' in html and "<details class=\"ranges\" open>" in html


@pytest.mark.parametrize("query", ["arr_min=abc", "arr_min=5&arr_max=1", "days_max=1.5",
                                   "renewal_from=2026-13-01", "arr_max=NaN", "arr_min=1e400"])
def test_bad_ranges_are_a_400(lead, query):
    assert lead.get(f"/app/accounts?{query}").status_code == 400


def test_records_path_applies_the_same_ranges(app, load):
    load(records())
    st = app.extensions["account360"]
    ranges = parse_ranges({"arr_min": "100", "arr_max": "250"})
    today = date.today()
    with st.store.sessions() as s:
        rows = list_accounts(st, s, None, None, None, None, "arr", 50, None, today, None, ranges)
        past = list_accounts(st, s, None, None, None, None, "arr", 50, None,
                             today + timedelta(days=1), None, ranges)  # not the rows' day
    assert [a["id"] for a in rows["items"]] == [a["id"] for a in past["items"]] == ["A", "C"]


def test_save_open_replace_and_delete_a_view(lead, make_user, browser):
    lead.get("/app/accounts")
    r = lead.post("/app/accounts/views", {"name": "Big smb", "segment": "smb", "sort": "-arr",
                                          "arr_min": "100", "owner": "", "cursor": "x"})
    assert r.status_code == 302
    target = urlsplit(r.headers["Location"])
    assert target.path == "/app/accounts"
    assert parse_qs(target.query, keep_blank_values=True) == {
        "owner": [""], "segment": ["smb"], "sort": ["-arr"], "arr_min": ["100"]}
    html = lead.get(r.headers["Location"]).get_data(as_text=True)
    assert shown(html) == ["C", "A"]
    assert 'data-view="Big smb"' in html
    lead.post("/app/accounts/views", {"name": "Big smb", "segment": "enterprise", "owner": ""})
    html = lead.get("/app/accounts").get_data(as_text=True)
    link = re.search(r'<a href="([^"]+)" data-view="Big smb">', html)[1].replace("&amp;", "&")
    assert shown(lead.get(link).get_data(as_text=True)) == ["B"]  # replaced

    make_user("csm@example.com", "csm")
    other = browser()
    other.login("csm@example.com")
    mine = other.get("/app/accounts").get_data(as_text=True)
    assert 'data-view="Big smb"' not in mine  # views are per user
    view_id = re.search(r'/app/accounts/views/(\d+)/delete', html)[1]
    assert other.post(f"/app/accounts/views/{view_id}/delete").status_code == 404
    assert lead.post(f"/app/accounts/views/{view_id}/delete").status_code == 302
    assert 'data-view="Big smb"' not in lead.get("/app/accounts").get_data(as_text=True)


def test_bad_views_are_refused(lead):
    lead.get("/app/accounts")
    assert lead.post("/app/accounts/views", {"name": "  "}).status_code == 400
    assert lead.post("/app/accounts/views", {"name": "x" * 101}).status_code == 400
    assert lead.post("/app/accounts/views", {"name": "bad", "arr_min": "abc"}).status_code == 400
    assert 'data-view=' not in lead.get("/app/accounts").get_data(as_text=True)
