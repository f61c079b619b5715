"""Sorting the accounts table and `GET /api/v1/accounts` on every column (ascending and
descending, empty values last ascending, categories tied by name), the same from the rows
and from the records; the API's range filters are the table's (one parser)."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from server.rows.read import BAND_ORDER, PHASE_ORDER
from server.services.search import SORTS
from tests.workspace.records import EVERY
from tests.workspace.test_accounts import records

pytestmark = pytest.mark.store

TODAY = date.today()
#: Beside A-D (deals closed today): E without owner, segment or deal; F renewing sooner.
EXTRA = [{"type": "account", "id": "E", "name": "echo"},
         {"type": "account", "id": "F", "name": "Foxtrot", "owner": "csm@example.com",
          "segment": "Mid"},
         {"type": "deal", "id": "d-F", "account_id": "F", "kind": "new", "status": "won",
          "amount": 75, "close_date": (TODAY - timedelta(days=200)).isoformat()}]


@pytest.fixture
def lead(app, load, make_user, browser):
    load(records() + EXTRA)
    make_user("lead@example.com", "lead")
    b = browser()
    b.login("lead@example.com")
    return b


def page_ids(lead, query: str) -> list[str]:
    html = lead.get(f"/app/accounts?owner=&{query}").get_data(as_text=True)
    return re.findall(r'<tr data-account="([^"]+)"', html)


def api_items(client, auth, query: str) -> list[dict]:
    r = client.get(f"/api/v1/accounts?limit=50&{query}", headers=auth)
    assert r.status_code == 200, r.get_json()
    return r.get_json()["items"]


def _non_decreasing(values) -> bool:
    return all(a <= b for a, b in zip(values, values[1:]))


def test_every_sort_is_offered_both_ways():
    fields = {s.lstrip("-") for s in SORTS}
    assert fields == {"name", "owner", "segment", "band", "health", "phase", "arr", "renewal",
                      "days", "signals", "relationship", "sentiment", "sentiment_change",
                      "reply_hours", "north_star"}
    assert all(f"-{f}" in SORTS for f in fields)


@pytest.mark.parametrize("sort", SORTS)
def test_page_api_and_records_sort_alike(lead, client, auth, monkeypatch, sort):
    import server.services.search as search

    items = api_items(client, auth, f"sort={sort}")
    assert page_ids(lead, f"sort={sort}") == [a["id"] for a in items]
    assert len(items) == 6
    opposite = sort[1:] if sort.startswith("-") else f"-{sort}"
    assert [a["id"] for a in api_items(client, auth, f"sort={opposite}")] == \
        [a["id"] for a in items][::-1]  # descending is the exact reverse
    monkeypatch.setattr(search, "rows_answer", lambda st, as_of: False)
    assert [a["id"] for a in api_items(client, auth, f"sort={sort}")] == \
        [a["id"] for a in items]


def test_the_orders_follow_each_column(client, auth, lead):
    by = {s: api_items(client, auth, f"sort={s}") for s in SORTS if not s.startswith("-")}
    assert [a["id"] for a in by["owner"]] == ["A", "B", "F", "C", "D", "E"]  # no owner last
    assert [a["id"] for a in by["segment"]] == ["B", "F", "C", "D", "A", "E"]  # case-blind
    assert [a["id"] for a in by["name"]] == ["C", "D", "A", "B", "E", "F"]
    bands = [BAND_ORDER.index(a["band"]) for a in by["band"]]
    phases = [PHASE_ORDER.index(a["phase"]) for a in by["phase"]]
    assert _non_decreasing(bands) and _non_decreasing(phases)
    days = [a["days_to_renewal"] for a in by["days"]]
    assert days[-1] is None and by["days"][-1]["id"] == "E"
    assert days[0] < days[1] and by["days"][0]["id"] == "F"  # F renews first
    assert _non_decreasing(days[:-1])
    assert _non_decreasing([a["signals"] for a in by["signals"]])
    assert _non_decreasing([a["arr"] for a in by["arr"]])


def test_every_heading_is_a_sort_link_with_aria_sort(lead):
    html = lead.get(f"/app/accounts?owner=&sort=-days&{EVERY}").get_data(as_text=True)
    head = html[html.index("<thead>"):html.index("</thead>")]
    links = re.findall(r'<a href="[^"]*[?&]sort=(-?\w+)[^"]*">([^<]+)</a>', head)
    # every sort of the list but the North Star's (its column shows while one is named)
    assert {f for f, _ in links} == {s.lstrip("-") for s in SORTS} - {"north_star"}
    assert len(links) == 14
    assert ("days", "Days to renewal ▼") in links  # the sorted column flips on a click
    assert ("signals", "Signals") in links and ("owner", "Owner") in links
    assert head.count("aria-sort=") == 1 and 'aria-sort="descending"' in head


@pytest.mark.parametrize("query", [
    "arr_min=100&arr_max=250", "arr_max=99.99", "health_min=0", "days_max=200",
    f"renewal_from={TODAY.isoformat()}&renewal_to={(TODAY + timedelta(days=200)).isoformat()}",
    "signals_min=0&signals_max=0", "arr_min=60&segment=smb&sort=-arr"])
def test_api_ranges_equal_the_table(lead, client, auth, monkeypatch, query):
    import server.services.search as search

    items = api_items(client, auth, f"sort=arr&{query}")
    assert page_ids(lead, f"sort=arr&{query}") == [a["id"] for a in items]
    every = api_items(client, auth, "sort=arr")
    assert len(items) < len(every) or query.startswith("signals")
    monkeypatch.setattr(search, "rows_answer", lambda st, as_of: False)
    assert [a["id"] for a in api_items(client, auth, f"sort=arr&{query}")] == \
        [a["id"] for a in items]


def test_api_ranges_hold_their_bounds(lead, client, auth):
    items = api_items(client, auth, "sort=arr&arr_min=75&arr_max=200")
    assert [a["id"] for a in items] == ["F", "A", "C"]
    assert all(a["days_to_renewal"] <= 200 for a in api_items(client, auth, "days_max=200"))
    assert [a["id"] for a in api_items(client, auth, "days_max=200")] == ["F"]


@pytest.mark.parametrize(("query", "param"), [
    ("arr_min=abc", "arr_min"), ("arr_min=5&arr_max=1", "arr_min"), ("days_max=1.5", "days_max"),
    ("renewal_from=2026-13-01", "renewal_from"), ("health_max=NaN", "health_max"),
    ("signals_min=1e400", "signals_min"), ("sort=owner_name", "sort")])
def test_bad_api_ranges_and_sorts_are_a_400(client, auth, query, param):
    r = client.get(f"/api/v1/accounts?{query}", headers=auth)
    assert r.status_code == 400
    assert param in r.get_json()["error"]["details"]


def test_openapi_lists_every_sort_and_range(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    params = {p["name"]: p for p in doc["paths"]["/api/v1/accounts"]["get"]["parameters"]}
    assert set(params["sort"]["schema"]["enum"]) == set(SORTS)
    for name in ("arr_min", "arr_max", "health_min", "health_max", "renewal_from",
                 "renewal_to", "days_min", "days_max", "signals_min", "signals_max"):
        assert name in params, name
    assert params["renewal_from"]["schema"]["format"] == "date"
    assert params["days_max"]["schema"]["type"] == "integer"
