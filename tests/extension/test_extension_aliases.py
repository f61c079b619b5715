"""Visible matching and the one-click fix: the panel says how the account was found; "Wrong
account?" (or "Link to an account") saves an alias for the whole team, which the next lookup
of that sender answers with match.kind "alias", for another user too."""

from __future__ import annotations

import re
import subprocess

import pytest
from playwright.sync_api import expect

from .conftest import CLI, Api
from .helpers import TIMEOUT, expect_account, expect_chip, gmail_thread, shot

pytestmark = pytest.mark.browser


@pytest.fixture()
def other_user(ws, server):
    done = subprocess.run([CLI, "token", "create", "--name", "raj"], env=ws.env,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return Api(server.url, done.stdout.strip().splitlines()[-1].strip())


@pytest.fixture()
def clean_aliases(api):
    yield
    for alias in api.get("/api/v1/aliases")["items"]:
        api.call("DELETE", f"/api/v1/aliases/{alias['id']}")


def test_wrong_account_saves_an_alias_for_the_team(page, open_panel, api, other_user,
                                                   clean_aliases, artifact_dir):
    page.goto(gmail_thread("FMfcgzAcmeThread0000001"))
    expect_chip(page, "Acme Corp")
    panel = open_panel(page)
    expect_account(panel, "Acme Corp")
    expect(panel.get_by_test_id("a360-match-text")).to_have_text(
        "Found by contact email bob@acme.com")
    panel.get_by_test_id("a360-fix-open").click()
    panel.get_by_test_id("a360-fix-search").fill("glob")
    results = panel.get_by_test_id("a360-fix-result")
    expect(results).to_have_count(1, timeout=TIMEOUT)
    shot(panel, artifact_dir, "panel-wrong-account-search")
    results.first.click()
    # The panel reloads with the chosen account and says why.
    expect_account(panel, "Globex Corporation")
    expect(panel.get_by_test_id("a360-match-text")).to_have_text(re.compile(
        r"^Found by alias \(bob@acme\.com\) set by extension-tests on \w{3} \d{1,2}, \d{4}$"))
    # The chip in the page follows.
    expect_chip(page, "Globex Corporation")
    shot(panel, artifact_dir, "panel-alias-globex")
    # Another user of the team gets the alias too; audit log has who and before/after.
    body = other_user.get("/api/v1/accounts/lookup?email=bob@acme.com")
    assert body["account"]["id"] == "globex" and body["match"]["kind"] == "alias"
    log = api.get("/api/v1/aliases/changes")["items"]
    assert (log[0]["actor"], log[0]["value"], log[0]["before_account_id"],
            log[0]["after_account_id"]) == ("extension-tests", "bob@acme.com", None, "globex")


def test_free_mail_sender_without_contact_links_to_an_account(page, open_panel, api,
                                                             clean_aliases, artifact_dir):
    page.goto(gmail_thread("FMfcgzFreemailNoContact"))
    panel = open_panel(page)
    expect(panel.get_by_test_id("a360-nomatch")).to_contain_text("No account for gmail.com",
                                                                 timeout=TIMEOUT)
    panel.get_by_test_id("a360-fix-open").click()
    # A free-mail domain is never aliased as a whole: only this address is offered.
    expect(panel.get_by_test_id("a360-fix-kind-email")).to_be_checked()
    expect(panel.get_by_test_id("a360-fix-kind-domain")).to_have_count(0)
    panel.get_by_test_id("a360-fix-search").fill("umbrella")
    expect(panel.get_by_test_id("a360-fix-result")).to_have_count(1, timeout=TIMEOUT)
    panel.get_by_test_id("a360-fix-result").first.click()
    expect_account(panel, "Umbrella Health")
    expect(panel.get_by_test_id("a360-match-text")).to_contain_text(
        "alias (zoe.personal@gmail.com)")
    expect_chip(page, "Umbrella Health")
    shot(panel, artifact_dir, "panel-freemail-linked")
    items = api.get("/api/v1/aliases")["items"]
    assert [(i["kind"], i["value"], i["account_id"]) for i in items] == [
        ("email", "zoe.personal@gmail.com", "umbrella")]
