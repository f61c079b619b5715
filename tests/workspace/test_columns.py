"""The accounts table's column chooser: a default set, `cols` in the URL (the table's order,
the name always shown, an unknown column a 400), the choice remembered per user and kept in
saved views, the CSV equal to the shown columns, filters and sorts on hidden columns still
applied and listed as chips, and CRM text escaped."""

from __future__ import annotations

import csv
import html as htmllib
import io
import re
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.workspace.test_accounts import XSS, records, shown

DEFAULT = ["Account", "Owner", "Band", "Health", "Phase", "ARR", "Renewal", "Days to renewal",
           "Signals"]


@pytest.fixture
def lead(app, load, make_user, browser):
    load(records())  # A 100, B 300, C 200 (a markup name), D 50 (a formula name)
    make_user("lead@example.com", "lead")
    b = browser()
    b.login("lead@example.com")
    return b


def headings(page: str) -> list[str]:
    head = page[page.index("<thead>"):page.index("</thead>")]
    return [htmllib.unescape(re.sub(r"<[^>]+>", "", h)).strip().rstrip(" ▲▼")
            for h in re.findall(r"<th scope=\"col\"[^>]*>(.*?)</th>", head, re.S)]


def csv_of(b, page: str) -> list[list[str]]:
    link = re.search(r'href="([^"]+)" data-testid="csv-export"', page)[1]
    return list(csv.reader(io.StringIO(b.get(htmllib.unescape(link)).get_data(as_text=True))))


def chips(page: str) -> list[str]:
    return [htmllib.unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in
            re.findall(r'<li class="chip"><span>(.*?)</span>', page, re.S)]


def test_the_default_columns_and_their_csv(lead):
    page = lead.get("/app/accounts?owner=&sort=-arr").get_data(as_text=True)
    assert headings(page) == DEFAULT
    exported = csv_of(lead, page)
    assert exported[0] == DEFAULT and len(exported) - 1 == len(shown(page)) == 4
    assert [r[5] for r in exported[1:]] == ["300", "200", "100", "50"]
    assert 'name="cols" value="name,owner,band,health,phase,arr,renewal,days,signals"' in page


def test_cols_in_the_url_shows_those_in_the_tables_order(lead):
    page = lead.get("/app/accounts?owner=&sort=-arr&cols=sentiment,arr,segment") \
        .get_data(as_text=True)
    assert headings(page) == ["Account", "Segment", "ARR", "Sentiment"]  # name always shown
    exported = csv_of(lead, page)
    assert exported[0] == headings(page)
    assert [r[0] for r in exported[1:]] == ["Beta", XSS, "Alpha", "'=HYPERLINK(\"x\")"]
    assert [r[2] for r in exported[1:]] == ["300", "200", "100", "50"]
    # every link of the page carries the columns: sorting, the filter form, the CSV
    assert "cols=name,segment,arr,sentiment" in page
    assert 'name="cols" value="name,segment,arr,sentiment"' in page


@pytest.mark.parametrize("url", ["/app/accounts?cols=arr,bogus",
                                 "/app/accounts.csv?cols=%3Cscript%3E"])
def test_an_unknown_column_is_a_400(lead, url):
    r = lead.get(url)
    assert r.status_code == 400 and b"<script>" not in r.data


def test_the_choice_is_remembered_per_user_and_reset(lead, make_user, browser):
    lead.get("/app/accounts")
    r = lead.post("/app/accounts/columns", {"col": ["band", "arr", "sentiment"], "owner": "",
                                            "sort": "-arr", "segment": "smb", "cursor": "x"})
    assert r.status_code == 302
    target = urlsplit(r.headers["Location"])
    assert parse_qs(target.query, keep_blank_values=True) == {
        "owner": [""], "sort": ["-arr"], "segment": ["smb"],
        "cols": ["name,band,arr,sentiment"]}
    page = lead.get(r.headers["Location"]).get_data(as_text=True)
    assert headings(page) == ["Account", "Band", "ARR", "Sentiment"]
    assert shown(page) == ["C", "A", "D"]
    # the table without `cols` (the menu's link, a new session) shows the remembered ones
    assert headings(lead.get("/app/accounts").get_data(as_text=True)) == \
        ["Account", "Band", "ARR", "Sentiment"]
    make_user("csm@example.com", "csm")
    other = browser()
    other.login("csm@example.com")
    assert headings(other.get("/app/accounts").get_data(as_text=True)) == DEFAULT
    r = lead.post("/app/accounts/columns", {"col": ["band"], "reset": "1", "owner": ""})
    assert parse_qs(urlsplit(r.headers["Location"]).query)["cols"] == [
        "name,owner,band,health,phase,arr,renewal,days,signals"]
    assert headings(lead.get("/app/accounts").get_data(as_text=True)) == DEFAULT
    assert lead.post("/app/accounts/columns", {"col": ["nope"]}).status_code == 400
    lead.post("/app/accounts/columns", {})   # nothing checked: the name alone, remembered
    assert headings(lead.get("/app/accounts").get_data(as_text=True)) == ["Account"]


def test_a_saved_view_keeps_its_columns(lead):
    lead.get("/app/accounts")
    r = lead.post("/app/accounts/views", {"name": "Sentiment", "owner": "",
                                          "cols": "name,sentiment,arr", "sort": "arr"})
    assert r.status_code == 302
    assert parse_qs(urlsplit(r.headers["Location"]).query)["cols"] == ["name,sentiment,arr"]
    page = lead.get("/app/accounts?cols=name,owner").get_data(as_text=True)
    link = htmllib.unescape(re.search(r'<a href="([^"]+)" data-view="Sentiment"', page)[1])
    opened = lead.get(link).get_data(as_text=True)
    assert headings(opened) == ["Account", "ARR", "Sentiment"]
    assert csv_of(lead, opened)[0] == ["Account", "ARR", "Sentiment"]
    assert lead.post("/app/accounts/views", {"name": "Bad", "cols": "arr,x"}).status_code == 400


def test_filters_and_sorts_on_hidden_columns_apply_and_show_as_chips(lead, client, auth):
    page = lead.get("/app/accounts?owner=&sort=-arr&arr_min=100&segment=smb&cols=name,owner") \
        .get_data(as_text=True)
    want = client.get("/api/v1/accounts?owner=&sort=-arr&arr_min=100&segment=smb",
                      headers=auth).get_json()["items"]
    assert shown(page) == [a["id"] for a in want] == ["C", "A"]
    assert chips(page) == ["Segment: smb", "ARR at least: 100", "Sorted by: ARR ▼"]
    remove = htmllib.unescape(re.search(
        r'<a href="([^"]+)"><span aria-hidden="true">×</span><span class="sr-only">Remove '
        r'ARR at least', page)[1])
    args = parse_qs(urlsplit(remove).query, keep_blank_values=True)
    assert "arr_min" not in args and args["cols"] == ["name,owner"] and args["sort"] == ["-arr"]
    exported = csv_of(lead, page)
    assert exported == [["Account", "Owner"], [XSS, "other@example.com"],
                        ["Alpha", "csm@example.com"]]
    # a sort on a shown column is its heading's, no chip
    assert chips(lead.get("/app/accounts?sort=owner&cols=name,owner").get_data(as_text=True)) \
        == []


def test_chips_and_the_chooser_escape_text(lead):
    page = lead.get(f"/app/accounts?owner=&q={XSS}").get_data(as_text=True)
    assert XSS not in page
    assert chips(page) == [f"Search: {XSS}"]
