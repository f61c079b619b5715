"""The accounts table: the API's list for the same search, filters and sort; the CSV export
holds exactly the rows shown; bad parameters are a 400; CRM text is escaped."""

from __future__ import annotations

import csv
import io
import re
from datetime import date

import pytest

from tests.workspace.records import EVERY

XSS = "<img src=x onerror=alert(1)>"


def acc(i, name, owner, segment, amount):
    return [{"type": "account", "id": i, "name": name, "owner": owner, "segment": segment},
            {"type": "deal", "id": f"d-{i}", "account_id": i, "kind": "new", "status": "won",
             "amount": amount, "close_date": date.today().isoformat()}]


def records() -> list[dict]:
    """The four accounts, each with a deal won today (dated when loaded)."""
    return [*acc("A", "Alpha", "csm@example.com", "smb", 100),
               *acc("B", "Beta", "csm@example.com", "enterprise", 300),
               *acc("C", XSS, "other@example.com", "smb", 200),
               *acc("D", "=HYPERLINK(\"x\")", "other@example.com", "smb", 50)]


@pytest.fixture
def lead(app, load, make_user, browser):
    load(records())
    make_user("lead@example.com", "lead")
    b = browser()
    b.login("lead@example.com")
    return b


def shown(html: str) -> list[str]:
    return re.findall(r'<tr data-account="([^"]+)"', html)


def api_ids(client, auth, query: str) -> list[str]:
    r = client.get(f"/api/v1/accounts?limit=50&{query}", headers=auth)
    assert r.status_code == 200
    return [a["id"] for a in r.get_json()["items"]]


@pytest.mark.parametrize("query", ["", "sort=-arr", "sort=name&segment=smb", "q=alp",
                                   "sort=renewal&owner=other@example.com"])
def test_rows_equal_the_api_list(lead, client, auth, query):
    html = lead.get(f"/app/accounts?{query}").get_data(as_text=True)
    assert shown(html) == api_ids(client, auth, query)


def test_csv_holds_exactly_the_rows_shown(lead):
    html = lead.get(f"/app/accounts?sort=-arr&segment=smb&{EVERY}").get_data(as_text=True)
    link = re.search(r'href="([^"]+)" data-testid="csv-export"', html)[1].replace("&amp;", "&")
    r = lead.get(link)
    assert r.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(r.get_data(as_text=True))))
    assert rows[0][:3] == ["Account", "Owner", "Segment"]
    names = [row[0] for row in rows[1:]]
    assert names == [XSS, "Alpha", "'=HYPERLINK(\"x\")"]  # a formula stays text
    assert [row[6] for row in rows[1:]] == ["200", "100", "50"]
    assert len(rows) - 1 == len(shown(html))


def test_csm_sees_their_book_by_default(app, load, make_user, browser):
    load(records())
    make_user("csm@example.com", "csm")
    b = browser()
    b.login("csm@example.com")
    assert shown(b.get("/app/accounts").get_data(as_text=True)) == ["A", "B"]
    assert len(shown(b.get("/app/accounts?owner=").get_data(as_text=True))) == 4


def test_sort_links_and_bad_parameters(lead):
    html = lead.get("/app/accounts?sort=arr").get_data(as_text=True)
    assert 'aria-sort="ascending"' in html and "sort=-arr" in html
    assert lead.get("/app/accounts?sort=bogus").status_code == 400
    assert lead.get("/app/accounts?band=purple").status_code == 400
    assert lead.get("/app/accounts?cursor=%%%").status_code == 400


def test_names_are_escaped(lead):
    html = lead.get("/app/accounts").get_data(as_text=True)
    assert XSS not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
