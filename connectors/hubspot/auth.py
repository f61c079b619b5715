"""HubSpot OAuth tokens: refresh an access token from a refresh token.

`refresh_access_token` is the one refresh call; the OAuth setup flow reuses it and passes
`on_refresh` to persist the new token. Private-app tokens never expire and never refresh.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import requests

from connectors.errors import AuthError, ResponseError
from connectors.http import HttpClient

log = logging.getLogger(__name__)

#: Refresh this many seconds before the access token expires.
EARLY = 60.0


@dataclass(frozen=True, repr=False)
class TokenSet:
    """An access token, the refresh token it came from and when it expires (epoch seconds)."""

    access_token: str
    refresh_token: str | None = None
    expires_at: float | None = None

    def __repr__(self) -> str:
        return f"TokenSet(access_token=***, expires_at={self.expires_at})"

    @classmethod
    def from_response(cls, data: dict, refresh_token: str | None = None,
                      now: float | None = None) -> TokenSet:
        """Build from a token endpoint answer (`access_token`, `refresh_token`, `expires_in`)."""
        if not isinstance(data, dict) or not data.get("access_token"):
            raise ResponseError("the token endpoint answered without an access_token",
                                connector="hubspot")
        expires_in = data.get("expires_in")
        at = (now or time.time()) + float(expires_in) if expires_in is not None else None
        return cls(str(data["access_token"]), data.get("refresh_token") or refresh_token, at)


def refresh_access_token(*, client_id: str, client_secret: str, refresh_token: str,
                         base_url: str = "https://api.hubapi.com",
                         token_path: str = "/oauth/v1/token",
                         session: requests.Session | None = None,
                         sleep: Callable[[float], None] = time.sleep) -> TokenSet:
    """Exchange a refresh token for a new access token; AuthError if HubSpot refuses it."""
    http = HttpClient("hubspot", base_url, session=session, max_retries=3, sleep=sleep)
    try:
        data = http.post_json(token_path, data={
            "grant_type": "refresh_token", "client_id": client_id,
            "client_secret": client_secret, "refresh_token": refresh_token},
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            idempotent=True)   # a refresh may be repeated: it only mints an access token
    except ResponseError as exc:
        raise AuthError(f"HubSpot refused the refresh token: {exc.message}", connector="hubspot",
                        status=exc.status, url=exc.url) from None
    finally:
        if session is None:
            http.close()
    return TokenSet.from_response(data, refresh_token)


class HubSpotAuth:
    """The current access token of a connection, refreshed when it is about to expire or on 401."""

    def __init__(self, access_token: str, refresh_token: str | None = None,
                 client_id: str | None = None, client_secret: str | None = None,
                 expires_at: float | None = None, base_url: str = "https://api.hubapi.com",
                 token_path: str = "/oauth/v1/token",
                 on_refresh: Callable[[TokenSet], None] | None = None,
                 clock: Callable[[], float] = time.time,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.tokens = TokenSet(access_token, refresh_token, expires_at)
        self.client_id = client_id
        self.client_secret = client_secret
        self.base_url = base_url
        self.token_path = token_path
        self.on_refresh = on_refresh
        self.clock = clock
        self.sleep = sleep
        self.refreshes = 0
        self._lock = threading.Lock()

    @property
    def can_refresh(self) -> bool:
        return bool(self.tokens.refresh_token and self.client_id and self.client_secret)

    def token(self) -> str:
        """The access token to send, refreshed first when it expires within a minute."""
        exp = self.tokens.expires_at
        if self.can_refresh and exp is not None and self.clock() >= exp - EARLY:
            self.refresh()
        return self.tokens.access_token

    def refresh(self) -> str:
        """Get a new access token now (AuthError when the token cannot be refreshed)."""
        if not self.can_refresh:
            raise AuthError("the access token was rejected and no refresh token is configured "
                            "(HUBSPOT_REFRESH_TOKEN, HUBSPOT_CLIENT_ID, HUBSPOT_CLIENT_SECRET)",
                            connector="hubspot", status=401)
        with self._lock:
            self.tokens = refresh_access_token(
                client_id=self.client_id or "", client_secret=self.client_secret or "",
                refresh_token=self.tokens.refresh_token or "", base_url=self.base_url,
                token_path=self.token_path, sleep=self.sleep)
            self.refreshes += 1
        log.info("hubspot: access token refreshed")
        if self.on_refresh is not None:
            self.on_refresh(self.tokens)
        return self.tokens.access_token
