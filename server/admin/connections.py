"""Connector connections: the OAuth 2.0 providers (Authlib), token refresh before expiry,
disconnect with revocation, and connectors built from their stored settings.

Credentials live only sealed in the database (server.admin.credentials). A CRM's OAuth app
(client id and secret) comes from the environment (`ACCOUNT360_HUBSPOT_CLIENT_ID`...) when
both are set there, else from what an admin pasted in its card (sealed as well).
"""

from __future__ import annotations

import inspect
import logging
import time
import typing as t
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests

from server.admin.credentials import DEFAULT_SCHEDULE_MINUTES, Credentials
from server.config import Settings

log = logging.getLogger(__name__)

#: Refresh OAuth access tokens this many seconds before they expire.
REFRESH_EARLY = 300
OAUTH_CONNECTORS = ("hubspot", "salesforce")
SF_HOSTS = {"production": "https://login.salesforce.com", "sandbox": "https://test.salesforce.com"}
__all__ = ["Credentials", "DEFAULT_SCHEDULE_MINUTES", "option", "provider", "build"]


def option(cfg: dict, key: str, default: t.Any = None) -> t.Any:
    """A setting of the resolved configuration (server.config), else its declared default."""
    value = cfg.get(key)
    if value in (None, "") and key in Settings.model_fields:
        value = Settings.model_fields[key].get_default(call_default_factory=True)
    return default if value in (None, "") else value


# -- OAuth providers ----------------------------------------------------------------
@dataclass(frozen=True)
class Provider:
    name: str
    client_id: str
    client_secret: str
    authorize_url: str
    token_url: str
    scopes: str
    pkce: bool = True
    login_url: str | None = None
    api_url: str | None = None

    def __repr__(self) -> str:
        return f"Provider({self.name}, client_id={self.client_id}, client_secret=***)"

    def session(self, redirect_uri: str | None = None, token: dict | None = None):
        from authlib.integrations.requests_client import OAuth2Session

        kwargs: dict[str, t.Any] = {"scope": self.scopes, "token": token,
                                    "token_endpoint_auth_method": "client_secret_post"}
        if redirect_uri:
            kwargs["redirect_uri"] = redirect_uri
        if self.pkce:
            kwargs["code_challenge_method"] = "S256"
        return OAuth2Session(self.client_id, self.client_secret, **kwargs)


def oauth_app(cfg: dict, name: str, creds: Credentials | None = None) -> tuple[str, str, str]:
    """(client id, client secret, source) of a CRM's OAuth app: the environment when both
    ACCOUNT360_<NAME>_CLIENT_ID and _SECRET are set, else the app saved in its card."""
    key = name.upper()
    client_id = option(cfg, f"{key}_CLIENT_ID", "")
    secret = option(cfg, f"{key}_CLIENT_SECRET", "")
    if client_id and secret:
        return client_id, secret, "environment"
    saved = creds.get_app(name) if creds is not None else None
    if saved and saved.get("client_id") and saved.get("client_secret"):
        return saved["client_id"], saved["client_secret"], "saved"
    return client_id, secret, ""


def oauth_configured(cfg: dict, name: str, creds: Credentials | None = None) -> bool:
    return bool(oauth_app(cfg, name, creds)[2])


def provider(cfg: dict, name: str, environment: str | None = None,
             login_url: str | None = None, creds: Credentials | None = None) -> Provider:
    """The OAuth provider of a CRM, from ACCOUNT360_<NAME>_* settings (and a saved app)."""
    client_id, secret, _ = oauth_app(cfg, name, creds)
    if name == "hubspot":
        api = option(cfg, "HUBSPOT_API_URL").rstrip("/")
        return Provider(
            name, client_id, secret,
            authorize_url=option(cfg, "HUBSPOT_AUTHORIZE_URL"),
            token_url=option(cfg, "HUBSPOT_TOKEN_URL", api + "/oauth/v1/token"),
            scopes=option(cfg, "HUBSPOT_SCOPES"), api_url=api)
    if name == "salesforce":
        if login_url is None:
            override = option(cfg, "SALESFORCE_LOGIN_URL")
            login_url = override or SF_HOSTS.get(environment or "production",
                                                 SF_HOSTS["production"])
        login_url = login_url.rstrip("/")
        return Provider(
            name, client_id, secret,
            authorize_url=f"{login_url}/services/oauth2/authorize",
            token_url=f"{login_url}/services/oauth2/token",
            scopes=option(cfg, "SALESFORCE_SCOPES"),
            login_url=login_url)
    raise ValueError(f"{name} does not connect with OAuth")


def redirect_uri(cfg: dict, name: str, fallback: str) -> str:
    base = option(cfg, "PUBLIC_URL")
    if base:
        return f"{str(base).rstrip('/')}/admin/oauth/{name}/callback"
    return fallback


