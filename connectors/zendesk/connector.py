"""The Zendesk connector: incremental ticket export with metrics -> tickets of accounts."""

from __future__ import annotations

from dataclasses import dataclass

from connectors.base import HttpConnector
from connectors.errors import AuthError
from connectors.http import HttpClient, basic
from connectors.registry import register
from connectors.settings import Settings, check_common, raise_problems, setting
from connectors.zendesk.comments import CommentsStream
from connectors.zendesk.tickets import TicketsStream

TOKEN_PATH = "/oauth/tokens"


@dataclass(frozen=True)
class ZendeskSettings(Settings):
    subdomain: str = setting("", help="Your Zendesk subdomain (acme for acme.zendesk.com).")
    base_url: str = setting("", help="Instead of SUBDOMAIN: the full https://... base URL.")
    email: str = setting("", help="Agent email for API-token auth (with API_TOKEN).")
    api_token: str = setting("", secret=True, help="API token (Basic <email>/token:<token>).")
    oauth_token: str = setting("", secret=True, help="OAuth access token (instead of an API "
                                                     "token); scope read or tickets:read.")
    refresh_token: str = setting("", secret=True, help="OAuth refresh token: a rejected "
                                 "access token is renewed once (with CLIENT_ID/CLIENT_SECRET).")
    client_id: str = setting("", help="OAuth client id (for the refresh grant).")
    client_secret: str = setting("", secret=True, help="OAuth client secret.")
    account_match: str = setting("auto", help="How organization external ids and domains "
                                 "match accounts: auto (account id, CRM id, then domain), id, "
                                 "crm or domain.")
    start_date: str = setting("", help="Tickets updated since this day are read on the first "
                                       "run (YYYY-MM-DD); default: BACKFILL_DAYS before today.")
    backfill_days: int = setting(365, help="Days read on the first run without START_DATE.")
    page_size: int = setting(1000, help="Tickets per export page (at most 1000).")
    comments: bool = setting(False, help="Also read the public comments of changed tickets "
                                         "as messages (sentiment, stakeholders): one request "
                                         "per ticket.")

    def validate(self, prefix: str = "") -> None:
        problems = []
        if not self.subdomain and not self.base_url:
            problems.append(f"missing {prefix}SUBDOMAIN (or {prefix}BASE_URL)")
        if not self.oauth_token and not (self.email and self.api_token):
            problems.append(f"missing {prefix}EMAIL and {prefix}API_TOKEN, or "
                            f"{prefix}OAUTH_TOKEN")
        if self.refresh_token and not (self.client_id and self.client_secret):
            problems.append(f"{prefix}REFRESH_TOKEN needs {prefix}CLIENT_ID and "
                            f"{prefix}CLIENT_SECRET")
        raise_problems(problems + check_common(prefix, self, max_page_size=1000), "zendesk")


@register
class ZendeskConnector(HttpConnector):
    name = "zendesk"
    title = "Zendesk Support"
    settings_class = ZendeskSettings
    streams = (TicketsStream, CommentsStream)
    http_timeout = (5, 60)

    def __init__(self, settings, session=None, *, workspace=None) -> None:
        super().__init__(settings, session=session, workspace=workspace)
        self._access = settings.oauth_token

    @property
    def base_url(self) -> str:
        return self.settings.base_url or f"https://{self.settings.subdomain}.zendesk.com"

    def _auth(self, headers: dict) -> None:
        s = self.settings
        if self._access:
            headers["Authorization"] = f"Bearer {self._access}"
        else:
            headers["Authorization"] = basic(f"{s.email}/token", s.api_token)

    def _refresh(self) -> None:
        s = self.settings
        if not (self._access and s.refresh_token):
            raise AuthError("the OAuth token was rejected and no refresh token is configured",
                            connector=self.name, status=401)
        plain = HttpClient(self.name, self.base_url, session=self.session, sleep=self.sleep,
                           max_retries=2)
        data = plain.post_json(TOKEN_PATH, json={
            "grant_type": "refresh_token", "refresh_token": s.refresh_token,
            "client_id": s.client_id, "client_secret": s.client_secret}, idempotent=True)
        token = data.get("access_token") if isinstance(data, dict) else None
        if not token:
            raise AuthError("the refresh grant returned no access token", connector=self.name)
        self._access = token

    def _http_options(self) -> dict:
        return {"refresh": self._refresh if self.settings.refresh_token else None}

    def check(self) -> None:
        """Who am I: proves the subdomain and the credentials."""
        self.http.get_json("/api/v2/users/me.json")

