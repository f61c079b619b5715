"""A local HTTP server in a thread that plays a vendor API for connector tests.

Routes map (method, path) to a handler ``handler(req) -> Resp``; a route may also hold a
queue of scripted responses (429, 5xx...) served before the handler. Iterable bodies are sent
with chunked transfer encoding, so clients really stream; ``Resp(cut_after=n)`` closes the
connection after n body bytes to play a dropped connection mid-export.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse


@dataclass
class Req:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def arg(self, name: str, default=None):
        vals = self.query.get(name)
        return vals[0] if vals else default

    def json(self):
        return json.loads(self.body or b"null")


@dataclass
class Resp:
    status: int = 200
    body: bytes | Iterable[bytes] = b""
    headers: dict[str, str] = field(default_factory=dict)
    cut_after: int | None = None

    @classmethod
    def json(cls, data, status: int = 200, **headers) -> Resp:
        return cls(status, json.dumps(data).encode(), {"Content-Type": "application/json",
                                                       **headers})


class FakeServer:
    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], Callable[[Req], Resp]] = {}
        self.scripted: dict[tuple[str, str], list[Resp]] = {}
        self.requests: list[Req] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet
                pass

            def _serve(self):
                u = urlparse(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                req = Req(self.command, u.path, parse_qs(u.query),
                          {k.lower(): v for k, v in self.headers.items()}, body)
                server.requests.append(req)
                key = (self.command, u.path)
                queue = server.scripted.get(key)
                if queue:
                    resp = queue.pop(0)
                elif key in server.routes:
                    resp = server.routes[key](req)
                else:
                    resp = Resp.json({"error": "not found"}, 404)
                self._write(resp)

            do_GET = do_POST = _serve

            def _write(self, resp: Resp):
                self.send_response(resp.status)
                for k, v in resp.headers.items():
                    self.send_header(k, v)
                if isinstance(resp.body, (bytes, bytearray)) and resp.cut_after is None:
                    self.send_header("Content-Length", str(len(resp.body)))
                    self.end_headers()
                    self.wfile.write(resp.body)
                    return
                chunks = [resp.body] if isinstance(resp.body, (bytes, bytearray)) else resp.body
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                sent = 0
                for chunk in chunks:
                    if not chunk:
                        continue
                    if resp.cut_after is not None and sent + len(chunk) > resp.cut_after:
                        part = chunk[:resp.cut_after - sent]
                        if part:
                            self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
                        self.wfile.flush()
                        self.close_connection = True
                        return
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                    sent += len(chunk)
                self.wfile.write(b"0\r\n\r\n")

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def route(self, method: str, path: str, handler: Callable[[Req], Resp]) -> None:
        self.routes[(method, path)] = handler

    def script(self, method: str, path: str, *responses: Resp) -> None:
        self.scripted.setdefault((method, path), []).extend(responses)

    def calls(self, path: str) -> list[Req]:
        return [r for r in self.requests if r.path == path]

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
