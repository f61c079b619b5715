"""The extension's own pages (options, popup, full view) and the server's preview page."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from . import workspace
from .helpers import TIMEOUT, expect_account, shot

pytestmark = pytest.mark.browser


@pytest.fixture()
def options(browser, extension_id, configured):
    p = browser.new_page()
    p.goto(f"chrome-extension://{extension_id}/options/options.html")
    expect(p.get_by_test_id("options-server")).to_have_value(configured["serverUrl"])
    yield p
    p.close()


def test_options_test_connection_ok(options, artifact_dir):
    expect(options.get_by_test_id("options-domains")).to_have_value(workspace.OWN_DOMAIN)
    options.get_by_test_id("options-test").click()
    status = options.get_by_test_id("options-status")
    expect(status).to_have_attribute("data-result", "ok", timeout=TIMEOUT)
    expect(status).to_contain_text("OK")
    expect(status).to_contain_text("extension-tests")
    shot(options, artifact_dir, "options-ok")


def test_options_test_connection_bad_token(options, artifact_dir):
    options.get_by_test_id("options-token").fill("a360_wrong")
    options.get_by_test_id("options-test").click()
    status = options.get_by_test_id("options-status")
    expect(status).to_have_attribute("data-result", "bad_token", timeout=TIMEOUT)
    expect(status).to_contain_text("Bad token")
    shot(options, artifact_dir, "options-bad-token")


def test_options_test_connection_unreachable(options):
    from tests.served import free_port

    options.get_by_test_id("options-server").fill(f"http://127.0.0.1:{free_port()}")
    options.get_by_test_id("options-test").click()
    status = options.get_by_test_id("options-status")
    expect(status).to_have_attribute("data-result", "unreachable", timeout=TIMEOUT)
    expect(status).to_contain_text("Server unreachable")


def test_options_validation_and_save(options, storage, configured):
    options.get_by_test_id("options-server").fill("http://crm.example.com")
    options.get_by_test_id("options-save").click()
    expect(options.get_by_test_id("options-status")).to_contain_text("must use https")
    assert storage.get("serverUrl") == configured["serverUrl"]

    options.get_by_test_id("options-server").fill(configured["serverUrl"] + "/")
    options.get_by_test_id("options-domains").fill("@OurCo.com, ourco.io")
    options.get_by_test_id("options-save").click()
    expect(options.get_by_test_id("options-status")).to_have_text("Saved.")
    assert storage.get("ownDomains") == ["ourco.com", "ourco.io"]
    assert storage.get("serverUrl") == configured["serverUrl"]
    storage.set({"ownDomains": configured["ownDomains"]})


def test_popup_search_opens_full_view(browser, extension_id, configured, artifact_dir):
    popup = browser.new_page()
    popup.set_viewport_size({"width": 360, "height": 480})
    popup.goto(f"chrome-extension://{extension_id}/popup/popup.html")
    expect(popup.get_by_test_id("popup-result").first).to_be_visible(timeout=TIMEOUT)
    popup.get_by_test_id("popup-search").fill("glob")
    results = popup.get_by_test_id("popup-result")
    expect(results).to_have_count(1, timeout=TIMEOUT)
    expect(results.first).to_contain_text("Globex Corporation")
    shot(popup, artifact_dir, "popup-search")
    with browser.expect_page() as opened:
        results.first.click()
    view = opened.value
    view.set_viewport_size({"width": 1280, "height": 1000})
    expect(view).to_have_url(f"chrome-extension://{extension_id}/view/view.html?id=globex")
    expect_account(view, "Globex Corporation")
    expect(view.get_by_test_id("a360-relationship")).to_contain_text("NPS")
    expect(view).to_have_title("Globex Corporation · account360")
    shot(view, artifact_dir, "full-view-globex")
    view.close()


def test_popup_search_no_match(browser, extension_id, configured):
    popup = browser.new_page()
    popup.goto(f"chrome-extension://{extension_id}/popup/popup.html")
    popup.get_by_test_id("popup-search").fill("zzz-nothing")
    expect(popup.get_by_test_id("popup-status")).to_have_text(
        "No account matches “zzz-nothing”.", timeout=TIMEOUT)
    popup.close()


def test_full_view_renders_xss_name_as_text(browser, extension_id, configured):
    view = browser.new_page()
    dialogs = []
    view.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    view.goto(f"chrome-extension://{extension_id}/view/view.html?id=xss")
    expect_account(view, workspace.XSS_NAME)
    view.wait_for_timeout(300)
    assert dialogs == []
    view.close()


def test_preview_page_renders_widget(browser, server, ws, artifact_dir):
    p = browser.new_page()
    dialogs = []
    p.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    p.goto(f"{server.url}/preview?email=bob@acme.com#token={ws.token}")
    expect_account(p, "Acme Corp")
    assert "token" not in p.url  # the fragment is dropped from the address bar
    shot(p, artifact_dir, "preview-acme")
    # By account id, and the token survives in sessionStorage for the tab.
    p.goto(f"{server.url}/preview?id=xss")
    expect_account(p, workspace.XSS_NAME)
    assert dialogs == []
    p.close()


def test_preview_page_without_token_asks_for_one(browser, server):
    p = browser.new_page()
    p.goto(f"{server.url}/preview?id=acme")
    expect(p.get_by_test_id("preview-note")).to_contain_text("token")
    assert p.locator("#account360-widget-host").count() == 0
    p.close()


def test_preview_serves_only_widget_files(server):
    import urllib.error
    import urllib.request

    with urllib.request.urlopen(server.url + "/preview/ext/content/widget/widget.js") as resp:
        assert resp.status == 200
    for path in ("/preview/ext/manifest.json", "/preview/ext/../server/preview.py",
                 "/preview/ext/background.js"):
        with pytest.raises(urllib.error.HTTPError) as exc:
            urllib.request.urlopen(server.url + path)
        assert exc.value.code == 404
