"""The fake Salesforce org (tests/connectors/fake_salesforce.py) served over real HTTPS in a
thread, for a separate `account360 serve` process that `responses` cannot reach.

simple-salesforce always builds `https://<instance>/services/data/vXX.X/...` URLs, so the
server listens with TLS on 127.0.0.1 and a self-signed certificate made with the `openssl`
CLI; the process that talks to it trusts that certificate through `REQUESTS_CA_BUNDLE`
(`ca_env()`). Every answer (query pages, `nextRecordsUrl`, errors, 401 on a bad session) is
the FakeSalesforce handler's own, so the payload shapes stay those of
shared/vendor-specs/salesforce.
"""

from __future__ import annotations

import re
import ssl
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace

from tests.connectors.fake_salesforce import INSTANCE, FakeSalesforce


class _Routes:
    """Collects the callbacks FakeSalesforce registers (the `responses` API it expects)."""

    def __init__(self) -> None:
        self.routes: list[tuple[str, object, object]] = []

    def add_callback(self, method, url, callback) -> None:
        self.routes.append((method, url, callback))

    def find(self, method: str, url: str):
        for m, pattern, callback in self.routes:
            if m == method and (pattern.fullmatch(url) if isinstance(pattern, re.Pattern)
                                else pattern == url):
                return callback
        return None


def make_certificate(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (cert, key), made with the openssl CLI."""
    cert, key = directory / "fake-salesforce.pem", directory / "fake-salesforce.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True, timeout=60)
    return cert, key


class FakeSalesforceServer:
    """An org reachable at `instance_url` (https://127.0.0.1:<port>)."""

    def __init__(self, directory: Path, **org_options) -> None:
        self.routes = _Routes()
        self.org = FakeSalesforce(self.routes, **org_options)  # type: ignore[arg-type]
        self.cert, self.key = make_certificate(directory)
        self.delay = 0.0  # seconds to wait before answering a query
        self._server: ThreadingHTTPServer | None = None

    @property
    def instance_url(self) -> str:
        assert self._server is not None
        return f"https://127.0.0.1:{self._server.server_address[1]}"

    def ca_env(self) -> dict[str, str]:
        """Environment for a client process that must trust this server."""
        return {"REQUESTS_CA_BUNDLE": str(self.cert)}

    def start(self) -> str:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                pass

            def _answer(self) -> None:
                size = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(size).decode() if size else None
                # the org's routes are written against its public instance URL
                url = INSTANCE + self.path
                callback = fake.routes.find(self.command, url)
                if callback is None:
                    status, payload = 404, '[{"message": "The requested resource does not ' \
                                           'exist", "errorCode": "NOT_FOUND"}]'
                else:
                    if fake.delay and "/query" in self.path:
                        threading.Event().wait(fake.delay)
                    request = SimpleNamespace(method=self.command, url=url, body=body,
                                              headers=dict(self.headers.items()))
                    status, _, payload = callback(request)
                data = payload.encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json;charset=UTF-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PATCH = _answer

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(str(self.cert), str(self.key))
        self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self.instance_url

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
