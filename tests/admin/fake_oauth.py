"""A fake HubSpot with its OAuth side: the consent page, the authorization-code grant with
PKCE, refresh and refresh-token deletion, on top of tests.connectors.fake_hubspot's CRM API.
Served over real HTTP in a thread, so Authlib makes real requests."""

from __future__ import annotations

import base64
import hashlib
import html
import json
import secrets
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from tests.connectors.fake_hubspot import FakeHubSpot


class FakeOAuthHubSpot(FakeHubSpot):
    def __init__(self) -> None:
        super().__init__(token="unused-private-token")
        self.codes: dict[str, dict] = {}
        self.authorize_requests: list[dict] = []
        self.token_requests: list[dict] = []
        self.revoked: list[str] = []
        self.issued: list[str] = []
        self.refresh_token = f"refresh-{secrets.token_hex(4)}"

    # -- consent ---------------------------------------------------------------------
    def consent(self, q: dict[str, str]) -> tuple[int, str, dict]:
        self.authorize_requests.append(q)
        if q.get("client_id") != self.client_id or q.get("response_type") != "code":
            return 400, "<p>bad client</p>", {}
        code = secrets.token_urlsafe(12)
        self.codes[code] = {"redirect_uri": q["redirect_uri"],
                            "challenge": q.get("code_challenge"),
                            "method": q.get("code_challenge_method")}
        target = q["redirect_uri"] + "?" + urlencode({"code": code, "state": q.get("state", "")})
        page = (f"<!doctype html><title>Fake HubSpot consent</title><h1>Allow account360?</h1>"
                f"<p>Scopes: {html.escape(q.get('scope', ''))}</p>"
                f'<a id="allow" href="{html.escape(target)}">Allow</a>')
        return 200, page, {"X-Allow-Location": target}

    def token(self, form: dict[str, list[str]]) -> tuple[int, Any]:
        f = {k: v[0] for k, v in form.items()}
        self.token_requests.append(f)
        if f.get("grant_type") == "authorization_code":
            info = self.codes.pop(f.get("code", ""), None)
            if (info is None or f.get("client_id") != self.client_id
                    or f.get("client_secret") != self.client_secret
                    or f.get("redirect_uri") != info["redirect_uri"]):
                return 400, {"status": "BAD_AUTH_CODE", "message": "unknown or used code"}
            if info["challenge"]:
                digest = base64.urlsafe_b64encode(hashlib.sha256(
                    f.get("code_verifier", "").encode()).digest()).rstrip(b"=").decode()
                if digest != info["challenge"]:
                    return 400, {"status": "BAD_PKCE", "message": "code_verifier mismatch"}
            return 200, self._issue()
        if f.get("grant_type") == "refresh_token":
            if (f.get("refresh_token") != self.refresh_token
                    or f.get("refresh_token") in self.revoked
                    or f.get("client_id") != self.client_id
                    or f.get("client_secret") != self.client_secret):
                return 400, {"status": "BAD_REFRESH_TOKEN", "message": "unknown refresh token"}
            self.refreshes += 1
            return 200, self._issue()
        return 400, {"status": "BAD_GRANT_TYPE", "message": "unsupported grant"}

    def _issue(self) -> dict:
        new = f"access-{len(self.issued)}-{secrets.token_hex(6)}"
        self.issued.append(new)
        self.valid_tokens.add(new)
        return {"token_type": "bearer", "refresh_token": self.refresh_token,
                "access_token": new, "expires_in": 1800}

    def _route(self, method, path, query, headers, body):
        if method == "DELETE" and path.startswith("/oauth/v1/refresh-tokens/"):
            tok = path.rsplit("/", 1)[1]
            self.revoked.append(tok)
            return 204, None, {}
        return super()._route(method, path, query, headers, body)

    def start(self) -> str:
        fake = self

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
                if parts.path == "/oauth/authorize" and self.command == "GET":
                    q = {k: v[0] for k, v in parse_qs(parts.query).items()}
                    status, page, extra = fake.consent(q)
                    self._send(status, page.encode(), "text/html; charset=utf-8", extra)
                    return
                hdrs = {k.lower(): v for k, v in self.headers.items()}
                try:
                    status, body, extra = fake.handle(self.command, parts.path,
                                                      parse_qs(parts.query), hdrs, raw)
                except Exception as exc:  # noqa: BLE001
                    status, body, extra = 500, {"message": repr(exc)}, {}
                data = b"" if status == 204 else json.dumps(body).encode()
                self._send(status, data, "application/json;charset=utf-8", extra)

            do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _do

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        return self.url

    def app_config(self) -> dict:
        """The admin settings pointing the app at this fake."""
        return {"HUBSPOT_CLIENT_ID": self.client_id, "HUBSPOT_CLIENT_SECRET": self.client_secret,
                "HUBSPOT_AUTHORIZE_URL": self.url + "/oauth/authorize",
                "HUBSPOT_API_URL": self.url}
