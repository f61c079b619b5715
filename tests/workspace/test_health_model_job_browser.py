"""The health model page in Chromium on a workspace above ACCOUNT360_PREVIEW_INLINE_ACCOUNTS
(here 0): the backtest's progress while the `backtest.run` job runs in the server's embedded
worker, its stored result, and after an import the older result marked "data changed since"
until the recomputed one is there."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from server.demo import write_demo
from tests.served import free_port, serve, stop_server
from tests.workspace.browsing import CLI, LEAD, PASSWORD, SETTINGS, TODAY, run_cli, sign_in

pytestmark = pytest.mark.browser
TIMEOUT = 120_000


@pytest.fixture(scope="module")
def served_large(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("large")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp), "ACCOUNT360_DATA_DIR": str(tmp / "data"),
           "ACCOUNT360_SECRET_KEY": "browser-test-secret", "ACCOUNT360_SCHEDULER": "web",
           "ACCOUNT360_SYNC_POLL_SECONDS": "1", "ACCOUNT360_PREVIEW_INLINE_ACCOUNTS": "0",
           "ACCOUNT360_SETTINGS": str(tmp / "settings.toml")}
    (tmp / "settings.toml").write_text(SETTINGS)
    run_cli(["db", "upgrade"], env)
    write_demo(tmp / "demo.jsonl", 48, 3000, 7, TODAY)
    run_cli(["import", str(tmp / "demo.jsonl")], env)
    run_cli(["admin", "create", LEAD, "--role", "lead"], env, PASSWORD + "\n")
    url, proc, log = serve(CLI, env, free_port(), tmp / "serve.log")
    yield url, env, tmp
    stop_server(proc, log)


def test_the_stored_backtest_in_the_browser(served_large, chromium, artifact_dir):
    url, env, tmp = served_large
    page = sign_in(chromium, url, LEAD)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{url}/app/health-model")
    expect(page.get_by_test_id("backtest-running")).to_contain_text("Backtest")
    page.screenshot(path=str(artifact_dir / "health-model-job-running.png"))
    expect(page.get_by_test_id("confusion")).to_be_visible(timeout=TIMEOUT)   # it refreshes
    expect(page.get_by_test_id("computed-at")).to_contain_text("no data changed since")
    first = page.get_by_test_id("confusion").inner_text()
    page.screenshot(path=str(artifact_dir / "health-model-stored.png"))
    extra = tmp / "write.jsonl"
    extra.write_text(json.dumps({"type": "account", "id": "late-1", "name": "Late account",
                                 "seats": 3}) + "\n")
    run_cli(["import", str(extra)], env)
    page.reload()
    expect(page.get_by_test_id("computed-at")).to_contain_text("data changed since: recomputing")
    page.screenshot(path=str(artifact_dir / "health-model-stale.png"))
    expect(page.get_by_test_id("computed-at")).to_contain_text("no data changed since",
                                                                timeout=TIMEOUT)
    assert page.get_by_test_id("confusion").inner_text() == first   # a new account has no ARR
