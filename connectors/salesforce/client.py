"""The Salesforce client: `simple-salesforce` calls under the shared retry and error rules.

Sessions come from an OAuth access token (refreshed with the refresh token on
INVALID_SESSION_ID) or from a username/password login (logged in again on expiry).
REQUEST_LIMIT_EXCEEDED stops: it means the org's daily API allocation is spent.
"""

from __future__ import annotations

import logging
import time
import typing as t
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests
from simple_salesforce import Salesforce, SalesforceLogin
from simple_salesforce.exceptions import SalesforceAuthenticationFailed, SalesforceError

from connectors.errors import AuthError, ResponseError, TransientError
from connectors.http import HttpClient, Retrier, classify, never_sent, safe_url
from connectors.pagination import NextUrlPaginator, paginate
from connectors.salesforce.settings import SalesforceSettings

log = logging.getLogger(__name__)


@dataclass(frozen=True, repr=False)
class SalesforceToken:
    """An access token and the instance it belongs to (the instance can move on refresh)."""

    access_token: str
    instance_url: str
    refresh_token: str | None = None
    #: Salesforce tokens carry no lifetime (they last the org's session timeout).
    expires_at: float | None = None

    def __repr__(self) -> str:
        return f"SalesforceToken(access_token=***, instance_url={self.instance_url!r})"


def refresh_access_token(*, client_id: str, refresh_token: str, client_secret: str | None = None,
                         login_url: str = "https://login.salesforce.com",
                         session: requests.Session | None = None,
                         sleep: Callable[[float], None] = time.sleep) -> SalesforceToken:
    """POST {login}/services/oauth2/token with grant_type=refresh_token (AuthError if refused)."""
    http = HttpClient("salesforce", login_url, session=session, max_retries=3, sleep=sleep)
    form = {"grant_type": "refresh_token", "client_id": client_id, "refresh_token": refresh_token}
    if client_secret:
        form["client_secret"] = client_secret
    try:
        data = http.post_json("/services/oauth2/token", data=form, idempotent=True)
    except ResponseError as exc:
        raise AuthError(f"Salesforce refused the refresh token: {exc.message}",
                        connector="salesforce", status=exc.status, url=exc.url) from None
    if not isinstance(data, dict) or not data.get("access_token") or not data.get("instance_url"):
        raise ResponseError("the token endpoint answered without access_token/instance_url",
                            connector="salesforce")
    return SalesforceToken(data["access_token"], data["instance_url"],
                           data.get("refresh_token") or refresh_token)


