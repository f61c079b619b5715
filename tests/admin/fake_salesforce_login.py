"""A fake Salesforce login host (login.salesforce.com or test.salesforce.com): the consent
page, the authorization-code grant with PKCE, refresh and revocation, served over real HTTP
in a thread so Authlib and the connector make real requests.

The org's REST API (an https instance host that simple-salesforce insists on) stays in
tests.connectors.fake_salesforce behind `responses`; tokens issued here are valid there.
Token responses follow shared/vendor-specs/salesforce/oauth_token_response.json: they carry
`instance_url` and no `expires_in`.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
import secrets
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import responses

from tests.connectors.fake_salesforce import INSTANCE, FakeSalesforce

CLIENT_ID = "3MVG9-admin-consumer-key"
CLIENT_SECRET = "sf-consumer-secret-0123456789"


def serve_instance(rsps: responses.RequestsMock, org: FakeSalesforce, instance: str) -> None:
    """Answer the org's SOQL on another instance host too (an org that moved)."""
    base = re.escape(f"{instance}/services/data/v{org.version}/")
    rsps.add_callback(responses.GET, re.compile(base + r"(query|queryAll)/\?q=.*"),
                      callback=org._guard(org._query))
    rsps.add_callback(responses.GET, re.compile(base + r"(query|queryAll)/(01g[\w-]+)$"),
                      callback=org._guard(org._more))


class FakeSalesforceLogin:
    def __init__(self, org: FakeSalesforce, label: str) -> None:
        self.org = org
        self.label = label
        self.client_id, self.client_secret = CLIENT_ID, CLIENT_SECRET
        #: What token responses give as instance_url (change it to move the org).
        self.instance_url = INSTANCE
        self.codes: dict[str, dict] = {}
        self.authorize_requests: list[dict] = []
        self.token_requests: list[dict] = []
        self.revoked: list[str] = []
        self.issued: list[str] = []
        self.refreshes = 0
        self.refresh_token = f"5Aep861{label}{secrets.token_hex(8)}"
        self.url = ""

    # -- endpoints -------------------------------------------------------------------
    def consent(self, q: dict[str, str]) -> tuple[int, str, dict]:
        self.authorize_requests.append(q)
        if q.get("client_id") != self.client_id or q.get("response_type") != "code":
            return 400, "<p>error=invalid_client_id</p>", {}
        code = "aPrx" + secrets.token_urlsafe(12)
        self.codes[code] = {"redirect_uri": q["redirect_uri"],
                            "challenge": q.get("code_challenge"),
                            "method": q.get("code_challenge_method")}
        target = q["redirect_uri"] + "?" + urlencode({"code": code, "state": q.get("state", "")})
        page = (f"<!doctype html><title>Fake Salesforce ({self.label})</title>"
                f"<h1>Allow account360 to access Salesforce?</h1>"
                f"<p>Scopes: {html.escape(q.get('scope', ''))}</p>"
                f'<a id="allow" href="{html.escape(target)}">Allow</a>')
        return 200, page, {"X-Allow-Location": target}

    @staticmethod
    def _error(code: str, description: str) -> tuple[int, dict]:
        return 400, {"error": code, "error_description": description}

    def token(self, f: dict[str, str]) -> tuple[int, dict]:
        self.token_requests.append(f)
        if f.get("client_id") != self.client_id or f.get("client_secret") != self.client_secret:
            return self._error("invalid_client", "invalid client credentials")
        if f.get("grant_type") == "authorization_code":
            info = self.codes.pop(f.get("code", ""), None)
            if info is None or f.get("redirect_uri") != info["redirect_uri"]:
                return self._error("invalid_grant", "invalid authorization code")
            if info["challenge"]:
                digest = base64.urlsafe_b64encode(hashlib.sha256(
                    f.get("code_verifier", "").encode()).digest()).rstrip(b"=").decode()
                if digest != info["challenge"]:
                    return self._error("invalid_grant", "invalid code verifier")
            return 200, self._issue(with_refresh=True)
        if f.get("grant_type") == "refresh_token":
            if f.get("refresh_token") != self.refresh_token or f["refresh_token"] in self.revoked:
                return self._error("invalid_grant", "expired access/refresh token")
            self.refreshes += 1
            self.org.valid.difference_update(self.issued)  # the old session ends
            return 200, self._issue(with_refresh=False)  # Salesforce keeps the refresh token
        return self._error("unsupported_grant_type", "grant type not supported")

    def revoke(self, f: dict[str, str]) -> tuple[int, dict | None]:
        tok = f.get("token", "")
        if tok != self.refresh_token and tok not in self.issued:
            return self._error("unsupported_token_type", "this token type is not supported")
        self.revoked.append(tok)
        if tok == self.refresh_token:  # revoking the refresh token ends its sessions too
            self.org.valid.difference_update(self.issued)
        return 200, None

    def _issue(self, with_refresh: bool) -> dict:
        new = f"00D5g000004XXXX!{self.label}-{len(self.issued)}-{secrets.token_hex(6)}"
        self.issued.append(new)
        self.org.valid.add(new)
        out = {"access_token": new, "signature": "SSSbLO/gBhmmyNUvN18ODBDFYHzakxOMgqYtu+hDPsc=",
               "scope": "refresh_token api", "instance_url": self.instance_url,
               "id": f"{self.url}/id/00D5g000004XXXXEA4/0055g00000AbCdEAAV",
               "token_type": "Bearer", "issued_at": "1751900000123"}
        if with_refresh:
            out["refresh_token"] = self.refresh_token
        return out

    # -- server ----------------------------------------------------------------------
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
                if parts.path == "/services/oauth2/authorize" and self.command == "GET":
                    q = {k: v[0] for k, v in parse_qs(parts.query).items()}
                    status, page, extra = fake.consent(q)
                    self._send(status, page.encode(), "text/html; charset=utf-8", extra)
                    return
                form = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
                if self.command == "POST" and parts.path == "/services/oauth2/token":
                    status, body = fake.token(form)
                elif self.command == "POST" and parts.path == "/services/oauth2/revoke":
                    status, body = fake.revoke(form)
                else:
                    status, body = 404, {"error": "not_found", "error_description": parts.path}
                data = b"" if body is None else json.dumps(body).encode()
                self._send(status, data, "application/json;charset=UTF-8", {})

            do_GET = do_POST = _do

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        return self.url

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
