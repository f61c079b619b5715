"""One exception tree for every connector, classified once (in connectors.http)."""

from __future__ import annotations

#: How error texts name a vendor (a connector's registry name -> its product name).
VENDOR_TITLES = {"hubspot": "HubSpot", "salesforce": "Salesforce", "zendesk": "Zendesk",
                 "mixpanel": "Mixpanel", "amplitude": "Amplitude", "pendo": "Pendo",
                 "intercom": "Intercom"}


class ConnectorError(Exception):
    """Base of every connector failure; carries where it happened (never secrets).

    `object` is the vendor object being read (HubSpot `deals`, Zendesk `organizations`;
    the stream's name when not given) and `endpoint` the request (`GET /api/v2/...`), so
    the text reads "Zendesk organizations: 404 Not Found (GET /api/v2/organizations.json)".
    `missing_scopes` lists the OAuth scopes a 403 says the credentials lack.
    """

    def __init__(self, message: str, connector: str | None = None, stream: str | None = None,
                 status: int | None = None, url: str | None = None, *,
                 endpoint: str | None = None, object: str | None = None,
                 missing_scopes: list[str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.connector = connector
        self.stream = stream
        self.status = status
        self.url = url
        self.endpoint = endpoint
        self.object = object
        self.missing_scopes = list(missing_scopes or [])

    def __str__(self) -> str:
        vendor = VENDOR_TITLES.get(self.connector or "", self.connector or "")
        what = self.object or self.stream
        where = " ".join(p for p in (vendor, what) if p)
        status = f"{self.status} " if self.status else ""
        endpoint = f" ({self.endpoint})" if self.endpoint else ""
        text = f"{status}{self.message}{endpoint}"
        return f"{where}: {text}" if where else text

    def to_dict(self) -> dict:
        """A JSON-ready description for sync reports (`text`: the whole sentence)."""
        return {"type": type(self).__name__, "message": self.message, "connector": self.connector,
                "stream": self.stream, "object": self.object or self.stream,
                "endpoint": self.endpoint, "status": self.status, "url": self.url,
                "missing_scopes": self.missing_scopes, "text": str(self)}


class ConfigError(ConnectorError):
    """A setting is missing or invalid; the message names it."""


class AuthError(ConnectorError):
    """401/403: credentials rejected. Retried only once, after a token refresh."""


class RateLimitError(ConnectorError):
    """429 or a vendor quota. `retry_after` is seconds to wait, None when unknown."""

    def __init__(self, message: str, retry_after: float | None = None, *,
                 quota_exhausted: bool = False, **kwargs) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after
        #: True for daily/org quotas (e.g. Salesforce REQUEST_LIMIT_EXCEEDED): stop, don't spin.
        self.quota_exhausted = quota_exhausted


class TransientError(ConnectorError):
    """5xx, timeouts and connection errors; retried with backoff. `unsent` is True when the
    request provably never reached the vendor (no connection): only then is a request that
    is not idempotent (a create) sent again."""

    def __init__(self, message: str, *, unsent: bool = False, **kwargs) -> None:
        super().__init__(message, **kwargs)
        self.unsent = unsent


class ResponseError(ConnectorError):
    """Another 4xx, or a payload that is not what the vendor documents."""

    def __init__(self, message: str, vendor_code: str | None = None, **kwargs) -> None:
        super().__init__(message, **kwargs)
        self.vendor_code = vendor_code
