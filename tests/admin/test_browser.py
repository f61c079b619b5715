"""One real browser run: sign in, Connect HubSpot, pass the fake consent page, land on a
connected card and watch the first sync finish. A real `account360 serve` subprocess, the
fake vendor in this process, Debian's Chromium through Playwright."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.admin.conftest import PASSWORD
from tests.connectors.hubspot_portal import seed
from tests.served import free_port, serve, stop_server

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CLI = os.environ.get("ACCOUNT360_CLI") or str(Path(sys.executable).with_name("account360"))

pytestmark = pytest.mark.browser



def start_server(tmp_path, oauth_fake, app_in_env=True, **extra):
    port = free_port()
    app = {k: v for k, v in oauth_fake.app_config().items() if app_in_env or "CLIENT" not in k}
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path),
           "ACCOUNT360_DATA_DIR": str(tmp_path / "data"),
           "ACCOUNT360_SECRET_KEY": "browser-test-secret",
           "ACCOUNT360_SYNC_POLL_SECONDS": "0.5",
           **{f"ACCOUNT360_{k}": v for k, v in {**app, **extra}.items()}}
    if os.environ.get("ACCOUNT360_TEST_DATABASE_URL"):
        env["ACCOUNT360_DATABASE_URL"] = f"sqlite:///{tmp_path / 'data' / 'browser.db'}"
    made = subprocess.run([CLI, "db", "upgrade"], env=env, text=True, capture_output=True,
                          timeout=60)
    assert made.returncode == 0, made.stderr
    made = subprocess.run([CLI, "admin", "create", "admin@example.com"], env=env,
                          input=PASSWORD + "\n", text=True, capture_output=True, timeout=60)
    assert made.returncode == 0, made.stderr
    url, proc, log = serve(CLI, env, port, tmp_path / "serve.log")
    return url, proc, log



@pytest.fixture
def server(tmp_path, oauth_fake):
    seed(oauth_fake)
    oauth_fake.search_delay = 0.1
    url, proc, log = start_server(tmp_path, oauth_fake)
    yield url
    stop_server(proc, log)


def test_connect_hubspot_and_watch_the_first_sync(server, oauth_fake, tmp_path):
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium is missing at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                     env={**os.environ, "HOME": str(tmp_path)},
                                     args=["--disable-gpu", "--disable-quic"])
        page = browser.new_page()
        try:
            page.goto(server + "/")
            expect(page).to_have_url(server + "/admin/login?next=/admin/")
            page.get_by_label("Email").fill("admin@example.com")
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            expect(page).to_have_url(server + "/admin/connectors")
            card = page.locator("#card-hubspot")
            expect(card.locator('[data-field="status"]')).to_have_text("not connected")
            page.get_by_test_id("connect-hubspot").click()
            expect(page.get_by_role("heading", name="Allow account360?")).to_be_visible()
            assert page.url.startswith(oauth_fake.url + "/oauth/authorize?")
            page.get_by_role("link", name="Allow").click()
            expect(page.get_by_role("status")).to_contain_text("hubspot connected")
            expect(card.locator('[data-stream="companies"]')).to_be_visible(timeout=20_000)
            expect(card).to_have_attribute("data-status", "connected", timeout=60_000)
            expect(card.locator('[data-field="last-sync"]')).to_contain_text("success")
            expect(card.locator('[data-stream="deals"]')).to_have_attribute(
                "data-stream-status", "success")
            expect(card.locator('[data-field="records"]')).not_to_contain_text("0 in the last")
            page.screenshot(path=str(tmp_path / "connected.png"))
        finally:
            browser.close()


def test_paste_the_oauth_app_in_the_card_then_connect(tmp_path, oauth_fake):
    """No OAuth app client id or secret in the environment: the admin copies the redirect URL,
    pastes the app's client id and secret in the card and connects in the same session."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium is missing at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import expect, sync_playwright

    url, proc, log = start_server(tmp_path, oauth_fake, app_in_env=False)
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                         env={**os.environ, "HOME": str(tmp_path)},
                                         args=["--disable-gpu", "--disable-quic"])
            page = browser.new_page()
            try:
                page.goto(url + "/admin/login")
                page.get_by_label("Email").fill("admin@example.com")
                page.get_by_label("Password").fill(PASSWORD)
                page.get_by_role("button", name="Sign in").click()
                expect(page).to_have_url(url + "/admin/connectors")
                card = page.locator("#card-hubspot")
                expect(card.get_by_test_id("connect-hubspot")).to_have_count(0)
                expect(card.get_by_test_id("redirect-url-hubspot")).to_have_text(
                    url + "/admin/oauth/hubspot/callback")
                card.get_by_label("Client ID").fill(oauth_fake.client_id)
                card.get_by_label("Client secret").fill(oauth_fake.client_secret)
                card.get_by_test_id("save-oauth-app-hubspot").click()
                expect(page.get_by_role("status")).to_contain_text("OAuth app saved")
                assert oauth_fake.client_secret not in page.content()
                page.locator("#card-hubspot").get_by_test_id("connect-hubspot").click()
                expect(page.get_by_role("heading", name="Allow account360?")).to_be_visible()
                page.get_by_role("link", name="Allow").click()
                expect(page.get_by_role("status")).to_contain_text("hubspot connected")
            finally:
                browser.close()
    finally:
        stop_server(proc, log)


