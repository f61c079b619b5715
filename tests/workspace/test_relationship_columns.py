"""The accounts table's relationship, reply-time, sentiment and North Star columns: the API
list's figures as the table shows them, sorted and range-filtered as the API does (one
parser), kept in saved views and exported to CSV as shown; the priority list shows them."""

from __future__ import annotations

import csv
import html as htmllib
import io
import json
import re

import pytest

from server.importer import import_lines
from tests.server.test_relationship_rows import RECORDS, SETTINGS
from tests.workspace.records import EVERY_NS

pytestmark = pytest.mark.store
NEW = ("relationship_score", "email_reply_hours_median", "sentiment", "sentiment_change_90d",
       "north_star")


@pytest.fixture
def ws(make_app, settings_file):
    from server.auth import create_token
    from server.services.users import create_user
    from tests.admin.conftest import PASSWORD, Browser

    app = make_app(SETTINGS=settings_file(SETTINGS))
    store = app.extensions["account360"].store
    report = import_lines(store, [json.dumps(r).encode() for r in RECORDS])
    assert report.rejected == 0, report.errors
    create_user(store, "lead@example.com", "lead", password=PASSWORD)
    b = Browser(app.test_client())
    b.login("lead@example.com")
    headers = {"Authorization": "Bearer " + create_token(store, "t")}
    client = app.test_client()
    return b, lambda q: client.get(f"/api/v1/accounts?limit=50&{q}", headers=headers)


def table(html: str) -> tuple[list[str], list[list[str]]]:
    head = html[html.index("<thead>"):html.index("</thead>")]
    headings = [htmllib.unescape(re.sub(r"<[^>]+>|[▲▼]", "", h)).strip()
                for h in re.findall(r"<th[^>]*>(.*?)</th>", head, re.S)]
    body = html[html.index("<tbody>"):html.index("</tbody>")]
    rows = [[htmllib.unescape(re.sub(r"<[^>]+>", "", c)).strip()
             for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", tr, re.S)]
            for tr in re.findall(r"<tr data-account=.*?</tr>", body, re.S)]
    return headings, rows


def cells(html: str, col: str) -> dict[str, str]:
    return {a: htmllib.unescape(v).strip() for a, v in re.findall(
        rf'<tr data-account="([^"]+)">.*?<td data-col="{col}"[^>]*>([^<]*)</td>', html, re.S)}


def test_columns_show_the_api_figures(ws):
    b, api = ws
    html = b.get(f"/app/accounts?owner=&{EVERY_NS}").get_data(as_text=True)
    headings, _ = table(html)
    assert headings[-5:] == ["Relationship", "Reply hours", "Sentiment", "Sentiment 90d change",
                             "Reports created"]  # the North Star's column carries its name
    items = {a["id"]: a for a in api("").get_json()["items"]}
    assert items["acc1"]["sentiment"] == pytest.approx(-60.0)
    for col in NEW:
        shown = cells(html, col)
        for acc, item in items.items():
            value = item[col]
            want = "" if value is None else {
                "relationship_score": f"{value:.0f}", "email_reply_hours_median": f"{value:.1f}",
                "north_star": str(value)}.get(col, f"{value:+.0f}" if round(value) else "0")
            assert shown[acc] == want, (col, acc)
    assert cells(html, "sentiment")["acc1"] == "-60"
    assert cells(html, "email_reply_hours_median") == {"acc0": "2.8", "acc1": "10.0"}


@pytest.mark.parametrize("sort", ["relationship", "-relationship", "sentiment", "-sentiment",
                                  "sentiment_change", "-reply_hours", "north_star"])
def test_sorts_are_the_api_order_with_aria_sort(ws, sort):
    b, api = ws
    html = b.get(f"/app/accounts?owner=&sort={sort}&{EVERY_NS}").get_data(as_text=True)
    assert re.findall(r'<tr data-account="([^"]+)"', html) == [
        a["id"] for a in api(f"sort={sort}").get_json()["items"]]
    head = html[html.index("<thead>"):html.index("</thead>")]
    want = "descending" if sort.startswith("-") else "ascending"
    assert head.count("aria-sort=") == 1 and f'aria-sort="{want}"' in head
    flipped = sort[1:] if sort.startswith("-") else f"-{sort}"
    assert f"sort={flipped}" in head  # the sorted heading's link reverses it


@pytest.mark.parametrize("query", ["sentiment_max=0", "sentiment_min=-100&sentiment_max=100",
                                   "reply_hours_min=3", "relationship_min=0",
                                   "north_star_min=2", "sentiment_change_max=0"])
def test_range_filters_equal_the_api(ws, query):
    b, api = ws
    html = b.get(f"/app/accounts?owner=&{query}").get_data(as_text=True)
    assert re.findall(r'<tr data-account="([^"]+)"', html) == [
        a["id"] for a in api(query).get_json()["items"]]
    assert f'value="{query.split("&")[-1].split("=")[1]}"' in html  # the form keeps it


def test_a_bad_or_reversed_range_is_refused_as_the_api_does(ws):
    b, api = ws
    for query in ("sentiment_min=5&sentiment_max=-5", "reply_hours_max=soon"):
        assert b.get(f"/app/accounts?{query}").status_code == 400
        assert api(query).status_code == 400


def test_sentiment_filter_saved_view_and_csv_as_shown(ws):
    b, _ = ws
    html = b.get("/app/accounts?owner=&sort=sentiment").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', html)[1]
    r = b.post("/app/accounts/views", data={
        "csrf_token": csrf, "name": "Unhappy", "owner": "", "sort": "sentiment",
        "sentiment_max": "0", "cols": EVERY_NS.split("=")[1]})
    assert r.status_code == 302
    view = b.get(r.headers["Location"]).get_data(as_text=True)
    assert re.findall(r'<tr data-account="([^"]+)"', view) == ["acc1"]
    link = re.search(r'href="([^"]+)" data-testid="csv-export"', view)[1]
    exported = list(csv.reader(io.StringIO(
        b.get(htmllib.unescape(link)).get_data(as_text=True))))
    headings, rows = table(view)
    assert exported == [headings, *rows]
    assert exported[1][headings.index("Sentiment")] == "-60"  # a figure, not a "'-60" text


def test_priority_list_shows_relationship_and_sentiment(ws):
    b, api = ws
    html = b.get("/app/priority?owner=").get_data(as_text=True)
    assert "Relationship · sentiment (90-day change)" in html
    acc1 = next(a for a in api("").get_json()["items"] if a["id"] == "acc1")
    cell = re.search(r'<tr data-account="acc1".*?<td class="nowrap" data-col="relationship">'
                     r'(.*?)</td>', html, re.S)[1]
    rel = "n/a" if acc1["relationship_score"] is None else f"{acc1['relationship_score']:.0f}"
    assert " ".join(cell.split()).startswith(f"{rel} · -60")
