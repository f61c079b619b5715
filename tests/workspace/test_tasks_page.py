"""My tasks (/app/tasks): open tasks across my accounts and the ones I hold elsewhere, overdue
first; a lead sees the team's; ticking one done returns to the list."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest


def due(n: int) -> str:
    return (date.today() + timedelta(days=n)).isoformat()


def task(i, acc, owner, days=None, status="open"):
    out = {"type": "task", "id": i, "account_id": acc, "subject": f"Task {i}", "status": status,
           "owner": owner}
    if days is not None:
        out["due_date"] = due(days)
    return out


CSM, OTHER = "csm@example.com", "other@example.com"


def records() -> list[dict]:
    """Two accounts and their tasks, due relative to the day they are loaded."""
    return [
        {"type": "account", "id": "A", "name": "Alpha", "owner": CSM},
        {"type": "account", "id": "B", "name": "Beta", "owner": OTHER},
        task("t1", "A", CSM, -5), task("t2", "A", OTHER, 3), task("t3", "A", CSM),
        task("t4", "A", CSM, -9, "done"), task("t5", "B", CSM, -1), task("t6", "B", OTHER, -10),
    ]


def rows(html: str) -> list[tuple[str, bool]]:
    return [(i, bool(o)) for i, o in
            re.findall(r'<tr data-task="([^"]+)" ?(data-overdue="1")?>', html)]


@pytest.fixture
def signed_in(app, load, make_user, browser):
    load(records())

    def sign_in(email, role):
        make_user(email, role)
        b = browser()
        b.login(email)
        return b
    return sign_in


def test_a_csm_sees_their_open_tasks_overdue_first(signed_in):
    b = signed_in(CSM, "csm")
    html = b.get("/app/tasks").get_data(as_text=True)
    assert rows(html) == [("t1", True), ("t5", True), ("t2", False), ("t3", False)]
    assert "4 open, 2 overdue" in html
    assert "Mark done: Task t2" not in html  # on my account, but another CSM's task
    assert 'href="/app/accounts/B"' in html


def test_a_lead_sees_the_team_and_may_narrow(signed_in):
    b = signed_in("lead@example.com", "lead")
    html = b.get("/app/tasks").get_data(as_text=True)
    assert rows(html) == [("t6", True), ("t1", True), ("t5", True), ("t2", False),
                          ("t3", False)]
    other = b.get(f"/app/tasks?owner={OTHER}").get_data(as_text=True)
    assert rows(other) == [("t6", True), ("t5", True), ("t2", False)]


def test_tick_done_returns_to_the_list(signed_in, client, auth):
    b = signed_in(CSM, "csm")
    b.get("/app/tasks")
    r = b.post("/app/accounts/A/tasks/t1/done", {"next": "/app/tasks"})
    assert r.status_code == 302 and r.headers["Location"] == "/app/tasks"
    assert rows(b.get("/app/tasks").get_data(as_text=True))[0] == ("t5", True)
    items = client.get("/api/v1/accounts/A/tasks", headers=auth).get_json()["items"]
    assert {t["id"]: t["status"] for t in items}["t1"] == "done"
    r = b.post("/app/accounts/A/tasks/t3/done", {"next": "https://evil.example/"})
    assert r.headers["Location"] == "/admin/"  # never off the site


def test_many_tasks_page_by_100_with_the_whole_counts(app, load, make_user, browser):
    many = [task(f"p{i:03d}", "A", CSM, i - 130) for i in range(250)]  # 130 overdue
    load(records()[:2] + many + [{"type": "account", "id": "S 1", "name": "Slash & Co",
                                "owner": CSM}, task("slash", "S 1", CSM, -500)])
    make_user(CSM, "csm")
    b = browser()
    b.login(CSM)
    first = b.get("/app/tasks").get_data(as_text=True)
    assert "251 open, 131 overdue" in first and "Showing 1 to 100." in first
    assert [i for i, _ in rows(first)][:2] == ["slash", "p000"]
    assert 'href="/app/accounts/S%201"' in first
    assert 'action="/app/accounts/S%201/tasks/slash/done"' in first
    nxt = re.search(r'href="([^"]+)" rel="next"', first)[1].replace("&amp;", "&")
    second = b.get(nxt).get_data(as_text=True)
    assert [i for i, _ in rows(second)][0] == "p099" and "Showing 101 to 200." in second
    third = b.get(nxt.replace("start=100", "start=200")).get_data(as_text=True)
    assert len(rows(third)) == 51 and 'rel="next"' not in third
    assert all(overdue for _, overdue in rows(second)[:31])
    assert not any(overdue for _, overdue in rows(second)[31:])
    for bad in ("-1", "x", "²", "1e3"):
        assert b.get(f"/app/tasks?start={bad}").status_code == 400
    assert b.get("/app/accounts/S%201").status_code == 200
