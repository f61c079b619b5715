"""The health model page (/app/health-model): the backtest, a preview (pasted or uploaded)
side by side, applying and rolling back for admins only, CRM text escaped."""

from __future__ import annotations

import html as html_lib
import io
import re

import pytest

from tests.backtest.test_preview import PROPOSED
from tests.backtest.workspace import END, START

pytestmark = pytest.mark.store
PERIOD = {"start": str(START), "end": str(END), "horizon": "90"}
QUERY = f"/app/health-model?start={START}&end={END}&horizon=90"


def _signed_in(make_user, browser, role):
    make_user(f"{role}@example.com", role)
    b = browser()
    b.login(f"{role}@example.com")
    return b


def _cells(html: str, testid: str) -> list[list[str]]:
    table = re.search(rf'data-testid="{testid}">(.*?)</table>', html, re.S)[1]
    body = table.split("<tbody>")[1]
    return [[html_lib.unescape(re.sub(r"<[^>]+>", "", c)).strip()
             for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
            for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)]


def test_the_page_shows_the_backtest(known, make_user, browser):
    b = _signed_in(make_user, browser, "csm")
    r = b.get(QUERY)
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    rows = {row[0]: row[1:6] for row in _cells(html, "confusion")}
    assert rows == {"good": ["5", "0", "1", "3", "1"], "watch": ["1", "0", "0", "1", "0"],
                    "at risk": ["4", "3", "0", "1", "0"], "unknown": ["0", "0", "0", "0", "0"]}
    assert "75.0% (3/4)" in _cells(html, "confusion")[2][6]
    assert "ROC AUC of the score: <strong>0.929</strong>" in html
    signals = {row[0]: row for row in _cells(html, "signals")}
    assert signals["inactive"][1] == "3 / 0 / 1 / 0" and signals["inactive"][5] == "107, 107-107"
    assert "the settings file" in html and "Apply these settings" not in html
    assert 'id="health-chart-data"' in html and "health_model.js" in html


def test_a_preview_pasted_or_uploaded_and_only_admins_apply(known, make_user, browser):
    csm = _signed_in(make_user, browser, "csm")
    csm.get(QUERY)
    r = csm.post("/app/health-model/preview", {**PERIOD, "settings": PROPOSED})
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    moves = {row[0]: row[1:] for row in _cells(html, "band-changes")}
    assert moves == {**{f"Account {a}": ["watch", "at risk", "42.9 → 27.3"]
                        for a in ("C1", "C2", "C3", "R5")},
                     "Account R4": ["watch", "good", "68.2 → 72.7"]}
    assert _cells(html, "signal-changes") == [["Account C1", "none", "inactive"],
                                              ["Account R4", "low_seat_utilization", "none"],
                                              ["Account R5", "none", "inactive"]]
    side = {row[0]: row[1:] for row in _cells(html, "side-by-side")}
    assert side["at_risk_or_watch precision"] == ["60.0% (3/5)", "75.0% (3/4)"]
    assert side["ROC AUC"] == ["0.929", "0.929"]
    assert "Only admins apply settings." in html
    assert csm.post("/app/health-model/apply", {"settings": PROPOSED}).status_code == 403
    up = csm.post("/app/health-model/preview", {
        **PERIOD, "file": (io.BytesIO(PROPOSED.encode()), "new.toml")},
        content_type="multipart/form-data")
    assert up.status_code == 200 and len(_cells(up.get_data(as_text=True), "band-changes")) == 5
    admin = _signed_in(make_user, browser, "admin")
    admin.get(QUERY)
    r = admin.post("/app/health-model/apply", {"settings": PROPOSED})
    assert r.status_code == 302 and r.headers["Location"].endswith("applied=1")
    html = admin.get(QUERY + "&applied=1").get_data(as_text=True)
    assert "the settings are now version 1" in html
    assert "settings version 1</strong>" in html and "applied by admin@example.com" in html
    history = _cells(html, "history")
    assert history[0][:4][0] == "1 (current)" and history[0][2] == "admin@example.com"
    assert "health.weights.seat_utilization: 20.0 → 40.0" in history[0][4]
    st = known
    assert st.settings.metrics.health.weight("seat_utilization") == 40
    # the backtest of the page now uses version 1: R4 is good
    assert {row[0]: row[1] for row in _cells(html, "confusion")}["watch"] == "0"
    assert admin.post("/app/health-model/apply", {"settings": "[health\n"}).status_code == 400
    r = admin.post("/app/health-model/rollback", {"version": "1"})
    assert r.headers["Location"].endswith("applied=0")            # already the current one


def test_a_bad_file_is_refused_on_the_page_and_nothing_changes(known, make_user, browser):
    admin = _signed_in(make_user, browser, "admin")
    admin.get(QUERY)
    for url in ("/app/health-model/preview", "/app/health-model/apply"):
        r = admin.post(url, {**PERIOD, "settings": "[signals]\nno_such_key = 1\n"})
        assert r.status_code == 400
        html = r.get_data(as_text=True)
        assert "&#39;signals.no_such_key&#39; is not a known key" in html
    assert admin.post("/app/health-model/rollback", {"version": "4"}).status_code == 400
    assert "No settings version applied yet" in admin.get(QUERY).get_data(as_text=True)
    assert known.settings.source is None
    assert admin.get("/app/health-model?end=2999-01-01").status_code == 400


def test_account_names_are_text_on_the_page(known, load, make_user, browser):
    xss = "<img src=x onerror=alert(1)>"
    load([{"type": "account", "id": "R4", "name": xss, "seats": 2}])
    b = _signed_in(make_user, browser, "lead")
    b.get(QUERY)
    html = b.post("/app/health-model/preview", {**PERIOD, "settings": PROPOSED}).get_data(
        as_text=True)
    assert xss not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
