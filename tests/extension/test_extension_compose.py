"""Email assist in Gmail: the compose box's template button inserts a template filled with
the thread account's figures; "Log as touchpoint" records the open thread as an email
touchpoint."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from playwright.sync_api import expect

from .helpers import TIMEOUT, expect_account, expect_chip, gmail_thread, shot

pytestmark = pytest.mark.browser
BODY = ("Hi {{ contact_first_name }}, {{ account_name }} renews on {{ renewal_date }} "
        "({{ days_to_renewal }} days left); {{ active_users }} active users "
        "({{ active_users_trend }}), {{ open_tickets }} open tickets. {{ csm_name }}")


@pytest.fixture()
def template(api):
    status, t = api.call("POST", "/api/v1/templates", {"name": "Renewal check-in", "body": BODY})
    assert status == 201, t
    yield t
    api.call("DELETE", f"/api/v1/templates/{t['id']}")


def test_template_inserted_into_the_reply_has_the_figures(page, template, artifact_dir):
    page.goto(gmail_thread("FMfcgzAcmeThread0000001"))
    expect_chip(page, "Acme Corp")
    page.get_by_test_id("reply").click()
    button = page.get_by_test_id("a360-compose-button")
    expect(button).to_be_visible(timeout=TIMEOUT)
    page.get_by_role("textbox", name="Message Body").type("Hello. ")
    button.click()
    item = page.get_by_test_id("a360-template-item")
    expect(item).to_have_text("Renewal check-in", timeout=TIMEOUT)
    shot(page, artifact_dir, "gmail-compose-templates")
    item.click()
    renew = datetime.now(timezone.utc).date() + timedelta(days=53)
    expected = (f"Hello. Hi Bob, Acme Corp renews on {renew.strftime('%b')} {renew.day}, "
                f"{renew.year} (53 days left); 9 active users (-50.0%), 3 open tickets. Jane")
    body = page.get_by_role("textbox", name="Message Body")
    expect(body).to_have_text(expected, timeout=TIMEOUT)
    expect(page.get_by_test_id("a360-template-menu")).to_be_hidden()
    shot(page, artifact_dir, "gmail-compose-filled")


def test_log_thread_as_touchpoint(page, open_panel, api, artifact_dir):
    page.goto(gmail_thread("FMfcgzGlobexThread00001"))
    expect_chip(page, "Globex Corporation")
    was = api.get("/api/v1/accounts/globex/360")["relationship"]
    before, said = was["touchpoints_90d"] or 0, was["sentiment"]["messages"]
    panel = open_panel(page)
    expect_account(panel, "Globex Corporation")
    panel.get_by_test_id("a360-log-touchpoint").click()
    expect(panel.get_by_test_id("a360-log-msg")).to_have_text(
        "Logged “Renewal paperwork” as an email touchpoint.", timeout=TIMEOUT)
    after = api.get("/api/v1/accounts/globex/360")
    assert after["relationship"]["touchpoints_90d"] == before + 1
    # the thread's latest message, from the customer (pat@globex.com), is now an inbound
    # email message (the sentiment counts inbound customer messages only)
    sentiment = after["relationship"]["sentiment"]
    assert sentiment["messages"] == said + 1, sentiment
    assert sentiment["by_channel"]["email"]["messages"] >= 1
    tasks = api.get("/api/v1/accounts/globex/tasks")["items"]
    assert [t["status"] for t in tasks if t["subject"] == "Email: Renewal paperwork"] == ["done"]
    shot(panel, artifact_dir, "panel-logged-touchpoint")


def test_a_thread_we_answered_last_is_logged_as_an_outbound_email(page, open_panel, api):
    """The Acme thread's latest message is the CSM's own (jane@ourco.com): the logged email
    is `out`, to the customer the widget matched (bob@acme.com)."""
    def bob(body):
        people = body["relationship"]["stakeholders"]
        return next((p for p in people if p["email"] == "bob@acme.com"), None)

    page.goto(gmail_thread("FMfcgzAcmeThread0000001"))
    expect_chip(page, "Acme Corp")
    was = api.get("/api/v1/accounts/acme/360")
    before = (bob(was) or {}).get("messages_out_90d", 0)
    inbound = was["relationship"]["sentiment"]["messages"]
    panel = open_panel(page)
    expect_account(panel, "Acme Corp")
    panel.get_by_test_id("a360-log-touchpoint").click()
    expect(panel.get_by_test_id("a360-log-msg")).to_have_text(
        "Logged “Re: Exports failing again” as an email touchpoint.", timeout=TIMEOUT)
    after = api.get("/api/v1/accounts/acme/360")
    assert bob(after)["messages_out_90d"] == before + 1
    assert after["relationship"]["sentiment"]["messages"] == inbound   # not an inbound one
