"""The account page's sentiment and stakeholders section: the 360's figures, escaped."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from tests.workspace.test_account_page import RECORDS

TODAY = date.today()
EVIL = "<script>alert(3)</script> this is terrible and broken"


def at(n: int, hour: int) -> str:
    return f"{(TODAY - timedelta(days=n)).isoformat()}T{hour:02d}:00:00Z"


MESSAGES = [
    {"type": "contact", "id": "ann", "account_id": "A", "email": "ann@a.example",
     "name": "<i>Ann</i>", "role": "champion"},
    {"type": "message", "id": "m1", "account_id": "A", "at": at(3, 9), "channel": "email",
     "direction": "in", "thread_id": "t", "contact_email": "ann@a.example", "text": EVIL},
    {"type": "message", "id": "m2", "account_id": "A", "at": at(3, 12), "channel": "email",
     "direction": "out", "thread_id": "t", "contact_email": "ann@a.example",
     "text": "Sorry, on it"},
]


@pytest.fixture
def page_html(app, load, make_user, browser):
    load(RECORDS + MESSAGES)
    make_user("csm@example.com", "csm")
    b = browser()
    b.login("csm@example.com")
    return b.get("/app/accounts/A").get_data(as_text=True)


def test_sentiment_evidence_and_stakeholders_are_shown_escaped(page_html, client, auth):
    rel = client.get("/api/v1/accounts/A/360", headers=auth).get_json()["relationship"]
    html = page_html
    assert 'data-section="relationship"' in html
    assert "<script>alert(3)</script>" not in html and "<i>Ann</i>" not in html
    line = re.search(r'data-testid="sentiment-line">(.*?)</p>', html, re.S)[1]
    assert f"Sentiment {rel['sentiment']['score']:+.0f} over 1 messages" in line
    assert f"relationship score {rel['score']:.0f}" in line
    assert "email reply median 3.0 h (1 replies, 0 unanswered)" in line
    evidence = re.search(r'data-testid="sentiment-evidence">(.*?)</table>', html, re.S)[1]
    assert "&lt;script&gt;alert(3)&lt;/script&gt; this is terrible and broken" in evidence
    people = re.search(r'data-testid="stakeholders">(.*?)</table>', html, re.S)[1]
    assert "&lt;i&gt;Ann&lt;/i&gt; <span class=\"muted\">(engaged)</span>" in people
    assert "champion" in people and "1 / 1" in people
