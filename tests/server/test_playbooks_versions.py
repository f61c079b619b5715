"""An edit of the playbooks file on disk is recorded as a version (by "file on disk", with the
diff) by whichever reader sees it first: the command line's run and preview, the scheduler's
playbooks.run job, the admin page; a bad edit records nothing; two readers at once record it
once."""

from __future__ import annotations

import json
import threading
from datetime import timedelta

from click.testing import CliRunner
from sqlalchemy import select

from server.admin import admin_state
from server.cli import main
from server.importer import import_lines
from server.jobs.queue import defer
from server.playbooks.models import PlaybookVersion
from server.playbooks.store import load_file, version_diff
from server.rows.refresh import today
from server.secrets import Vault

ONE = '''[[playbook]]
name = "Never touched"
when = { signal = "no_touch" }
[[playbook.action]]
task = { subject = "Reach out to {account.name}" }
'''
TWO = ONE.replace("Reach out to", "Call") + '''
[[playbook]]
name = "Renewal soon"
when = { days_to_renewal = 60 }
[[playbook.action]]
task = { subject = "Prepare the renewal of {account.name}" }
'''


def _versions(store):
    with store.sessions() as s:
        return [(v.author, v.summary) for v in s.scalars(select(PlaybookVersion)
                                                         .order_by(PlaybookVersion.id))]


def test_the_command_line_records_edits_made_on_disk(store, db_url, tmp_path):
    import_lines(store, [json.dumps({"type": "account", "id": "quiet", "name": "Quiet",
                                     "onboarding_start": (today() - timedelta(days=200))
                                     .isoformat()}).encode()])
    path = tmp_path / "playbooks.toml"
    path.write_text(ONE)
    env = {"ACCOUNT360_DATABASE_URL": db_url, "ACCOUNT360_DATA_DIR": str(tmp_path),
           "ACCOUNT360_SECRET_KEY": "test-secret", "ACCOUNT360_PLAYBOOKS": str(path)}
    cli = CliRunner()
    assert cli.invoke(main, ["playbooks", "preview"], env=env).exit_code == 0
    assert _versions(store) == [("file on disk", "first version: Never touched")]
    assert cli.invoke(main, ["playbooks", "run"], env=env).exit_code == 0
    assert len(_versions(store)) == 1                   # unchanged: no new version
    path.write_text(TWO)
    res = cli.invoke(main, ["playbooks", "run"], env=env)
    assert res.exit_code == 0, res.output
    assert _versions(store)[1] == ("file on disk", "added Renewal soon; changed Never touched")
    path.write_text(TWO.replace('"no_touch"', '"no_tuoch"'))      # a bad edit: nothing
    assert cli.invoke(main, ["playbooks", "preview"], env=env).exit_code == 1
    draft = tmp_path / "draft.toml"                      # a draft named on the command line
    draft.write_text(ONE)                                # is not the workspace's file
    assert cli.invoke(main, ["playbooks", "preview", str(draft)], env=env).exit_code == 0
    assert len(_versions(store)) == 2
    with store.sessions() as s:
        second = s.scalar(select(PlaybookVersion.id).order_by(PlaybookVersion.id.desc()))
        diff = version_diff(s, Vault("test-secret"), second)
    assert "-task = { subject = \"Reach out to {account.name}\" }\n" in diff
    assert "+task = { subject = \"Call {account.name}\" }\n" in diff
    assert "+name = \"Renewal soon\"\n" in diff


def test_the_scheduler_and_the_admin_page_record_edits(make_app, tmp_path):
    from server.services.users import create_user
    from tests.admin.conftest import PASSWORD, Browser

    path = tmp_path / "playbooks.toml"
    path.write_text(ONE)
    app = make_app(PLAYBOOKS=str(path))
    store = app.extensions["account360"].store
    with store.session() as s:
        defer(s, "playbooks.run", store=store, trigger="sync")
    for th in admin_state(app).runner.tick():
        th.join(60)
    assert _versions(store) == [("file on disk", "first version: Never touched")]
    path.write_text(TWO)
    create_user(store, "boss@example.com", "admin", password=PASSWORD)
    b = Browser(app.test_client())
    b.login("boss@example.com")
    assert b.get("/admin/playbooks").status_code == 200
    assert _versions(store)[1] == ("file on disk", "added Renewal soon; changed Never touched")
    with store.sessions() as s:
        second = s.scalar(select(PlaybookVersion.id).order_by(PlaybookVersion.id.desc()))
    html = b.get(f"/admin/playbooks/versions/{second}").get_data(as_text=True)
    assert '<span class="add">+name = &#34;Renewal soon&#34;</span>' in html
    assert '<span class="del">-task = { subject = &#34;Reach out to {account.name}&#34; }' \
           '</span>' in html


def test_two_readers_at_once_record_an_edit_once(store, tmp_path):
    path = tmp_path / "playbooks.toml"
    path.write_text(ONE)
    vault = Vault("test-secret")
    load_file(store, vault, path)
    path.write_text(TWO)
    go = threading.Barrier(4)
    errors = []

    def read():
        go.wait()
        try:
            load_file(store, vault, path)
        except Exception as exc:  # noqa: BLE001 - the test reports it
            errors.append(exc)

    threads = [threading.Thread(target=read) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert [a for a, _ in _versions(store)] == ["file on disk", "file on disk"]
