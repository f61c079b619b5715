"""No secret in any log line: invite secrets (valid 7 days) and the OAuth callback's code and
state are redacted from the access logs of the built-in server and of gunicorn."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import requests
from werkzeug.serving import make_server

from server.logs import redact
from server.services.users import create_user
from tests.served import free_port

CODE = "oauthcode4242secret"
STATE = "oauthstate4242secret"


def _visit(base: str, invite: str) -> None:
    with requests.Session() as s:
        s.get(f"{base}/admin/invite/{invite}", timeout=10)
        s.get(f"{base}/admin/static/admin.css", timeout=10,
              headers={"Referer": f"{base}/admin/invite/{invite}?x=1"})
        s.get(f"{base}/admin/oauth/hubspot/callback?code={CODE}&state={STATE}", timeout=10)


def _secrets(invite: str) -> tuple[str, ...]:
    return (invite, CODE, STATE)


def test_redact_covers_plain_encoded_and_nested_forms():
    line = ('"GET /admin/login?next=/admin/oauth/hubspot/callback%3Fcode%3Dabc%26state%3Ddef '
            'HTTP/1.1" 302 - "https://x/admin/invite/s3cr3t?a=1&token=t0k"')
    out = redact(line)
    assert "abc" not in out and "def" not in out and "s3cr3t" not in out and "t0k" not in out
    assert "/admin/invite/***" in out and "%3Dabc" not in out
    assert redact("GET /admin/connectors?message=ok HTTP/1.1") == \
        "GET /admin/connectors?message=ok HTTP/1.1"


def test_builtin_server_access_log_has_no_secret(app, caplog):
    _, invite = create_user(app.extensions["account360"].store, "new@example.com", "csm")
    server = make_server("127.0.0.1", 0, app, threaded=True)
    th = threading.Thread(target=server.serve_forever, daemon=True)
    th.start()
    caplog.set_level(logging.INFO)
    try:
        _visit(f"http://127.0.0.1:{server.server_port}", invite)
    finally:
        server.shutdown()
        th.join(5)
    lines = [r.getMessage() for r in caplog.records]
    assert any("/admin/invite/***" in line for line in lines), lines
    assert any("/admin/oauth/hubspot/callback" in line for line in lines), lines
    for line in lines:
        for secret in _secrets(invite):
            assert secret not in line, line



def test_gunicorn_access_log_has_no_secret(db_url, tmp_path, app):
    _, invite = create_user(app.extensions["account360"].store, "new@example.com", "csm")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACCOUNT360_")}
    env.update(ACCOUNT360_DATABASE_URL=db_url, ACCOUNT360_DATA_DIR=str(tmp_path / "g"),
               ACCOUNT360_SECRET_KEY="test-secret", ACCOUNT360_SCHEDULER="off")
    log = tmp_path / "access.log"
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    proc = subprocess.Popen(
        [gunicorn, "-w", "1", "-b", f"127.0.0.1:{port}", "--access-logfile", str(log),
         "--error-logfile", str(tmp_path / "error.log"), "server:create_app()"],
        env=env, cwd=str(Path(__file__).resolve().parents[2]),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90  # a worker boots (and migrates) after the bind
        while True:
            try:
                requests.get(f"{base}/healthz", timeout=30)
                break
            except requests.RequestException:
                assert proc.poll() is None and time.monotonic() < deadline, \
                    (tmp_path / "error.log").read_text()
                time.sleep(0.2)
        _visit(base, invite)
    finally:
        proc.terminate()
        proc.wait(10)
    text = log.read_text() + (tmp_path / "error.log").read_text()
    assert "/admin/invite/***" in text and "/admin/oauth/hubspot/callback" in text, text
    for secret in _secrets(invite):
        assert secret not in text, text
