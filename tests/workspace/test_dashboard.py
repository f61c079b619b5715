"""The team dashboard: sign-in lands CSMs in it, figures equal the API's portfolio for the same
period and owner, filters in the URL, scoping by role, n/a, escaping and bad input."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest

from server.metrics import add_years
from tests.workspace.records import deal, today

XSS = "<img src=x onerror=alert(1)>"


def records() -> list[dict]:
    """The dashboard's accounts and deals, dated from the day they are loaded."""
    return [
        {"type": "account", "id": "A", "name": "Alpha", "owner": "csm@example.com",
         "segment": "smb"},
        {"type": "account", "id": "B", "name": "Beta", "owner": "csm@example.com",
         "segment": "enterprise"},
        {"type": "account", "id": "C", "name": XSS, "owner": "other@example.com",
         "segment": "smb"},
        deal("a1", "A", "new", "won", 100, 400),
        deal("a2", "A", "expansion", "won", 50, 100),
        deal("b1", "B", "new", "won", 200, 500),
        deal("c1", "C", "new", "won", 300, 600),
        deal("c2", "C", "renewal", "lost", 300, 200),
    ]


def cells(html: str, figure: str) -> dict[str, object]:
    """The dashboard's values of one figure row: group -> JSON value."""
    row = re.search(rf'<tr data-figure="{figure}">(.*?)</tr>', html, re.S)
    assert row, f"no {figure} row"
    return {g: json.loads(v) for g, v in
            re.findall(r"<td data-group=\"([^\"]+)\" data-value='([^']*)'>", row[1])}


@pytest.fixture
def signed_in(app, load, make_user, browser):
    load(records())

    def sign_in(email, role):
        make_user(email, role)
        b = browser()
        r = b.login(email)
        return b, r
    return sign_in


def api(client, auth, **params):
    query = "&".join(f"{k}={v}" for k, v in params.items())
    r = client.get(f"/api/v1/portfolio?{query}", headers=auth)
    assert r.status_code == 200
    return r.get_json()


def test_csm_lands_on_their_book_and_figures_equal_the_api(signed_in, client, auth):
    b, r = signed_in("csm@example.com", "csm")
    assert r.headers["Location"].endswith("/app/")
    html = b.get("/app/").get_data(as_text=True)
    want = api(client, auth, owner="csm@example.com")
    start = (add_years(today(), -1) + timedelta(days=1)).isoformat()
    assert f'data-start="{start}"' in html
    for key in ("loaded_arr", "nrr", "grr", "logo_churn_rate", "expansion_by_quarter",
                "accounts_by_band", "open_warnings"):
        assert cells(html, key)["Team"] == want["team"][key]["value"], key
    assert cells(html, "loaded_arr")["Team"] == 350
    assert set(cells(html, "nrr")) == {"Team", "csm@example.com"}
    assert "lagging" in html and "leading" in html


def test_whole_team_filters_and_presets_change_the_figures(signed_in, client, auth):
    b, _ = signed_in("lead@example.com", "lead")
    team = b.get("/app/").get_data(as_text=True)  # a lead sees the team by default
    assert cells(team, "loaded_arr")["Team"] == 350
    assert set(cells(team, "nrr")) == {"Team", "csm@example.com", "other@example.com"}
    assert cells(team, "nrr")["Team"] == api(client, auth)["team"]["nrr"]["value"]
    smb = b.get("/app/?segment=smb").get_data(as_text=True)
    assert cells(smb, "nrr")["Team"] == api(client, auth, segment="smb")["team"]["nrr"]["value"]
    assert cells(smb, "nrr")["Team"] != cells(team, "nrr")["Team"]
    month = b.get("/app/?period=month").get_data(as_text=True)
    now = today()
    start = now.replace(day=1).isoformat()
    assert cells(month, "nrr")["Team"] == api(
        client, auth, start=start, end=now.isoformat())["team"]["nrr"]["value"]
    assert f'data-start="{start}"' in month
    assert '<option value="smb" selected>' in smb


def test_csm_may_switch_to_the_team(signed_in):
    b, _ = signed_in("csm@example.com", "csm")
    html = b.get("/app/?owner=").get_data(as_text=True)
    assert cells(html, "loaded_arr")["Team"] == 350
    assert "other@example.com" in cells(html, "nrr")


def test_zero_denominator_is_na_and_inputs_shown(signed_in):
    b, _ = signed_in("lead@example.com", "lead")
    html = b.get("/app/?owner=nobody@example.com").get_data(as_text=True)
    assert cells(html, "nrr")["Team"] is None
    row = re.search(r'<tr data-figure="nrr">(.*?)</tr>', html, re.S)[1]
    assert "n/a" in row
    full = b.get("/app/").get_data(as_text=True)
    row = re.search(r'<tr data-figure="nrr">(.*?)</tr>', full, re.S)[1]
    assert "<details>" in row and "start arr" in row and "expansion" in row


def test_bad_filters_are_a_400_page(signed_in):
    b, _ = signed_in("lead@example.com", "lead")
    assert b.get("/app/?period=decade").status_code == 400
    assert b.get("/app/?phase=nope").status_code == 400


def test_signed_out_goes_to_sign_in(client):
    r = client.get("/app/")
    assert r.status_code == 302 and "/admin/login?next=/app/" in r.headers["Location"]


def test_crm_text_is_escaped(app, load, make_user, browser):
    load([{"type": "account", "id": "X", "name": XSS, "owner": "csm@example.com",
           "segment": XSS},
          deal("x1", "X", "new", "won", 100, 30)])
    make_user("lead@example.com", "lead")
    b = browser()
    b.login("lead@example.com")
    html = b.get("/app/").get_data(as_text=True)
    assert XSS not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_freshness_line(signed_in):
    b, _ = signed_in("lead@example.com", "lead")
    html = b.get("/app/").get_data(as_text=True)
    line = re.search(r'data-testid="freshness">(.*?)</p>', html, re.S)[1]
    assert "Data as of" in line and "import" in line
