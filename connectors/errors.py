"""One exception tree for every connector, classified once (in connectors.http)."""

from __future__ import annotations


class ConnectorError(Exception):
    """Base of every connector failure; carries where it happened (never secrets)."""

    def __init__(self, message: str, connector: str | None = None, stream: str | None = None,
                 status: int | None = None, url: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.connector = connector
        self.stream = stream
        self.status = status
        self.url = url

    def __str__(self) -> str:
        where = "/".join(p for p in (self.connector, self.stream) if p)
        extra = f" (HTTP {self.status})" if self.status else ""
        return f"{where}: {self.message}{extra}" if where else f"{self.message}{extra}"

    def to_dict(self) -> dict:
        """A JSON-ready description for sync reports."""
        return {"type": type(self).__name__, "message": self.message, "connector": self.connector,
                "stream": self.stream, "status": self.status, "url": self.url}


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
