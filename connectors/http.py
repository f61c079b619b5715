"""The shared HTTP layer: timeouts, retries with backoff, 429, one token refresh on 401.

Responses are classified into the exception tree ONCE, here (:func:`classify`). Vendor
SDKs that do not use `requests` (the HubSpot client speaks urllib3) reuse the same
:func:`classify` and :class:`Retrier`, so every connector retries the same way.
Nothing here logs tokens, Authorization headers or record bodies.
"""

from __future__ import annotations

import base64
import email.utils
import json
import logging
import random
import re
import time
import typing as t
from collections.abc import Callable, Mapping
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import requests

from connectors.errors import (
    AuthError,
    ConfigError,
    ConnectorError,
    RateLimitError,
    ResponseError,
    TransientError,
)

log = logging.getLogger(__name__)


def basic(user: str, password: str) -> str:
    """An HTTP Basic Authorization header value."""
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()

T = t.TypeVar("T")

#: Query parameters whose values never appear in logs or error messages.
SECRET_PARAMS = re.compile(
    r"(token|key|secret|password|passwd|signature|sig|code|auth|session|hapikey)", re.I)
#: Vendor error codes meaning "quota exhausted: stop, do not retry".
QUOTA_CODES = {"REQUEST_LIMIT_EXCEEDED"}
#: Methods that may be sent twice with the effect of once (RFC 9110 section 9.2.2).
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
MAX_MESSAGE = 300


