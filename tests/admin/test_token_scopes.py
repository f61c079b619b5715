"""Token scopes: read, write (tasks and notes), import, admin. CSM tokens read and write,
never import, and change only their own tasks; a 403 names the missing scope."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from server.auth import create_token

ACME = json.dumps({"type": "account", "id": "acme", "name": "Acme"}).encode()
NDJSON = {"Content-Type": "application/x-ndjson"}


def _bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def store(app):
    return app.extensions["account360"].store


@pytest.fixture
def seeded(app, store, load):
    load([{"type": "account", "id": "acme", "name": "Acme"}])
    return app.test_client()


def _personal(app, make_user, email, role):
    from server.services.tokens import issue

    user = make_user(email, role)
    return issue(app.extensions["account360"].store, user.id, f"{email}: laptop")


@pytest.mark.parametrize("scopes,allowed", [
    ("read", {"read"}), ("write", {"write"}), ("import", {"import"}),
    ("read write", {"read", "write"}), ("admin", {"read", "write", "import"})])
def test_each_scope_opens_its_routes_only(seeded, store, scopes, allowed):
    auth = _bearer(create_token(store, "t", scopes=scopes))
    calls = {
        "read": lambda: seeded.get("/api/v1/accounts", headers=auth),
        "write": lambda: seeded.post("/api/v1/accounts/acme/notes", json={"body": "hi"},
                                     headers=auth),
        "import": lambda: seeded.post("/api/v1/import", data=ACME, headers={**auth, **NDJSON}),
    }
    for scope, call in calls.items():
        r = call()
        if scope in allowed:
            assert r.status_code in (200, 201), (scope, r.data)
        else:
            assert r.status_code == 403, scope
            err = r.get_json()["error"]
            assert err["code"] == "insufficient_scope" and f"'{scope}'" in err["message"]
            assert err["details"]["required_scope"] == scope
    me = seeded.get("/api/v1/me", headers=auth)
    assert me.status_code == 200 and set(me.get_json()["scopes"]) == set(scopes.split())


def test_a_csm_personal_token_reads_and_writes_but_cannot_import(app, seeded, make_user):
    auth = _bearer(_personal(app, make_user, "csm@example.com", "csm"))
    assert seeded.get("/api/v1/accounts/acme/360", headers=auth).status_code == 200
    assert seeded.post("/api/v1/accounts/acme/tasks", json={"subject": "call"},
                       headers=auth).status_code == 201
    r = seeded.post("/api/v1/import", data=ACME, headers={**auth, **NDJSON})
    assert r.status_code == 403 and r.get_json()["error"]["details"]["required_scope"] == "import"
    assert seeded.get("/api/v1/me", headers=auth).get_json()["scopes"] == ["read", "write"]


def test_a_csm_token_is_capped_by_its_role_whatever_its_stored_scopes(app, seeded, store,
                                                                     make_user):
    """Tokens from before scopes existed are stored as admin; a CSM's still cannot import."""
    from sqlalchemy import update

    from server import models as m

    auth = _bearer(_personal(app, make_user, "csm@example.com", "csm"))
    with store.session() as s:
        s.execute(update(m.ApiToken).values(scopes="admin"))
    assert seeded.post("/api/v1/import", data=ACME,
                       headers={**auth, **NDJSON}).status_code == 403


def test_an_admin_personal_token_can_import(app, seeded, make_user):
    auth = _bearer(_personal(app, make_user, "boss@example.com", "admin"))
    assert seeded.post("/api/v1/import", data=ACME, headers={**auth, **NDJSON}).status_code == 200


def test_a_csm_changes_only_own_tasks(app, seeded, store, make_user):
    maria = _bearer(_personal(app, make_user, "maria@example.com", "csm"))
    devon = _bearer(_personal(app, make_user, "devon@example.com", "csm"))
    ops = _bearer(create_token(store, "ops"))
    mine = seeded.post("/api/v1/accounts/acme/tasks", json={"subject": "mine"},
                       headers=maria).get_json()["id"]
    owned = seeded.post("/api/v1/accounts/acme/tasks",
                        json={"subject": "for maria", "owner": "maria@example.com"},
                        headers=ops).get_json()["id"]
    others = seeded.post("/api/v1/accounts/acme/tasks",
                         json={"subject": "devon's", "owner": "devon@example.com"},
                         headers=ops).get_json()["id"]
    done = {"status": "done"}
    assert seeded.patch(f"/api/v1/tasks/{mine}", json=done, headers=maria).status_code == 200
    assert seeded.patch(f"/api/v1/tasks/{owned}", json=done, headers=maria).status_code == 200
    r = seeded.patch(f"/api/v1/tasks/{others}", json=done, headers=maria)
    assert r.status_code == 403 and r.get_json()["error"]["code"] == "not_your_task"
    assert seeded.patch(f"/api/v1/tasks/{mine}", json=done, headers=devon).status_code == 403
    assert seeded.patch(f"/api/v1/tasks/{others}", json=done, headers=devon).status_code == 200
    assert seeded.patch(f"/api/v1/tasks/{others}", json=done, headers=ops).status_code == 200


def test_an_expired_token_is_refused(seeded, store):
    past = datetime.now(timezone.utc) - timedelta(seconds=1)
    future = datetime.now(timezone.utc) + timedelta(days=1)
    old = _bearer(create_token(store, "old", expires_at=past))
    live = _bearer(create_token(store, "live", expires_at=future))
    r = seeded.get("/api/v1/me", headers=old)
    assert r.status_code == 401 and "expired" in r.get_json()["error"]["message"]
    assert seeded.get("/api/v1/me", headers=live).status_code == 200


def test_unknown_scopes_are_refused():
    from server.auth import parse_scopes

    with pytest.raises(ValueError, match="superuser"):
        parse_scopes("read superuser")
    assert parse_scopes("write,read") == ("read", "write")
