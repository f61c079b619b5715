"""The widget in real Chromium (the /preview page renders the extension's widget code) shows
an account's recent playbook firing as text, CRM markup included."""

from __future__ import annotations

import json
import os
from datetime import date, timedelta

import pytest

from tests.admin.test_browser import CLI
from tests.served import free_port, serve, stop_server
from tests.workspace.browsing import XSS, chromium, run_cli  # noqa: F401

pytestmark = pytest.mark.browser

PLAYBOOKS = '''
[[playbook]]
name = "Never touched"
when = { signal = "no_touch" }
[[playbook.action]]
task = { subject = "Reach out to {account.name}" }
'''


def test_the_widget_shows_the_playbook_nudge(tmp_path, chromium, artifact_dir):  # noqa: F811
    from playwright.sync_api import expect

    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path),
           "ACCOUNT360_DATA_DIR": str(tmp_path / "data"), "ACCOUNT360_SCHEDULER": "off",
           "ACCOUNT360_SECRET_KEY": "browser-test-secret",
           "ACCOUNT360_PLAYBOOKS": str(tmp_path / "playbooks.toml")}
    (tmp_path / "playbooks.toml").write_text(PLAYBOOKS)
    start = (date.today() - timedelta(days=200)).isoformat()
    records = tmp_path / "a.jsonl"
    records.write_text(json.dumps({"type": "account", "id": "quiet", "name": XSS,
                                   "owner": "maria@example.com",
                                   "onboarding_start": start}) + "\n")
    run_cli(["db", "upgrade"], env)
    run_cli(["import", str(records)], env)
    assert "1 new episodes" in run_cli(["playbooks", "run"], env)
    token = run_cli(["token", "create", "--name", "widget", "--scope", "read"], env).strip()
    url, proc, log = serve(CLI, env, free_port(), tmp_path / "serve.log")
    try:
        page = chromium.new_page(viewport={"width": 420, "height": 900})
        dialogs = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto(f"{url}/preview?id=quiet#token={token}")
        nudge = page.get_by_test_id("a360-playbook")
        expect(nudge).to_have_text("Playbook: Never touched, task created today", timeout=15000)
        expect(page.get_by_test_id("a360-playbooks")).to_be_visible()
        expect(page.get_by_test_id("a360-name")).to_have_text(XSS)
        page.get_by_test_id("a360-playbooks").scroll_into_view_if_needed()
        page.screenshot(path=str(artifact_dir / "widget-playbook-nudge.png"))
        assert dialogs == []
    finally:
        stop_server(proc, log)
