"""Browser tests of the extension: real Chromium, the unpacked extension, a real server.

Session setup: migrate a temporary SQLite database and import tests/extension/workspace.py
into it with the `account360` CLI, create an admin-app user and a token, start `account360 serve` on a free 127.0.0.1 port,
launch Debian's Chromium (never Playwright's download) with the extension loaded, point
the extension at the server through chrome.storage.local, and serve the fixture pages at
the real host URLs with context.route. A missing browser fails the suite.

Environment: CHROMIUM_PATH (default /usr/bin/chromium), ACCOUNT360_CLI (default: the
`account360` script next to this Python), ACCOUNT360_ARTIFACT_DIR (screenshots and
timings; default a pytest temporary directory).
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.served import free_port

from . import workspace

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
EXTENSION_DIR = REPO / "extension"
FIXTURES = HERE / "fixtures"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CLI = os.environ.get("ACCOUNT360_CLI") or str(Path(sys.executable).with_name("account360"))

HOST_PAGES = {
    "gmail": (re.compile(r"^https://mail\.google\.com/"), "gmail.html"),
    "salesforce": (re.compile(r"^https://[a-z0-9-]+\.lightning\.force\.com/"), "salesforce.html"),
    "hubspot": (re.compile(r"^https://app(-eu1)?\.hubspot\.com/"), "hubspot.html"),
}

#: The admin-app user of the workspace (pairing tests sign in as them).
ADMIN_EMAIL = "jane@ourco.com"
ADMIN_PASSWORD = "extension-tests-password"

#: Filled by the timing test, printed in the terminal summary.
TIMINGS: dict[str, dict] = {}



@dataclass
class Workspace:
    dir: Path
    env: dict
    token: str


@dataclass
class Server:
    """`account360 serve` as a real subprocess, stoppable and restartable on the same port."""

    env: dict
    log: Path
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30) -> None:
        fh = self.log.open("ab")
        self.proc = subprocess.Popen(
            [CLI, "serve", "--host", "127.0.0.1", "--port", str(self.port)],
            env=self.env, stdout=fh, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        fh.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"account360 serve exited {self.proc.returncode}:\n"
                                   + self.log.read_text()[-3000:])
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=1) as resp:
                    if json.load(resp).get("status") == "ok":
                        return
            except (OSError, ValueError):
                time.sleep(0.1)
        raise RuntimeError("account360 serve did not answer /healthz:\n"
                           + self.log.read_text()[-3000:])

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None


class Api:
    """A tiny authenticated JSON client for checking what the widget did."""

    def __init__(self, base: str, token: str) -> None:
        self.base, self.token = base, token

    def call(self, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method, headers={
            "Authorization": f"Bearer {self.token}", "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                return resp.status, json.load(resp)
        except urllib.error.HTTPError as exc:
            return exc.code, json.load(exc)

    def get(self, path: str) -> dict:
        status, body = self.call("GET", path)
        assert status == 200, (status, body)
        return body


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="session")
def ws(tmp_path_factory) -> Workspace:
    """Imported workspace + token in a temporary SQLite database."""
    d = tmp_path_factory.mktemp("workspace")
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACCOUNT360_")}
    env.update({
        "ACCOUNT360_DATA_DIR": str(d),
        "ACCOUNT360_DATABASE_URL": f"sqlite:///{d / 'account360.db'}",
        "ACCOUNT360_SECRET_KEY": "extension-tests",
        "PYTHONDONTWRITEBYTECODE": "1",
    })
    if not Path(CLI).exists():
        pytest.fail(f"account360 CLI not found at {CLI} (pip install -e . or set ACCOUNT360_CLI)")
    jsonl = workspace.write(d / "workspace.jsonl")
    done = subprocess.run([CLI, "db", "upgrade"], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    done = subprocess.run([CLI, "import", str(jsonl)], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    done = subprocess.run([CLI, "admin", "create", ADMIN_EMAIL, "--password-stdin"], env=env,
                          input=ADMIN_PASSWORD + "\n", capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    done = subprocess.run([CLI, "token", "create", "--name", "extension-tests"], env=env,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    token = done.stdout.strip().splitlines()[-1].strip()
    return Workspace(dir=d, env=env, token=token)


@pytest.fixture(scope="session")
def browser(tmp_path_factory, playwright_driver):
    """Persistent Chromium context with the unpacked extension and the host fixture pages."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium "
                    "(never `playwright install`)")
    ext = str(EXTENSION_DIR)
    profile = tmp_path_factory.mktemp("profile")
    home = tmp_path_factory.mktemp("home")
    ctx = playwright_driver.chromium.launch_persistent_context(
        str(profile), executable_path=CHROMIUM, headless=True,
        env={**os.environ, "HOME": str(home)},
        args=[f"--disable-extensions-except={ext}", f"--load-extension={ext}",
              "--disable-gpu", "--disable-quic"],
        viewport={"width": 1280, "height": 720})
    for _, (pattern, name) in HOST_PAGES.items():
        ctx.route(pattern, _fixture_handler((FIXTURES / name).read_text(encoding="utf-8")))
    yield ctx
    ctx.close()


