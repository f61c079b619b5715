"""The HubSpot client: `hubspot-api-client` calls under the shared retry and error rules.

The SDK builds each request (paths, query encoding, auth header) and sends it through
urllib3. Answers are read with `_preload_content=False` and decoded here, so one bad
record is skipped on its own instead of failing the SDK's deserialisation of the whole
page, and large syncs do not pay for model objects. Errors go through
connectors.http.classify and retries through connectors.http.Retrier, like every connector.
"""

from __future__ import annotations

import json
import logging
import time
import typing as t
from collections.abc import Callable, Iterator

import urllib3
from hubspot import HubSpot
from hubspot.crm.associations.v4.models import (
    BatchInputPublicFetchAssociationsBatchRequest,
    PublicFetchAssociationsBatchRequest,
)
from hubspot.crm.objects.models import (
    AssociationSpec,
    Filter,
    FilterGroup,
    PublicAssociationsForObject,
    PublicObjectId,
    PublicObjectSearchRequest,
    SimplePublicObjectInputForCreate,
)

from connectors.errors import ConfigError, ResponseError, TransientError
from connectors.http import HttpClient, Retrier, classify, never_sent, safe_url, truncated_json
from connectors.hubspot import scopes
from connectors.hubspot.auth import HubSpotAuth, TokenSet
from connectors.hubspot.settings import HubSpotSettings
from connectors.pagination import CursorPaginator, paginate

log = logging.getLogger(__name__)


def _is_api_exception(exc: BaseException) -> bool:
    return any(c.__name__ == "ApiException" for c in type(exc).__mro__)