def stored_from_token(prov: Provider, token: dict) -> dict:
    """What is sealed after an authorization or a refresh."""
    data: dict[str, t.Any] = {"access_token": token["access_token"]}
    if token.get("refresh_token"):
        data["refresh_token"] = token["refresh_token"]
    if token.get("expires_at"):
        data["token_expires_at"] = float(token["expires_at"])
    elif token.get("expires_in"):
        data["token_expires_at"] = time.time() + float(token["expires_in"])
    if prov.name == "salesforce":
        data["instance_url"] = token.get("instance_url")
        data["login_url"] = prov.login_url
    return data


def refresh_if_due(cfg: dict, creds: Credentials, name: str, force: bool = False,
                   clock: t.Callable[[], float] = time.time) -> bool:
    """Refresh the OAuth access token with Authlib when it expires within REFRESH_EARLY
    seconds (or now, with `force`); returns True when a new token was stored."""
    data = creds.get(name)
    if not data or not data.get("refresh_token") or name not in OAUTH_CONNECTORS:
        return False
    exp = data.get("token_expires_at")
    if not force and (exp is None or clock() < float(exp) - REFRESH_EARLY):
        return False
    prov = provider(cfg, name, login_url=data.get("login_url"), creds=creds)
    sess = prov.session()
    try:
        token = sess.refresh_token(prov.token_url, refresh_token=data["refresh_token"])
    finally:
        sess.close()
    token = dict(token)
    if not token.get("access_token"):
        from connectors.errors import AuthError

        said = token.get("message") or token.get("error_description") or token.get("error")
        raise AuthError(f"the vendor refused the refresh token ({said}); connect again",
                        connector=name, status=401)
    fresh = stored_from_token(prov, token)
    fresh.setdefault("refresh_token", data["refresh_token"])
    if name == "salesforce" and not fresh.get("instance_url"):
        fresh["instance_url"] = data.get("instance_url")
    creds.update(name, **fresh)
    log.info("%s: access token refreshed", name)
    return True


def revoke(cfg: dict, name: str, data: dict, creds: Credentials | None = None) -> str | None:
    """Revoke the refresh token at the vendor where its API allows; returns a note."""
    token = data.get("refresh_token")
    if not token or name not in OAUTH_CONNECTORS:
        return None
    prov = provider(cfg, name, login_url=data.get("login_url"), creds=creds)
    try:
        if name == "hubspot":
            resp = requests.delete(f"{prov.api_url}/oauth/v1/refresh-tokens/{token}", timeout=10)
        else:
            resp = requests.post(f"{prov.login_url}/services/oauth2/revoke",
                                 data={"token": token}, timeout=10)
    except requests.RequestException as exc:
        return f"could not reach the vendor to revoke the token ({type(exc).__name__})"
    if resp.status_code >= 400 and resp.status_code != 404:
        return f"the vendor answered HTTP {resp.status_code} to the revocation"
    return None


# -- connectors built from stored settings -------------------------------------------
def connector_class(name: str):
    from connectors.registry import get_connector

    return get_connector(name)


def settings_data(cfg: dict, name: str, data: dict, creds: Credentials | None = None) -> dict:
    """Stored values (plus the OAuth app credentials) filtered to the settings fields."""
    cls = connector_class(name)
    fields = {f.name for f in cls.settings_class.fields()}
    out = dict(data)
    if name in OAUTH_CONNECTORS and data.get("refresh_token"):
        prov = provider(cfg, name, login_url=data.get("login_url"), creds=creds)
        out.setdefault("client_id", prov.client_id)
        out.setdefault("client_secret", prov.client_secret)
        if name == "hubspot":
            out.setdefault("base_url", prov.api_url)
            out.setdefault("token_path", urlsplit(prov.token_url).path)
    return {k: v for k, v in out.items() if k in fields and v not in (None, "")}


def build(cfg: dict, creds: Credentials, name: str, workspace: t.Any = None,
          data: dict | None = None) -> t.Any:
    """A connector instance from stored (or given) settings; token refreshes are sealed."""
    cls = connector_class(name)
    if data is None:
        data = creds.get(name)
        if data is None:
            from connectors.errors import ConfigError

            raise ConfigError(f"{name} is not connected", connector=name)
    settings = cls.settings_class.from_dict(settings_data(cfg, name, data, creds),
                                            prefix=cls.env_prefix())
    kwargs: dict[str, t.Any] = {"workspace": workspace}
    if "on_refresh" in inspect.signature(cls.__init__).parameters:
        def on_refresh(tokens: t.Any) -> None:
            changes = {"access_token": tokens.access_token}
            if getattr(tokens, "refresh_token", None):
                changes["refresh_token"] = tokens.refresh_token
            if getattr(tokens, "expires_at", None):
                changes["token_expires_at"] = tokens.expires_at
            if getattr(tokens, "instance_url", None):
                # Salesforce: the org can move to another instance; keep the latest host.
                changes["instance_url"] = tokens.instance_url
            creds.update(name, **changes)

        kwargs["on_refresh"] = on_refresh
    return cls(settings, **kwargs)