def test_one_click_extension_pairing(tmp_path, oauth_fake):
    """The admin page hands the server URL and a fresh token to the installed extension, which
    keeps them once the user confirms the server's origin."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium is missing at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import expect, sync_playwright

    ext = str(Path(__file__).resolve().parents[2] / "extension")
    with sync_playwright() as pw:
        ctx = pw.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=CHROMIUM, headless=True,
            env={**os.environ, "HOME": str(tmp_path)},
            args=[f"--disable-extensions-except={ext}", f"--load-extension={ext}",
                  "--disable-gpu", "--disable-quic"])
        try:
            sw = ctx.service_workers[0] if ctx.service_workers else \
                ctx.wait_for_event("serviceworker")
            ext_id = sw.url.split("/")[2]
            url, proc, log = start_server(tmp_path, oauth_fake, EXTENSION_ID=ext_id)
            try:
                page = ctx.new_page()
                page.goto(url + "/admin/login")
                page.get_by_label("Email").fill("admin@example.com")
                page.get_by_label("Password").fill(PASSWORD)
                page.get_by_role("button", name="Sign in").click()
                page.goto(url + "/admin/me")
                with ctx.expect_page() as opened:
                    page.get_by_test_id("pair-extension").click()
                # The extension asks the user to confirm the server's origin first.
                confirm = opened.value
                expect(confirm.get_by_test_id("confirm-origin")).to_have_text(url)
                assert not sw.evaluate("chrome.storage.local.get('token')").get("token")
                confirm.get_by_test_id("confirm-accept").click()
                expect(page.locator("#pair-result")).to_have_text(
                    "The extension is connected to this server.")
                stored = sw.evaluate("chrome.storage.local.get(['serverUrl', 'token'])")
                assert stored["serverUrl"] == url and stored["token"].startswith("a360_")
                me = urllib.request.urlopen(urllib.request.Request(
                    url + "/api/v1/me", headers={"Authorization": f"Bearer {stored['token']}"}))
                assert me.status == 200
                page.reload()
                expect(page.get_by_text("admin@example.com: browser extension").first).to_be_visible()
                assert stored["token"] not in page.content()
            finally:
                stop_server(proc, log)
        finally:
            ctx.close()


def test_pairing_code_from_the_options_page(tmp_path, oauth_fake):
    """No externally_connectable needed: the options page trades the code shown on My tokens
    for a token through the service worker, then the widget's API calls work with it."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium is missing at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import expect, sync_playwright

    ext = str(Path(__file__).resolve().parents[2] / "extension")
    url, proc, log = start_server(tmp_path, oauth_fake)  # no extension id, no CORS origins
    try:
        with sync_playwright() as pw:
            ctx = pw.chromium.launch_persistent_context(
                str(tmp_path / "profile"), executable_path=CHROMIUM, headless=True,
                env={**os.environ, "HOME": str(tmp_path)},
                args=[f"--disable-extensions-except={ext}", f"--load-extension={ext}",
                      "--disable-gpu", "--disable-quic"])
            try:
                sw = ctx.service_workers[0] if ctx.service_workers else \
                    ctx.wait_for_event("serviceworker")
                ext_id = sw.url.split("/")[2]
                options_url = f"chrome-extension://{ext_id}/options/options.html"
                # first install opens the options page by itself: wait for it, then use it
                deadline = time.time() + 10
                while time.time() < deadline and not any(
                        p.url.startswith(options_url) for p in ctx.pages):
                    time.sleep(0.1)
                page = ctx.new_page()
                page.goto(url + "/admin/login")
                page.get_by_label("Email").fill("admin@example.com")
                page.get_by_label("Password").fill(PASSWORD)
                page.get_by_role("button", name="Sign in").click()
                page.goto(url + "/admin/me")
                code = page.get_by_test_id("pairing-code").inner_text().strip()
                shown_url = page.get_by_test_id("pair-server-url").inner_text().strip()
                assert shown_url == url

                opts = next((p for p in ctx.pages if p.url.startswith(options_url)), None)
                if opts is None:
                    opts = ctx.new_page()
                    opts.goto(options_url)
                opts.bring_to_front()
                opts.get_by_test_id("options-server").fill(shown_url)
                opts.get_by_test_id("options-pair-code").fill("ZZZZ-ZZZZ")
                opts.get_by_test_id("options-pair").click()
                status = opts.get_by_test_id("options-status")
                expect(status).to_contain_text("Pairing failed")
                opts.get_by_test_id("options-pair-code").fill(code.lower())
                opts.get_by_test_id("options-pair").click()
                expect(status).to_have_text("Paired as admin@example.com.")
                stored = sw.evaluate("chrome.storage.local.get(['serverUrl', 'token'])")
                assert stored["serverUrl"] == url and stored["token"].startswith("a360_")
                expect(opts.get_by_test_id("options-token")).to_have_value(stored["token"])

                # the code is burnt
                again = urllib.request.Request(url + "/api/v1/pair", method="POST",
                                               data=b'{"code": "%s"}' % code.encode(),
                                               headers={"Content-Type": "application/json"})
                with pytest.raises(urllib.error.HTTPError) as refused:
                    urllib.request.urlopen(again)
                assert refused.value.code == 400

                # one account, then the widget's lookup goes through the service worker
                # with the stored token
                rec = b'{"type": "account", "id": "acme", "name": "Acme Corp", ' \
                      b'"domains": ["acme.com"]}\n'
                imp = urllib.request.urlopen(urllib.request.Request(
                    url + "/api/v1/import", data=rec, method="POST",
                    headers={"Authorization": f"Bearer {stored['token']}",
                             "Content-Type": "application/x-ndjson"}))
                assert imp.status == 200
                res = opts.evaluate(
                    "A360.send({type: 'lookup', query: {domain: 'acme.com'}})")
                assert res["ok"], res
                assert "Acme Corp" in json.dumps(res["data"])
                test = opts.evaluate(
                    "s => A360.send({type: 'testConnection', serverUrl: s.serverUrl, "
                    "token: s.token})", stored)
                assert test["ok"] and test["result"] == "ok", test
                page.reload()
                expect(page.get_by_text(
                    "admin@example.com: browser extension (pairing code)").first).to_be_visible()
                opts.screenshot(path=str(tmp_path / "paired.png"))
            finally:
                ctx.close()
    finally:
        stop_server(proc, log)
