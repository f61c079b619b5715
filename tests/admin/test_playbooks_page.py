"""The admin app's Playbooks page: the file viewed and edited with validation (a bad file is
refused and nothing is written), a version history of who changed what (an edit on disk
too), today's preview, the firings with their outcomes, secrets stored encrypted."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from server.importer import import_lines
from server.playbooks.models import PlaybookSecret, PlaybookVersion
from server.rows.refresh import today

FIRST = '''[[playbook]]
name = "Never touched"
when = { signal = "no_touch" }
[[playbook.action]]
task = { subject = "Reach out to {account.name}" }
'''


@pytest.fixture
def page(make_app, tmp_path):
    from tests.admin.conftest import Browser

    path = tmp_path / "playbooks.toml"
    path.write_text(FIRST)
    app = make_app(PLAYBOOKS=str(path))
    store = app.extensions["account360"].store
    import_lines(store, [json.dumps({
        "type": "account", "id": "quiet", "name": "Quiet <Co>", "owner": "maria@example.com",
        "onboarding_start": (today() - timedelta(days=200)).isoformat()}).encode()])
    from server.services.users import create_user
    from tests.admin.conftest import PASSWORD
    create_user(store, "boss@example.com", "admin", password=PASSWORD)
    create_user(store, "maria@example.com", "csm", password=PASSWORD)
    b = Browser(app.test_client())
    b.login("boss@example.com")
    return b, path, store, app


def _versions(store):
    with store.sessions() as s:
        return [(v.author, v.summary) for v in s.scalars(select(PlaybookVersion)
                                                         .order_by(PlaybookVersion.id))]


def test_edit_with_validation_and_versions(page):
    b, path, store, _ = page
    html = b.get("/admin/playbooks").get_data(as_text=True)
    assert 'data-testid="preview-row"' in html
    assert "Quiet &lt;Co&gt;" in html and "<Co>" not in html
    assert "Reach out to Quiet &lt;Co&gt;" in html
    assert _versions(store) == [("file on disk", "first version: Never touched")]

    bad = FIRST.replace('"no_touch"', '"no_tuoch"')
    r = b.post("/admin/playbooks", {"text": bad})
    assert r.status_code == 400
    body = r.get_data(as_text=True)
    assert ("playbook &#39;Never touched&#39;, key when.signal: unknown signal "
            "&#39;no_tuoch&#39;") in body
    assert path.read_text() == FIRST                      # nothing written
    assert len(_versions(store)) == 1

    second = FIRST + '''
[[playbook]]
name = "Renewal soon"
when = { days_to_renewal = 60 }
[[playbook.action]]
task = { subject = "Prepare the renewal of {account.name}" }
'''
    r = b.post("/admin/playbooks", {"text": second})
    assert r.status_code == 200 and "Saved." in r.get_data(as_text=True)
    assert path.read_text() == second
    changed = second.replace("Reach out to", "Call")
    b.post("/admin/playbooks", {"text": changed})
    assert _versions(store) == [("file on disk", "first version: Never touched"),
                                ("boss@example.com", "added Renewal soon"),
                                ("boss@example.com", "changed Never touched")]
    with store.sessions() as s:
        first_id = s.scalar(select(PlaybookVersion.id).order_by(PlaybookVersion.id))
        assert all(FIRST not in v.sealed for v in s.scalars(select(PlaybookVersion)))
    old = b.get(f"/admin/playbooks/versions/{first_id}").get_data(as_text=True)
    assert "Reach out to {account.name}" in old


def test_secrets_are_stored_encrypted_and_never_shown(page):
    b, _, store, _ = page
    url = "https://hooks.slack.com/services/T0/B0/abcdefghijklmnop"
    r = b.post("/admin/playbooks/secrets", {"name": "cs-alerts", "value": url})
    assert r.status_code == 302
    html = b.get("/admin/playbooks").get_data(as_text=True)
    assert "secret:cs-alerts" in html and url not in html
    with store.sessions() as s:
        row = s.get(PlaybookSecret, "cs-alerts")
        assert row.updated_by == "boss@example.com" and url not in row.sealed
    bad = b.post("/admin/playbooks/secrets", {"name": "Bad Name", "value": "x"})
    assert bad.status_code == 400
    assert b.post("/admin/playbooks/secrets/cs-alerts/delete").status_code == 302
    with store.sessions() as s:
        assert s.get(PlaybookSecret, "cs-alerts") is None


def test_the_firings_table_and_a_csm_is_refused(page):
    from server.playbooks.service import run
    from server.playbooks.spec import parse
    from tests.admin.conftest import Browser
    from tests.server.playbooks_helpers import env

    b, _, store, app = page
    run(env(store), parse(FIRST), today())
    html = b.get("/admin/playbooks").get_data(as_text=True)
    assert '<li data-status="sent">task: sent</li>' in html
    assert "nothing (already acted)" in html
    csm = Browser(app.test_client())
    csm.login("maria@example.com")
    assert csm.get("/admin/playbooks").status_code == 403