def _fixture_handler(html: str):
    def handle(route):
        if route.request.resource_type == "document":
            route.fulfill(status=200, content_type="text/html; charset=utf-8", body=html)
        else:
            route.fulfill(status=404, body="")
    return handle


@pytest.fixture(scope="session")
def service_worker(browser):
    sw = browser.service_workers[0] if browser.service_workers else browser.wait_for_event(
        "serviceworker", timeout=15_000)
    assert sw.url.endswith("/background.js"), sw.url
    return sw


@pytest.fixture(scope="session")
def extension_id(service_worker) -> str:
    return service_worker.url.split("/")[2]


@pytest.fixture(scope="session")
def server(ws, extension_id, tmp_path_factory):
    """The real server, with no extension setting at all (no CORS origin, no extension id):
    the service worker needs no CORS and the manifest's key pins the id the server knows."""
    srv = Server(env=ws.env, log=ws.dir / "serve.log")
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture(scope="session")
def api(server, ws) -> Api:
    return Api(server.url, ws.token)


@pytest.fixture(scope="session")
def configured(browser, service_worker, server, ws):
    """The extension points at this run's server, with the CSM's own domain set."""
    settings = {"serverUrl": server.url, "token": ws.token, "ownDomains": [workspace.OWN_DOMAIN]}
    service_worker.evaluate("s => chrome.storage.local.set(s)", settings)
    for p in list(browser.pages):  # the first-run options tab and the initial blank page
        if p.url.startswith("chrome-extension://"):
            p.close()
    return settings


@dataclass
class PageInfo:
    dialogs: list = field(default_factory=list)
    errors: list = field(default_factory=list)


@pytest.fixture()
def page(browser, configured):
    """A fresh tab; any JavaScript dialog (alert, confirm) is recorded and dismissed."""
    p = browser.new_page()
    info = PageInfo()
    p.on("dialog", lambda d: (info.dialogs.append(d.message), d.dismiss()))
    p.on("pageerror", lambda e: info.errors.append(str(e)))
    p.a360 = info
    yield p
    p.close()


@pytest.fixture()
def open_panel(browser, service_worker, extension_id):
    """Opens the side panel page for a host tab (panel.html?tab=<id>, what the chip's side
    panel loads) in a tab of its own, sized like Chrome's side panel."""
    opened = []

    def open_(host_page):
        tab_id = service_worker.evaluate(
            "url => chrome.tabs.query({}).then(ts => Math.max(...ts.filter(t => t.url === url)"
            ".map(t => t.id)))", host_page.url)
        assert isinstance(tab_id, int) and tab_id > 0, tab_id
        p = browser.new_page()
        p.set_viewport_size({"width": 400, "height": 720})
        p.goto(f"chrome-extension://{extension_id}/panel/panel.html?tab={tab_id}")
        opened.append(p)
        return p

    yield open_
    for p in opened:
        p.close()


@pytest.fixture()
def storage(service_worker):
    """Read and write the extension's chrome.storage.local."""

    class Storage:
        def get(self, key):
            return service_worker.evaluate("k => chrome.storage.local.get(k).then(r => r[k])", key)

        def set(self, items):
            service_worker.evaluate("s => chrome.storage.local.set(s)", items)

    return Storage()


def pytest_terminal_summary(terminalreporter):
    if not TIMINGS:
        return
    terminalreporter.section("widget visible after the page's load event (warm server)")
    for host, t in TIMINGS.items():
        terminalreporter.write_line(
            f"{host:<11} median {t['median_ms']:>4} ms  max {t['max_ms']:>4} ms  "
            f"samples {t['samples_ms']}")