def safe_url(url: str | None) -> str | None:
    """The URL without user info and with secret-looking query values masked."""
    if not url:
        return url
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    query = urlencode([(k, "***" if SECRET_PARAMS.search(k) else v)
                       for k, v in parse_qsl(parts.query, keep_blank_values=True)])
    return urlunsplit((parts.scheme, host, parts.path, query, ""))


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (delta seconds or an HTTP date)."""
    if value is None or str(value).strip() == "":
        return None
    value = str(value).strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def vendor_error(body: t.Any) -> tuple[str | None, str | None]:
    """(message, code) from a vendor error body: JSON object, JSON array or text."""
    if isinstance(body, (bytes, bytearray)):
        body = body.decode("utf-8", "replace")
    data = body
    if isinstance(body, str):
        try:
            data = json.loads(body)
        except ValueError:
            text = body.strip()
            return (text[:MAX_MESSAGE] or None), None
    if isinstance(data, list) and data and isinstance(data[0], dict):
        data = data[0]
    if not isinstance(data, dict):
        return None, None
    message = data.get("message") or data.get("error_description") or data.get("error")
    if isinstance(message, dict):
        message = message.get("message") or message.get("title")
    code = (data.get("errorCode") or data.get("category") or data.get("errorType")
            or data.get("code") or (data.get("error") if isinstance(data.get("error"), str)
                                    else None))
    msg = str(message)[:MAX_MESSAGE] if message else None
    return msg, (str(code) if code is not None else None)


def missing_scopes(body: t.Any) -> list[str]:
    """The scopes a 403 body says are required (HubSpot: `errors[].context.requiredScopes`
    or `requiredGranularScopes`, category MISSING_SCOPES)."""
    if isinstance(body, (bytes, bytearray)):
        body = body.decode("utf-8", "replace")
    try:
        data = json.loads(body) if isinstance(body, str) else body
    except ValueError:
        return []
    out: list[str] = []
    for item in (data.get("errors") or []) if isinstance(data, dict) else []:
        ctx = item.get("context") if isinstance(item, dict) else None
        for key in ("requiredGranularScopes", "requiredScopes"):
            for scope in (ctx or {}).get(key) or []:
                if isinstance(scope, str) and scope not in out:
                    out.append(scope)
    return out


def classify(status: int, headers: Mapping[str, str] | None, body: t.Any, *, connector: str,
             url: str | None = None, stream: str | None = None,
             rate_limit_hook: Callable[[int, Mapping[str, str], t.Any], float | None] | None = None,
             endpoint: str | None = None, object: str | None = None
             ) -> ConnectorError | None:
    """The typed error for an HTTP status (None for success)."""
    if 200 <= status < 400:
        return None
    headers = headers or {}
    message, code = vendor_error(body)
    where = {"connector": connector, "stream": stream, "status": status, "url": safe_url(url),
             "endpoint": endpoint, "object": object}
    text = message or f"HTTP {status}"
    if status == 429 or code in QUOTA_CODES:
        retry_after = rate_limit_hook(status, headers, body) if rate_limit_hook else None
        if retry_after is None:
            retry_after = parse_retry_after(_header(headers, "Retry-After"))
        quota = code in QUOTA_CODES
        return RateLimitError(f"rate limited: {text}", retry_after, quota_exhausted=quota, **where)
    if status in (401, 403):
        scopes = missing_scopes(body) if status == 403 else []
        if scopes:
            text = f"missing scope {', '.join(scopes)}: {text}"
        return AuthError(f"not authorised: {text}", missing_scopes=scopes, **where)
    if status in (408, 425) or status >= 500:
        return TransientError(f"vendor unavailable: {text}", **where)
    return ResponseError(text, vendor_code=code, **where)


def _header(headers: Mapping[str, str], name: str) -> str | None:
    if hasattr(headers, "get"):
        value = headers.get(name)
        if value is not None:
            return value
    lname = name.lower()
    for k, v in dict(headers).items():
        if k.lower() == lname:
            return v
    return None


class Retrier:
    """Runs one attempt at a time: backoff on transient errors and 429, one refresh on 401."""

    def __init__(self, connector: str, refresh: Callable[[], None] | None = None,
                 max_retries: int = 5, backoff_base: float = 0.5, backoff_max: float = 60.0,
                 max_retry_after: float = 900.0, sleep: Callable[[float], None] = time.sleep,
                 jitter: Callable[[], float] = random.random) -> None:
        self.connector = connector
        self.refresh = refresh
        self.max_retries = max_retries
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.max_retry_after = max_retry_after
        self.sleep = sleep
        self.jitter = jitter
        self.retries = 0
        self.refreshes = 0

    def backoff(self, attempt: int) -> float:
        """Exponential backoff with jitter: base * 2^attempt, scaled into [50%, 100%]."""
        return min(self.backoff_max, self.backoff_base * (2 ** attempt)) * (0.5 + self.jitter() / 2)

    def call(self, attempt: Callable[[], T], stream: str | None = None,
             what: str = "request", idempotent: bool = True) -> T:
        """Run `attempt` (which raises typed errors) until it succeeds or may not be retried.

        A request that is not `idempotent` (a create) is sent again after a transient error
        only when it provably never reached the vendor (`TransientError.unsent`): after a
        timeout or a 5xx it may have been carried out, and a second send would duplicate it.
        A 429 is a refusal, so it is retried either way."""
        tries = 0
        refreshed = False
        while True:
            try:
                return attempt()
            except AuthError as exc:
                _tag(exc, stream)
                if refreshed or self.refresh is None or exc.status != 401:
                    raise
                refreshed = True
                self.refreshes += 1
                log.info("%s: %s got 401; refreshing the access token once", self.connector,
                         what)
                self.refresh()
            except RateLimitError as exc:
                _tag(exc, stream)
                if exc.quota_exhausted or tries >= self.max_retries:
                    raise
                wait = exc.retry_after if exc.retry_after is not None else self.backoff(tries)
                if wait > self.max_retry_after:
                    raise
                tries += 1
                self.retries += 1
                log.warning("%s: rate limited on %s; waiting %.1fs (retry %d/%d)",
                            self.connector, what, wait, tries, self.max_retries)
                self.sleep(wait)
            except TransientError as exc:
                _tag(exc, stream)
                if tries >= self.max_retries or not (idempotent or exc.unsent):
                    raise
                wait = self.backoff(tries)
                tries += 1
                self.retries += 1
                log.warning("%s: %s failed (%s); retrying in %.1fs (retry %d/%d)",
                            self.connector, what, exc.message, wait, tries, self.max_retries)
                self.sleep(wait)


def never_sent(exc: BaseException) -> bool:
    """True when a `requests`/urllib3 error proves the request never reached the server: the
    connection could not be made (refused, no route, name not resolved, connect timeout)."""
    import urllib3.exceptions as u3

    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        cur = todo.pop()
        if cur is None or id(cur) in seen:
            continue
        seen.add(id(cur))
        if isinstance(cur, (requests.exceptions.ConnectTimeout, u3.ConnectTimeoutError,
                            u3.NewConnectionError)):
            return True
        todo += [getattr(cur, "reason", None), cur.__cause__, cur.__context__,
                 *[a for a in getattr(cur, "args", ()) if isinstance(a, BaseException)]]
    return False


def _tag(exc: ConnectorError, stream: str | None) -> None:
    if stream and not exc.stream:
        exc.stream = stream


class HttpClient:
    """A `requests` session wrapper: base URL, auth hook, timeouts, typed errors, retries."""

    def __init__(self, connector: str, base_url: str, session: requests.Session | None = None,
                 auth: Callable[[dict], None] | None = None,
                 refresh: Callable[[], None] | None = None,
                 timeout: float | tuple[float, float] = (5, 60), max_retries: int = 5,
                 backoff_base: float = 0.5, sleep: Callable[[float], None] = time.sleep,
                 rate_limit_hook: Callable[[int, Mapping[str, str], t.Any], float | None]
                 | None = None) -> None:
        self.connector = connector
        self.base_url = base_url.rstrip("/") + "/"
        self.session = session or requests.Session()
        self.auth = auth
        self.timeout = timeout
        self.rate_limit_hook = rate_limit_hook
        self.retrier = Retrier(connector, refresh=refresh, max_retries=max_retries,
                               backoff_base=backoff_base, sleep=sleep)

    def url(self, url_or_path: str) -> str:
        if url_or_path.startswith(("http://", "https://")):
            return url_or_path
        return urljoin(self.base_url, url_or_path.lstrip("/"))

    def request(self, method: str, url_or_path: str, *, stream_name: str | None = None,
                idempotent: bool | None = None, object: str | None = None,
                **kwargs: t.Any) -> requests.Response:
        """Send a request and return the successful response; raises typed errors.

        `idempotent` defaults to the method's nature (GET yes, POST no); pass True for a POST
        that only reads (a search, a token exchange) so it is retried after a timeout."""
        if idempotent is None:
            idempotent = method.upper() in IDEMPOTENT_METHODS
        decode = kwargs.pop("_decode", False)
        url = self.url(url_or_path)
        base_headers = dict(kwargs.pop("headers", None) or {})
        kwargs.setdefault("timeout", self.timeout)
        label = f"{method.upper()} {urlsplit(url).path}"

        def attempt() -> requests.Response:
            headers = dict(base_headers)
            if self.auth is not None:
                self.auth(headers)
            started = time.monotonic()
            try:
                resp = self.session.request(method, url, headers=headers, **kwargs)
            except (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema,
                    requests.exceptions.InvalidSchema) as exc:
                raise ConfigError(f"invalid URL: {type(exc).__name__}", connector=self.connector,
                                  stream=stream_name, url=safe_url(url), endpoint=label,
                                  object=object) from None
            except requests.RequestException as exc:
                raise TransientError(f"{type(exc).__name__} talking to the vendor",
                                     connector=self.connector, stream=stream_name,
                                     url=safe_url(url), unsent=never_sent(exc), endpoint=label,
                                     object=object) from exc
            log.debug("%s %s -> %s in %.2fs", method.upper(), safe_url(resp.url or url),
                      resp.status_code,
                      time.monotonic() - started)
            if resp.status_code >= 400:
                body = resp.content if not kwargs.get("stream") else resp.raw.read(4096)
                err = classify(resp.status_code, resp.headers, body, connector=self.connector,
                               url=resp.url or url, stream=stream_name,
                               rate_limit_hook=self.rate_limit_hook, endpoint=label,
                               object=object)
                resp.close()
                if err is not None:
                    raise err
            if decode:
                return decode_json(resp, self.connector, stream_name, endpoint=label,
                                   object=object)
            return resp

        return self.retrier.call(attempt, stream=stream_name, what=label, idempotent=idempotent)

    def get_json(self, url_or_path: str, *, stream_name: str | None = None,
                 **kwargs: t.Any) -> t.Any:
        """GET and decode JSON; a body that is not JSON is a ResponseError, a JSON body that
        broke off is retried like a 5xx."""
        return self.request("GET", url_or_path, stream_name=stream_name, _decode=True, **kwargs)

    def post_json(self, url_or_path: str, *, stream_name: str | None = None,
                  idempotent: bool = False, **kwargs: t.Any) -> t.Any:
        """POST and decode the JSON answer (retried after a timeout only if `idempotent`)."""
        return self.request("POST", url_or_path, stream_name=stream_name,
                            idempotent=idempotent, _decode=True, **kwargs)

    def close(self) -> None:
        self.session.close()


def truncated_json(body: bytes | str | None) -> bool:
    """True when a body starts like a JSON document but does not parse: it broke off."""
    if isinstance(body, (bytes, bytearray)):
        body = body.decode("utf-8", "replace")
    text = (body or "").lstrip()
    return text[:1] in ("{", "[")


def decode_json(resp: requests.Response, connector: str, stream: str | None = None, *,
                endpoint: str | None = None, object: str | None = None) -> t.Any:
    """The response body as JSON, or a ResponseError naming the URL; a JSON body that broke
    off (a truncated answer) is a TransientError, so it is retried like a 5xx."""
    try:
        return resp.json()
    except ValueError:
        where = {"connector": connector, "stream": stream, "status": resp.status_code,
                 "url": safe_url(resp.url), "endpoint": endpoint, "object": object}
        if truncated_json(resp.content):
            where["status"] = None  # a 200 whose body broke off
            raise TransientError("the answer broke off (truncated JSON)", **where) from None
        raise ResponseError("the vendor answered with something that is not JSON",
                            **where) from None
