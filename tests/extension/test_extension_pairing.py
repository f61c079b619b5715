"""One-click pairing from the server's My tokens page with no server setting, confirmed by
the user in the extension's own window; a page's pairing the user does not confirm is refused."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from server.extension import PINNED_ID, id_of_key
from tests.served import free_port

from .conftest import ADMIN_EMAIL, ADMIN_PASSWORD, EXTENSION_DIR
from .helpers import TIMEOUT, shot

pytestmark = pytest.mark.browser
FAKE_TOKEN = "a360_" + "x" * 40


def test_manifest_key_pins_the_id_the_server_knows(extension_id):
    key = json.loads((EXTENSION_DIR / "manifest.json").read_text())["key"]
    assert id_of_key(key) == PINNED_ID == extension_id


@pytest.fixture()
def restore_pairing(storage, configured):
    yield
    storage.set({"serverUrl": configured["serverUrl"], "token": configured["token"]})


def sign_in(page, server):
    page.goto(f"{server.url}/admin/login")
    page.fill("input[name=email]", ADMIN_EMAIL)
    page.fill("input[name=password]", ADMIN_PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"{server.url}/admin/me")


def test_one_click_pairing_after_confirming_the_origin(page, browser, server, storage,
                                                      restore_pairing, artifact_dir):
    sign_in(page, server)
    before = storage.get("token")
    with browser.expect_page(timeout=TIMEOUT) as opened:
        page.get_by_test_id("pair-extension").click()
    confirm = opened.value
    expect(confirm.get_by_test_id("confirm-origin")).to_have_text(server.url, timeout=TIMEOUT)
    expect(page.locator("#pair-result")).to_contain_text("Confirm this server's address")
    assert storage.get("token") == before  # nothing stored before the user confirms
    shot(confirm, artifact_dir, "pairing-confirm")
    confirm.get_by_test_id("confirm-accept").click()
    expect(page.locator("#pair-result")).to_have_text("The extension is connected to this server.",
                                                      timeout=TIMEOUT)
    token = storage.get("token")
    assert token.startswith("a360_") and token != FAKE_TOKEN
    assert storage.get("serverUrl") == server.url
    # The paired token works and belongs to the signed-in user.
    from .conftest import Api

    me = Api(server.url, token).get("/api/v1/me")
    assert me["token_name"] == f"{ADMIN_EMAIL}: browser extension"
    shot(page, artifact_dir, "pairing-connected")


def _evil_page(browser, port):
    page = browser.new_page()
    origin = f"http://localhost:{port}"
    page.route(f"{origin}/**", lambda r: r.fulfill(
        status=200, content_type="text/html", body="<!doctype html><title>any local page</title>"))
    page.goto(f"{origin}/start")
    return page, origin


PAIR_JS = """([id, server, token]) => new Promise(resolve => chrome.runtime.sendMessage(
    id, {type: 'a360Pair', serverUrl: server, token}, reply => resolve(reply)))"""
#: Starts a pairing without waiting for its answer (the answer needs the user).
START_JS = "args => { window.__pair = (" + PAIR_JS + ")(args); }"


def test_pairing_from_an_unconfirmed_page_is_refused(browser, storage, configured,
                                                     restore_pairing):
    before = storage.get("token")
    evil, origin = _evil_page(browser, free_port())
    try:
        with browser.expect_page(timeout=TIMEOUT) as opened:
            evil.evaluate(START_JS, [PINNED_ID, origin, FAKE_TOKEN])
        confirm = opened.value
        expect(confirm.get_by_test_id("confirm-origin")).to_have_text(origin, timeout=TIMEOUT)
        assert storage.get("token") == before
        confirm.get_by_test_id("confirm-reject").click()
        reply = evil.evaluate("() => window.__pair")
        assert reply["ok"] is False and reply["error"]["code"] == "not_confirmed", reply
        assert storage.get("token") == before and storage.get("serverUrl") == configured["serverUrl"]

        # Closing the window without an answer refuses too.
        with browser.expect_page(timeout=TIMEOUT) as opened:
            evil.evaluate(START_JS, [PINNED_ID, origin, FAKE_TOKEN])
        opened.value.close()
        assert evil.evaluate("() => window.__pair")["error"]["code"] == "not_confirmed"

        # Another origin than the page's own is refused at once, without asking.
        reply = evil.evaluate(PAIR_JS, [PINNED_ID, "http://127.0.0.1:1", FAKE_TOKEN])
        assert reply["error"]["code"] == "forbidden"
        assert storage.get("token") == before
    finally:
        evil.close()
