"""Notes and tasks written with a user's token (My tokens, extension pairing) are signed by and
owned by that user; a CLI token without a user still signs with its name."""

from __future__ import annotations

import pytest

from server.auth import create_token


@pytest.fixture
def acme(app, load):
    load([{"type": "account", "id": "acme", "name": "Acme Corp", "domains": ["acme.com"]}])
    return "acme"


def user_token(app, make_user, email):
    from server.services.tokens import issue

    user = make_user(email, "csm")
    return issue(app.extensions["account360"].store, user.id, f"{email}: browser extension",
                 purpose="extension")


def test_note_is_signed_and_task_owned_by_the_tokens_user(app, make_user, acme):
    token = user_token(app, make_user, "ann@ourco.com")
    api = app.test_client()
    auth = {"Authorization": f"Bearer {token}"}
    note = api.post("/api/v1/accounts/acme/notes", json={"body": "Call on Tuesday"}, headers=auth)
    assert note.status_code == 201 and note.get_json()["author"] == "ann@ourco.com"
    task = api.post("/api/v1/accounts/acme/tasks", json={"subject": "Send deck"}, headers=auth)
    assert task.status_code == 201, task.get_json()
    assert task.get_json()["owner"] == "ann@ourco.com"
    listed = api.get("/api/v1/accounts/acme/tasks", headers=auth).get_json()["items"]
    assert [t["owner"] for t in listed if t["subject"] == "Send deck"] == ["ann@ourco.com"]
    # An explicit owner still wins.
    other = api.post("/api/v1/accounts/acme/tasks",
                     json={"subject": "Hand over", "owner": "raj@ourco.com"}, headers=auth)
    assert other.get_json()["owner"] == "raj@ourco.com"


def test_cli_token_signs_with_its_name_and_leaves_tasks_unowned(app, acme):
    token = create_token(app.extensions["account360"].store, "integration")
    api = app.test_client()
    auth = {"Authorization": f"Bearer {token}"}
    note = api.post("/api/v1/accounts/acme/notes", json={"body": "Synced"}, headers=auth)
    assert note.get_json()["author"] == "integration"
    task = api.post("/api/v1/accounts/acme/tasks", json={"subject": "Check"}, headers=auth)
    assert task.get_json()["owner"] is None
