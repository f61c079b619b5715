"""What the fake OAuth vendors share: authorization codes with PKCE, the consent page, and
a real HTTP server in a thread (so Authlib and the connectors make real requests)."""

from __future__ import annotations

import base64
import hashlib
import html
import json
import secrets
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

#: route(method, path, query, headers, body) -> (status, JSON body or None, extra headers)
Route = Callable[[str, str, dict, dict, bytes], tuple[int, Any, dict]]


def issue_code(codes: dict[str, dict], q: dict[str, str], prefix: str = "") -> str:
    """Remember a new authorization code for the request; return the redirect target."""
    code = prefix + secrets.token_urlsafe(12)
    codes[code] = {"redirect_uri": q["redirect_uri"], "challenge": q.get("code_challenge"),
                   "method": q.get("code_challenge_method")}
    return q["redirect_uri"] + "?" + urlencode({"code": code, "state": q.get("state", "")})


def consent_page(title: str, heading: str, q: dict[str, str],
                 target: str) -> tuple[int, str, dict]:
    """The consent page with its Allow link (also given as X-Allow-Location)."""
    page = (f"<!doctype html><title>{html.escape(title)}</title><h1>{html.escape(heading)}</h1>"
            f"<p>Scopes: {html.escape(q.get('scope', ''))}</p>"
            f'<a id="allow" href="{html.escape(target)}">Allow</a>')
    return 200, page, {"X-Allow-Location": target}


def pkce_ok(info: dict, verifier: str) -> bool:
    """True when no challenge was sent or the verifier matches the S256 challenge."""
    if not info["challenge"]:
        return True
    digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    return digest.rstrip(b"=").decode() == info["challenge"]


def serve(authorize_path: str, consent: Callable[[dict], tuple[int, str, dict]], route: Route,
          json_type: str) -> tuple[ThreadingHTTPServer, str]:
    """Start the fake on a free loopback port; returns the server and its base URL."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _send(self, status: int, data: bytes, ctype: str, extra: dict) -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            for k, v in extra.items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

        def _do(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            if parts.path == authorize_path and self.command == "GET":
                status, page, extra = consent({k: v[0] for k, v in
                                               parse_qs(parts.query).items()})
                self._send(status, page.encode(), "text/html; charset=utf-8", extra)
                return
            hdrs = {k.lower(): v for k, v in self.headers.items()}
            try:
                status, body, extra = route(self.command, parts.path, parse_qs(parts.query),
                                            hdrs, raw)
            except Exception as exc:  # noqa: BLE001 - a fake answers 500 like a vendor would
                status, body, extra = 500, {"message": repr(exc)}, {}
            data = b"" if body is None or status == 204 else json.dumps(body).encode()
            self._send(status, data, json_type, extra)

        do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _do

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"
