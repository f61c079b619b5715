""""Test connection" of a connector's settings, and connector failures in plain words."""

from __future__ import annotations

import logging
import typing as t
from urllib.parse import urlsplit

from server.admin.connections import build
from server.admin.credentials import Credentials

log = logging.getLogger(__name__)


def explain(exc: BaseException) -> str:
    """A connector failure in plain words, with the vendor's own message."""
    from connectors.errors import (
        AuthError,
        ConfigError,
        RateLimitError,
        ResponseError,
        TransientError,
    )

    said = getattr(exc, "message", None) or str(exc)
    host = urlsplit(getattr(exc, "url", None) or "").hostname
    if isinstance(exc, ConfigError):
        return f"Some settings are missing or invalid: {said}"
    if isinstance(exc, AuthError):
        if exc.status == 403:
            return ("The key was accepted but has no permission for this data: give it read "
                    f"access to the project and try again. The vendor said: {said}")
        return f"The vendor rejected the key or secret: check it and try again. The vendor said: {said}"
    if isinstance(exc, RateLimitError):
        return f"The key works, but the vendor is rate limiting right now; try again later. ({said})"
    if isinstance(exc, ResponseError) and exc.status == 404:
        return (f"Nothing answers at {host or 'this address'}: is the region or subdomain "
                f"right? The vendor said: {said}")
    if isinstance(exc, ResponseError):
        return f"The vendor refused the request (HTTP {exc.status}): {said}"
    if isinstance(exc, TransientError):
        where = f" at {host}" if host else ""
        if exc.status:
            return f"The vendor{where} is failing (HTTP {exc.status}); try again in a few minutes."
        return (f"Could not reach the vendor{where}: check the region, subdomain or host. "
                f"({said})")
    return f"The test failed: {type(exc).__name__}"


def test_connection(cfg: dict, creds: Credentials, name: str, data: dict,
                    workspace: t.Any = None) -> tuple[bool, str]:
    """Run the connector's check() with these settings: (ok, message in plain words)."""
    from connectors.errors import ConnectorError

    try:
        conn = build(cfg, creds, name, workspace, data=data)
    except ConnectorError as exc:
        return False, explain(exc)
    gaps: dict = {}
    try:
        conn.check()
        if hasattr(conn, "preflight"):
            try:
                gaps = conn.preflight().get("missing") or {}
            except ConnectorError as exc:   # the key works; its scopes are just not known
                log.warning("%s: token scopes not readable (%s)", name, type(exc).__name__)
    except ConnectorError as exc:
        return False, explain(exc)
    except Exception as exc:  # noqa: BLE001 - a vendor answer we did not expect
        log.warning("%s: test connection failed with %s", name, type(exc).__name__)
        return False, f"The test failed unexpectedly ({type(exc).__name__})."
    finally:
        try:
            conn.close()
        except Exception:  # noqa: BLE001
            pass
    if gaps:
        said = "; ".join(f"{stream}: {', '.join(scopes)}" for stream, scopes in gaps.items())
        return True, ("Connected, but the token lacks scopes some data needs, so those streams "
                      f"will fail until the app is granted them: {said}.")
    return True, "Connected: the vendor accepted the credentials."
