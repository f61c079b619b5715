"""A fake HubSpot with its OAuth side: the consent page, the authorization-code grant with
PKCE, refresh and refresh-token deletion, on top of tests.connectors.fake_hubspot's CRM API.
Served over real HTTP in a thread, so Authlib makes real requests."""

from __future__ import annotations

import secrets
from typing import Any

from tests.admin.fake_oauth_server import consent_page, issue_code, pkce_ok, serve
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
        return consent_page("Fake HubSpot consent", "Allow account360?", q,
                            issue_code(self.codes, q))

    def token(self, form: dict[str, list[str]]) -> tuple[int, Any]:
        f = {k: v[0] for k, v in form.items()}
        self.token_requests.append(f)
        if f.get("grant_type") == "authorization_code":
            info = self.codes.pop(f.get("code", ""), None)
            if (info is None or f.get("client_id") != self.client_id
                    or f.get("client_secret") != self.client_secret
                    or f.get("redirect_uri") != info["redirect_uri"]):
                return 400, {"status": "BAD_AUTH_CODE", "message": "unknown or used code"}
            if not pkce_ok(info, f.get("code_verifier", "")):
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
        self.server, self.url = serve("/oauth/authorize", self.consent, self.handle,
                                      "application/json;charset=utf-8")
        return self.url

    def app_config(self) -> dict:
        """The admin settings pointing the app at this fake."""
        return {"HUBSPOT_CLIENT_ID": self.client_id, "HUBSPOT_CLIENT_SECRET": self.client_secret,
                "HUBSPOT_AUTHORIZE_URL": self.url + "/oauth/authorize",
                "HUBSPOT_API_URL": self.url}