class SalesforceClient:
    """SOQL pages, record creation and logins with typed errors and retries."""

    def __init__(self, settings: SalesforceSettings, session: requests.Session | None = None,
                 sleep: Callable[[float], None] = time.sleep,
                 on_refresh: Callable[[SalesforceToken], None] | None = None) -> None:
        self.settings = settings
        self.session = session or requests.Session()
        self.sleep = sleep
        self.on_refresh = on_refresh
        self.timeout = (10.0, float(settings.timeout))
        self.refreshes = 0
        can_refresh = bool(settings.username or (settings.refresh_token and settings.client_id))
        self.retrier = Retrier("salesforce", refresh=self._refresh if can_refresh else None,
                               max_retries=settings.max_retries, sleep=sleep)
        self._sf: Salesforce | None = None
        if settings.access_token:
            self._connect(settings.access_token, settings.instance_url or "")

    # -- sessions ---------------------------------------------------------------------
    def _connect(self, session_id: str, instance_url: str) -> None:
        host = urlsplit(instance_url).netloc or instance_url
        self._sf = Salesforce(session_id=session_id, instance=host,
                              version=self.settings.api_version, session=self.session)

    def _login(self) -> None:
        s = self.settings
        try:
            session_id, host = SalesforceLogin(
                username=s.username, password=s.password, security_token=s.security_token or "",
                domain=s.domain, sf_version=s.api_version, session=self.session)
        except SalesforceAuthenticationFailed as exc:
            raise AuthError(f"Salesforce login failed: {exc}", connector="salesforce",
                            status=401) from None
        except requests.RequestException as exc:
            raise TransientError(f"{type(exc).__name__} logging in to Salesforce",
                                 connector="salesforce") from exc
        self._connect(session_id, f"https://{host}")

    def _refresh(self) -> None:
        s = self.settings
        self.refreshes += 1
        if s.username:
            log.info("salesforce: session expired; logging in again")
            self._login()
            return
        token = refresh_access_token(client_id=s.client_id or "", client_secret=s.client_secret,
                                     refresh_token=s.refresh_token or "", login_url=s.login_url,
                                     session=self.session, sleep=self.sleep)
        log.info("salesforce: access token refreshed")
        self._connect(token.access_token, token.instance_url)
        if self.on_refresh is not None:
            self.on_refresh(token)

    @property
    def sf(self) -> Salesforce:
        if self._sf is None:
            self._login()
        return self._sf  # type: ignore[return-value]

    # -- calls ------------------------------------------------------------------------
    def call(self, what: str, fn: Callable[[Salesforce], t.Any], stream: str | None = None,
             idempotent: bool = True, object: str | None = None,
             method: str = "GET") -> t.Any:
        """Run fn(sf) with retries: typed errors, one refresh on INVALID_SESSION_ID; a create
        (not idempotent) is sent again only after errors that prove it never left. Errors
        name the sObject (`object`) and the request (`GET /services/data/v60.0/query/`)."""

        def endpoint(url: str | None) -> str | None:
            return f"{method} {urlsplit(url).path}" if url else None

        def attempt() -> t.Any:
            try:
                return fn(self.sf)
            except SalesforceError as exc:
                content = exc.content
                where = {"connector": "salesforce", "stream": stream, "object": object,
                         "endpoint": endpoint(exc.url)}
                raise classify(exc.status or 0, {}, content if isinstance(content, (str, bytes))
                               else _json_text(content), url=exc.url, **where) or ResponseError(
                    str(exc), **where) from None
            except requests.RequestException as exc:
                url = getattr(exc.request, "url", None)
                raise TransientError(f"{type(exc).__name__} talking to Salesforce",
                                     connector="salesforce", stream=stream,
                                     url=safe_url(url), unsent=never_sent(exc), object=object,
                                     endpoint=endpoint(url)) from None

        return self.retrier.call(attempt, stream=stream, what=what, idempotent=idempotent)

    def query_pages(self, soql: str, include_deleted: bool = False, stream: str | None = None,
                    object: str | None = None) -> Iterator[dict]:
        """Each page of a SOQL query (`records`, `done`, `nextRecordsUrl`), in order."""
        headers = {"Sforce-Query-Options": f"batchSize={self.settings.batch_size}"}

        def fetch(url: str | None) -> dict:
            if url is None:
                return self.call("query", lambda sf: sf.query(
                    soql, include_deleted=include_deleted, headers=headers,
                    timeout=self.timeout), stream=stream, object=object)
            return self.call("query more", lambda sf: sf.query_more(
                url, identifier_is_url=True, headers=headers, timeout=self.timeout),
                stream=stream, object=object)

        for page, _ in paginate(fetch, NextUrlPaginator("nextRecordsUrl", done_path="done",
                                                        connector="salesforce", stream=stream)):
            yield page

    def query_all(self, soql: str, stream: str | None = None) -> list[dict]:
        return [r for page in self.query_pages(soql, stream=stream) for r in page["records"]]

    def create(self, sobject: str, data: dict) -> str:
        """Create a record; returns its id."""
        result = self.call(f"create {sobject}", lambda sf: getattr(sf, sobject).create(data),
                           idempotent=False)
        if not isinstance(result, dict) or not result.get("id") or result.get("success") is False:
            raise ResponseError(f"Salesforce did not create the {sobject}: "
                                f"{_json_text(result)[:300]}", connector="salesforce")
        return str(result["id"])

    @property
    def api_usage(self) -> str | None:
        usage = getattr(self._sf, "api_usage", None) or {}
        total = usage.get("api-usage")
        return f"{total.used}/{total.total}" if total is not None else None


def _json_text(content: t.Any) -> str:
    import json

    try:
        return json.dumps(content)
    except (TypeError, ValueError):
        return str(content)
