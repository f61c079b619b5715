"""A fake Salesforce login host (login.salesforce.com or test.salesforce.com): the consent
page, the authorization-code grant with PKCE, refresh and revocation, served over real HTTP
in a thread so Authlib and the connector make real requests.

The org's REST API (an https instance host that simple-salesforce insists on) stays in
tests.connectors.fake_salesforce behind `responses`; tokens issued here are valid there.
Token responses follow shared/vendor-specs/salesforce/oauth_token_response.json: they carry
`instance_url` and no `expires_in`.
"""

from __future__ import annotations

import re
import secrets
from urllib.parse import parse_qs

import responses

from tests.admin.fake_oauth_server import consent_page, issue_code, pkce_ok, serve
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
        return consent_page(f"Fake Salesforce ({self.label})",
                            "Allow account360 to access Salesforce?", q,
                            issue_code(self.codes, q, prefix="aPrx"))

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
            if not pkce_ok(info, f.get("code_verifier", "")):
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
    def _route(self, method: str, path: str, query: dict, headers: dict,
               raw: bytes) -> tuple[int, dict | None, dict]:
        form = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
        if method == "POST" and path == "/services/oauth2/token":
            return (*self.token(form), {})
        if method == "POST" and path == "/services/oauth2/revoke":
            return (*self.revoke(form), {})
        return 404, {"error": "not_found", "error_description": path}, {}

    def start(self) -> str:
        self.server, self.url = serve("/services/oauth2/authorize", self.consent, self._route,
                                      "application/json;charset=UTF-8")
        return self.url

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
