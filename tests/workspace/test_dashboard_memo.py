"""The dashboard remembers its figures and NRR/GRR series only while the current rows are
unchanged: a write (a new deal, a new owner) shows on the next view, equal to the API; the
North Star reads n/a when the settings name none."""

from __future__ import annotations

import json
import re

from server.workspace import memo
from tests.workspace.test_dashboard import api, cells, deal, records, signed_in  # noqa: F401


def series(html: str) -> dict:
    return json.loads(re.search(r'id="chart-data">(.*?)</script>', html, re.S)[1])


def test_a_write_shows_on_the_next_view(signed_in, load, client, auth, app):  # noqa: F811
    b, _ = signed_in("lead@example.com", "lead")
    first = b.get("/app/").get_data(as_text=True)
    assert cells(first, "loaded_arr")["Team"] == 350
    again = b.get("/app/").get_data(as_text=True)
    assert cells(again, "nrr") == cells(first, "nrr")
    with app.extensions["account360"].store.sessions() as s:
        before = memo.stamp(s)

    load([deal("a3", "A", "expansion", "won", 70, 10)])  # A: 150 -> 220
    with app.extensions["account360"].store.sessions() as s:
        assert memo.stamp(s) != before
    after = b.get("/app/").get_data(as_text=True)
    want = api(client, auth)
    assert cells(after, "loaded_arr")["Team"] == want["team"]["loaded_arr"]["value"] == 420
    assert cells(after, "nrr")["Team"] == want["team"]["nrr"]["value"]
    assert cells(after, "nrr")["Team"] != cells(first, "nrr")["Team"]
    last = series(after)["retention"]["nrr"][-1]
    assert last == round(want["team"]["nrr"]["value"] * 100, 2)
    assert last != series(first)["retention"]["nrr"][-1]


def test_a_new_owner_moves_the_account_between_books(signed_in, load, client, auth):  # noqa: F811
    b, _ = signed_in("lead@example.com", "lead")
    mine = b.get("/app/?owner=csm@example.com").get_data(as_text=True)
    assert cells(mine, "loaded_arr")["Team"] == 350
    load([{**records()[1], "owner": "other@example.com"}])  # B (200) to the other CSM
    now = b.get("/app/?owner=csm@example.com").get_data(as_text=True)
    want = api(client, auth, owner="csm@example.com")
    assert cells(now, "loaded_arr")["Team"] == want["team"]["loaded_arr"]["value"] == 150


def test_north_star_is_na_without_settings(signed_in):  # noqa: F811
    b, _ = signed_in("lead@example.com", "lead")
    html = b.get("/app/").get_data(as_text=True)
    section = re.search(r'data-testid="north-star">(.*?)</section>', html, re.S)[1]
    assert "n/a" in section and "leading" in section and 'data-month=' not in section
    assert 'id="chart-north-star"' not in html
    row = re.search(r'<tr data-figure="email_reply_hours_median">(.*?)</tr>', html, re.S)[1]
    assert "n/a" in row  # no replies yet