class HubSpotClient:
    """Typed, retried HubSpot calls returning decoded JSON."""

    def __init__(self, settings: HubSpotSettings, sleep: Callable[[float], None] = time.sleep,
                 on_refresh: Callable[[TokenSet], None] | None = None) -> None:
        self.settings = settings
        self.auth = HubSpotAuth(
            settings.access_token, settings.refresh_token, settings.client_id,
            settings.client_secret, settings.token_expires_at, base_url=settings.base_url,
            token_path=settings.token_path, on_refresh=on_refresh, sleep=sleep)
        self.retrier = Retrier("hubspot", refresh=self._refresh if self.auth.can_refresh else None,
                               max_retries=settings.max_retries, sleep=sleep)
        self.timeout = (10.0, float(settings.timeout))
        # The SDK must not retry on its own: retries and backoff happen in self.retrier.
        self.sdk = HubSpot(access_token=settings.access_token,
                           host=settings.base_url.rstrip("/"),
                           retry=urllib3.util.Retry(total=0, redirect=3, raise_on_redirect=True))
        self._apis: dict[str, t.Any] = {}
        self._token = settings.access_token
        # The SDK logs whole response bodies at DEBUG; customer records never go to logs.
        logging.getLogger("hubspot").setLevel(max(logging.getLogger("hubspot").level,
                                                  logging.INFO))

    # -- plumbing ---------------------------------------------------------------
    def _api(self, key: str) -> t.Any:
        api = self._apis.get(key)
        if api is None:
            crm = self.sdk.crm
            api = {"search": lambda: crm.objects.search_api,
                   "basic": lambda: crm.objects.basic_api,
                   "assoc": lambda: crm.associations.v4.batch_api,
                   "owners": lambda: crm.owners.owners_api,
                   "tokens": lambda: self.sdk.oauth.access_tokens_api,
                   "pipelines": lambda: crm.pipelines.pipelines_api}[key]()
            api.api_client.configuration.access_token = self._token
            self._apis[key] = api
        return api

    def _use_token(self, token: str) -> None:
        if token != self._token:
            self._token = token
            for api in self._apis.values():
                api.api_client.configuration.access_token = token

    def _refresh(self) -> None:
        self._use_token(self.auth.refresh())

    def call(self, what: str, api: str, method: str, *args: t.Any, stream: str | None = None,
             idempotent: bool = True, endpoint: str | None = None, object: str | None = None,
             **kwargs: t.Any) -> t.Any:
        """Call an SDK method with retries (a create, not idempotent, only after errors that
        prove HubSpot never got it); returns the decoded JSON answer. `endpoint` and
        `object` name the request and the HubSpot object in error texts. An answer that
        broke off (a truncated body) is retried like a 5xx."""
        fn = getattr(self._api(api), method)
        where = {"connector": "hubspot", "stream": stream, "endpoint": endpoint,
                 "object": object}

        def attempt() -> t.Any:
            self._use_token(self.auth.token())
            try:
                resp = fn(*args, _preload_content=False, _request_timeout=self.timeout, **kwargs)
            except urllib3.exceptions.HTTPError as exc:
                raise TransientError(f"{type(exc).__name__} talking to HubSpot",
                                     url=safe_url(self.settings.base_url),
                                     unsent=never_sent(exc), **where) from None
            except Exception as exc:
                if not _is_api_exception(exc):
                    raise
                status = getattr(exc, "status", 0) or 0
                if status == 0:  # the SDK's own wrapper of TLS and request-building problems
                    raise ConfigError(f"cannot call HubSpot: {getattr(exc, 'reason', exc)}",
                                      **where) from None
                err = classify(status, dict(getattr(exc, "headers", None) or {}),
                               getattr(exc, "body", None), url=self.settings.base_url,
                               rate_limit_hook=_rate_limit_wait, **where)
                raise err from None
            data = b""
            try:
                data = resp.data
                return json.loads(data) if data else None
            except urllib3.exceptions.HTTPError as exc:  # the body broke off while read
                raise TransientError(f"the answer broke off ({type(exc).__name__})",
                                     **where) from None
            except ValueError:
                if truncated_json(data):
                    raise TransientError("the answer broke off (truncated JSON)",
                                         **where) from None
                raise ResponseError(f"HubSpot answered {what} with something that is not JSON",
                                    status=resp.status, **where) from None
            finally:
                resp.release_conn()

        return self.retrier.call(attempt, stream=stream, what=what, idempotent=idempotent)

    # -- endpoints ----------------------------------------------------------------
    def search(self, object_type: str, filters: list[tuple[str, str, str]],
               sort: str, properties: list[str], after: str | None = None,
               limit: int = 200, stream: str | None = None) -> dict:
        """POST /crm/v3/objects/{type}/search with one filter group (ANDed filters); a list
        value is sent as `values` (operators IN, NOT_IN)."""
        request = PublicObjectSearchRequest(
            filter_groups=[FilterGroup(filters=[
                Filter(property_name=p, operator=op, values=[str(x) for x in v])
                if isinstance(v, (list, tuple)) else Filter(property_name=p, operator=op, value=v)
                for p, op, v in filters])],
            sorts=[{"propertyName": sort, "direction": "ASCENDING"}],
            properties=properties, limit=limit, after=after or "0")
        return self.call(f"search {object_type}", "search", "do_search", object_type, request,
                         stream=stream, endpoint=f"POST /crm/v3/objects/{object_type}/search",
                         object=object_type)

    def list_archived(self, object_type: str, properties: list[str] | None = None,
                      stream: str | None = None, after: str | None = None
                      ) -> Iterator[tuple[dict, str | None]]:
        """Pages of archived objects (GET /crm/v3/objects/{type}?archived=true), with the cursor."""
        def fetch(token: str | None) -> dict:
            kwargs: dict[str, t.Any] = {"limit": 100, "archived": True}
            if token:
                kwargs["after"] = token
            if properties:
                kwargs["properties"] = properties
            return self.call(f"list archived {object_type}", "basic", "get_page", object_type,
                             stream=stream, endpoint=f"GET /crm/v3/objects/{object_type}",
                             object=f"archived {object_type}", **kwargs)

        yield from paginate(fetch, CursorPaginator("paging.next.after", start=after,
                                                   connector="hubspot", stream=stream))

    def associations(self, from_type: str, to_type: str, ids: list[str],
                     stream: str | None = None) -> dict[str, list[dict]]:
        """{from id: [{toObjectId, associationTypes}]} via the v4 batch read (1000 ids a call)."""
        out: dict[str, list[dict]] = {}
        for i in range(0, len(ids), 1000):
            # One shared model configuration: building a default one per id costs more
            # than the HTTP call.
            cfg = self._api("assoc").api_client.configuration
            body = BatchInputPublicFetchAssociationsBatchRequest(
                inputs=[PublicFetchAssociationsBatchRequest(id=x, local_vars_configuration=cfg)
                        for x in ids[i:i + 1000]], local_vars_configuration=cfg)
            data = self.call(f"associations {from_type}->{to_type}", "assoc", "get_page",
                             from_type, to_type, body, stream=stream,
                             endpoint=f"POST /crm/v4/associations/{from_type}/{to_type}"
                                      "/batch/read",
                             object=f"{from_type} to {to_type} associations") or {}
            for item in data.get("results") or []:
                src = str((item.get("from") or {}).get("id"))
                out.setdefault(src, []).extend(item.get("to") or [])
        return out

    def owners(self) -> list[dict]:
        """Every owner, active and archived (id -> email for CSM attribution)."""
        owners: list[dict] = []
        for archived in (False, True):
            def fetch(token: str | None, archived: bool = archived) -> dict:
                kwargs: dict[str, t.Any] = {"limit": 500, "archived": archived}
                if token:
                    kwargs["after"] = token
                return self.call("list owners", "owners", "get_page",
                                 endpoint="GET /crm/v3/owners", object="owners", **kwargs) or {}

            for page, _ in paginate(fetch, CursorPaginator("paging.next.after",
                                                           connector="hubspot", stream="owners")):
                owners.extend(page.get("results") or [])
        return owners

    def pipelines(self, object_type: str) -> list[dict]:
        """The pipelines of deals or tickets, with their stages."""
        data = self.call(f"pipelines {object_type}", "pipelines", "get_all", object_type,
                         endpoint=f"GET /crm/v3/pipelines/{object_type}",
                         object=f"{object_type[:-1]} pipelines") or {}
        return data.get("results") or []

    def token_scopes(self) -> tuple[list[str], str]:
        """The scopes HubSpot says the access token has, and which endpoint said so: the
        private-app token info for a `pat-` token, else the OAuth access-token metadata."""
        token = self.auth.token()
        if token.startswith(scopes.PRIVATE_APP_PREFIX):
            http = HttpClient("hubspot", self.settings.base_url, timeout=self.timeout,
                              max_retries=self.settings.max_retries, sleep=self.auth.sleep)
            try:
                data = http.post_json(scopes.PRIVATE_APP_INFO, json={"tokenKey": token},
                                      idempotent=True, object="private app token info")
            finally:
                http.close()
            source = "private app token info"
        else:
            data = self.call("token info", "tokens", "get", token, object="token info",
                             endpoint="GET " + scopes.OAUTH_INFO.format(token="<token>"))
            source = "OAuth token info"
        granted = data.get("scopes") if isinstance(data, dict) else None
        if not isinstance(granted, list):
            raise ResponseError(f"HubSpot's {source} has no scopes list", connector="hubspot",
                                object="token info")
        return [str(x) for x in granted], source

    def first_page(self, object_type: str) -> dict:
        """One object of a type: the cheap authenticated call of check()."""
        return self.call(f"list {object_type}", "basic", "get_page", object_type, limit=1,
                         endpoint=f"GET /crm/v3/objects/{object_type}", object=object_type)

    def create(self, object_type: str, properties: dict[str, str],
               associate_to: list[tuple[str, int]] = ()) -> dict:
        """POST /crm/v3/objects/{type} with HUBSPOT_DEFINED associations (to id, type id)."""
        body = SimplePublicObjectInputForCreate(
            properties=properties,
            associations=[PublicAssociationsForObject(
                to=PublicObjectId(id=to_id),
                types=[AssociationSpec(association_category="HUBSPOT_DEFINED",
                                       association_type_id=type_id)])
                for to_id, type_id in associate_to])
        return self.call(f"create {object_type}", "basic", "create", object_type, body,
                         idempotent=False, endpoint=f"POST /crm/v3/objects/{object_type}",
                         object=object_type)


def _rate_limit_wait(status: int, headers: t.Mapping[str, str], body: t.Any) -> float | None:
    """Seconds to wait on a HubSpot 429 when there is no Retry-After header.

    HubSpot's ten-second window resets within 10 s; the secondly search limit within 1 s.
    """
    if status != 429:
        return None
    lower = {k.lower(): v for k, v in dict(headers).items()}
    if "retry-after" in lower:
        return None  # the standard header wins (parsed by classify)
    interval = lower.get("x-hubspot-ratelimit-interval-milliseconds")
    remaining = lower.get("x-hubspot-ratelimit-remaining")
    if interval and remaining == "0":
        try:
            return float(interval) / 1000.0
        except ValueError:
            return None
    policy = ""
    if isinstance(body, (bytes, str)):
        try:
            policy = str(json.loads(body).get("policyName", ""))
        except (ValueError, AttributeError):
            policy = ""
    if "DAILY" in policy.upper():
        return 86_400.0  # the daily budget is spent: more than any wait the retrier accepts
    if "SECONDLY" in policy.upper() and "TEN" not in policy.upper():
        return 1.0
    if "TEN_SECONDLY" in policy.upper():
        return 10.0
    return None
