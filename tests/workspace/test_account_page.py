"""The account page: the 360 with its history charts' data, sections, adding a task or a note
and ticking a task done through the shared service (CSRF as the admin app, CSMs change only
their own tasks), a churned account's header, bad input and escaping."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest

from server.rows.models import AccountDay
from tests.workspace.records import TODAY, ago
from tests.workspace.test_dashboard import XSS

RECORDS = [
    {"type": "account", "id": "A", "name": XSS, "owner": "csm@example.com", "segment": "smb",
     "crm": {"system": "hubspot", "id": "777"}},
    {"type": "account", "id": "C", "name": "Gone Ltd", "owner": "csm@example.com"},
    {"type": "deal", "id": "a1", "account_id": "A", "kind": "new", "status": "won",
     "amount": 1200, "close_date": ago(100)},
    {"type": "deal", "id": "a2", "account_id": "A", "kind": "expansion", "status": "open",
     "amount": 300, "close_date": ago(-20), "name": "More seats", "stage": "proposal"},
    {"type": "deal", "id": "c1", "account_id": "C", "kind": "new", "status": "won",
     "amount": 500, "close_date": ago(400)},
    {"type": "deal", "id": "c2", "account_id": "C", "kind": "renewal", "status": "lost",
     "amount": 500, "close_date": ago(35)},
    {"type": "ticket", "id": "k1", "account_id": "A", "status": "open", "priority": "high",
     "created_at": ago(2) + "T09:00:00Z", "subject": "Export <b>broken</b>"},
    {"type": "touchpoint", "id": "p1", "account_id": "A", "kind": "call", "date": ago(3),
     "owner": "csm@example.com"},
    {"type": "task", "id": "t-mine", "account_id": "A", "subject": "Call the champion",
     "status": "open", "owner": "csm@example.com", "due_date": ago(1)},
    {"type": "task", "id": "t-other", "account_id": "A", "subject": "Other's task",
     "status": "open", "owner": "other@example.com"},
]


@pytest.fixture
def signed_in(app, load, make_user, browser):
    load(RECORDS)

    def sign_in(email="csm@example.com", role="csm"):
        make_user(email, role)
        b = browser()
        b.login(email)
        return b
    return sign_in


def charts_of(html: str) -> dict:
    found = re.search(r'<script type="application/json" id="chart-data">(.*?)</script>', html,
                      re.S)
    assert found
    return json.loads(found[1])


def test_page_shows_the_360_escaped(signed_in, client, auth):
    b = signed_in()
    r = b.get("/app/accounts/A")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert XSS not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "Export &lt;b&gt;broken&lt;/b&gt;" in html  # ticket subjects are CRM text too
    view = client.get("/api/v1/accounts/A/360", headers=auth).get_json()
    headline = re.search(r'data-testid="headline">(.*?)</dl>', html, re.S)[1]
    assert "USD 1,200" in headline
    assert f"in {view['revenue']['days_to_renewal']} days" in headline
    for name in ("signals", "health", "tasks", "notes", "tickets", "pipeline", "touchpoints"):
        assert f'data-section="{name}"' in html
    assert "More seats" in html and "proposal" in html  # the pipeline
    assert 'data-testid="touchpoints"' in html and "call" in html
    assert 'data-testid="churned"' not in html


def test_history_charts_carry_the_daily_rows(signed_in, app):
    st = app.extensions["account360"].store
    with st.session() as s:
        for n, (score, arr, users) in enumerate([(80.0, 1000, 5), (62.5, 1200, 7)]):
            s.add(AccountDay(account_id="A", day=TODAY - timedelta(days=10 - n), score=score,
                             band="good", signals=["no_touch"] if n else [], arr=arr,
                             active_users_30d=users))
    b = signed_in()
    charts = charts_of(b.get("/app/accounts/A").get_data(as_text=True))
    days = [ago(10), ago(9)]
    assert charts["health"]["labels"][:2] == days
    assert charts["health"]["values"][:2] == [80.0, 62.5]
    assert (charts["health"]["good"], charts["health"]["watch"]) == (70.0, 40.0)
    assert charts["arr"]["values"][:2] == [1000.0, 1200.0]
    assert charts["users"]["values"][:2] == [5, 7]
    html = b.get("/app/accounts/A").get_data(as_text=True)
    timeline = re.search(r'data-testid="signal-timeline">(.*?)</table>', html, re.S)[1]
    assert "no touch" in timeline and ago(9) in timeline


def test_add_and_complete_a_task_and_add_a_note(signed_in, client, auth):
    b = signed_in()
    b.get("/app/accounts/A")
    r = b.post("/app/accounts/A/tasks", {"subject": "Send the QBR deck",
                                          "due_date": ago(-7), "note": ""})
    assert r.status_code == 302 and r.headers["Location"].endswith("/app/accounts/A#tasks")
    items = client.get("/api/v1/accounts/A/tasks", headers=auth).get_json()["items"]
    new = next(t for t in items if t["subject"] == "Send the QBR deck")
    assert (new["status"], new["owner"], new["due_date"]) == ("open", "csm@example.com",
                                                              ago(-7))
    html = b.get("/app/accounts/A").get_data(as_text=True)
    assert f'data-task="{new["id"]}" data-status="open"' in html
    r = b.post(f"/app/accounts/A/tasks/{new['id']}/done")
    assert r.status_code == 302
    items = client.get("/api/v1/accounts/A/tasks", headers=auth).get_json()["items"]
    assert next(t for t in items if t["id"] == new["id"])["status"] == "done"
    r = b.post("/app/accounts/A/notes", {"body": "Champion <script>x</script> is moving"})
    assert r.status_code == 302
    notes = client.get("/api/v1/accounts/A/notes", headers=auth).get_json()["items"]
    assert [(n["body"], n["author"]) for n in notes] == [
        ("Champion <script>x</script> is moving", "csm@example.com")]
    html = b.get("/app/accounts/A").get_data(as_text=True)
    assert "Champion &lt;script&gt;x&lt;/script&gt; is moving" in html


def test_web_tasks_are_queued_for_crm_write_back(signed_in, app):
    from server.services.writeback import pending_tasks

    b = signed_in()
    b.post("/app/accounts/A/tasks", {"subject": "Write back me"})
    queued = pending_tasks(app.extensions["account360"].store, "hubspot")
    assert [crm for _, crm in queued] == ["777"]


def test_a_csm_ticks_only_their_own_tasks(signed_in, client, auth):
    b = signed_in()
    html = b.get("/app/accounts/A").get_data(as_text=True)
    assert "Mark done: Call the champion" in html
    assert "Mark done: Other&#39;s task" not in html
    r = b.post("/app/accounts/A/tasks/t-other/done")
    assert r.status_code == 403
    items = client.get("/api/v1/accounts/A/tasks", headers=auth).get_json()["items"]
    assert next(t for t in items if t["id"] == "t-other")["status"] == "open"
    lead = signed_in("lead@example.com", "lead")
    lead.get("/app/accounts/A")
    assert lead.post("/app/accounts/A/tasks/t-other/done").status_code == 302


def test_bad_input_keeps_what_was_typed(signed_in, client, auth):
    b = signed_in()
    b.get("/app/accounts/A")
    r = b.post("/app/accounts/A/tasks", {"subject": "Keep me", "due_date": "tomorrow"})
    assert r.status_code == 400
    html = r.get_data(as_text=True)
    assert 'data-testid="form-error"' in html and "due date: must be a date" in html
    assert 'value="Keep me"' in html
    r = b.post("/app/accounts/A/notes", {"body": "   "})
    assert r.status_code == 400 and "body: " in r.get_data(as_text=True)
    assert client.get("/api/v1/accounts/A/notes", headers=auth).get_json()["items"] == []
    assert b.post("/app/accounts/A/tasks/nope/done").status_code == 404
    assert b.post("/app/accounts/C/tasks/t-mine/done").status_code == 404  # another account
    assert b.get("/app/accounts/nope").status_code == 404


def test_forms_need_the_csrf_token(signed_in):
    b = signed_in()
    r = b.client.post("/app/accounts/A/notes", data={"body": "no token"})
    assert r.status_code == 400


def test_churned_account_leads_with_the_churn(signed_in):
    b = signed_in()
    html = b.get("/app/accounts/C").get_data(as_text=True)
    churned = re.search(r'data-testid="churned">(.*?)</div>', html, re.S)[1]
    assert f"Churned on {ago(35)}" in churned and "ARR lost USD 500" in churned
    assert "renewal lost" in churned
    assert 'data-testid="renewal"' not in html and 'data-testid="headline"' not in html


def test_names_link_to_the_account_page(signed_in):
    b = signed_in("lead@example.com", "lead")
    assert 'href="/app/accounts/A"' in b.get("/app/accounts").get_data(as_text=True)
    assert 'href="/app/accounts/A"' in b.get("/app/priority").get_data(as_text=True)
