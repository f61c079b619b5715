"""Salesforce settings: `SALESFORCE_<FIELD>` environment variables."""

from __future__ import annotations

import re
from dataclasses import dataclass

from connectors.errors import ConfigError
from connectors.settings import Settings, setting


@dataclass(frozen=True)
class SalesforceSettings(Settings):
    instance_url: str | None = setting(None, help="https://<domain>.my.salesforce.com "
                                                  "(with ACCESS_TOKEN).")
    access_token: str | None = setting(None, secret=True, help="OAuth access token (session id).")
    refresh_token: str | None = setting(None, secret=True, help="OAuth refresh token.")
    client_id: str | None = setting(None, help="Connected app consumer key (for refresh).")
    client_secret: str | None = setting(None, secret=True, help="Connected app consumer secret.")
    login_url: str = setting("https://login.salesforce.com",
                             help="OAuth host: login, test (sandboxes) or the My Domain URL.")
    username: str | None = setting(None, help="API user (instead of OAuth).")
    password: str | None = setting(None, secret=True, help="API user's password.")
    security_token: str | None = setting(None, secret=True, help="API user's security token.")
    domain: str = setting("login", help="Password login domain: login, test or a My Domain.")
    api_version: str = setting("60.0", help="REST API version.")
    batch_size: int = setting(2000, help="Records per query page (200-2000).")
    seats_field: str | None = setting(None, help="Account field holding licensed seats.")
    renewal_date_field: str | None = setting(None, help="Account field with the renewal date.")
    arr_field: str | None = setting(None, help="Account field holding ARR (kept as crm_arr).")
    segment_field: str | None = setting(None, help="Account field holding the segment.")
    onboarding_start_field: str | None = setting(None, help="Account field with the "
                                                            "onboarding start date.")
    default_deal_kind: str = setting("new", help="Kind of opportunities without a Type.")
    lag_seconds: int = setting(60, help="Records modified this recently wait for the next run.")
    qbr_pattern: str = setting(r"\bqbr\b|quarterly business review|business review",
                               help="Regex on event subjects that marks a QBR touchpoint.")
    timeout: float = setting(60.0, help="Read timeout in seconds.")
    max_retries: int = setting(5, help="Retries of 5xx/connection errors per request.")

    def validate(self, prefix: str = "") -> None:
        oauth = bool(self.access_token or self.refresh_token)
        password = bool(self.username or self.password)
        if oauth and password:
            raise ConfigError(f"set either {prefix}ACCESS_TOKEN (OAuth) or {prefix}USERNAME and "
                              f"{prefix}PASSWORD, not both")
        if not oauth and not password:
            raise ConfigError(f"missing {prefix}INSTANCE_URL and {prefix}ACCESS_TOKEN (OAuth), "
                              f"or {prefix}USERNAME, {prefix}PASSWORD and "
                              f"{prefix}SECURITY_TOKEN")
        if oauth:
            missing = [n for n, v in (("INSTANCE_URL", self.instance_url),
                                      ("ACCESS_TOKEN", self.access_token)) if not v]
            if self.refresh_token:
                missing += [n for n, v in (("CLIENT_ID", self.client_id),) if not v]
            if missing:
                raise ConfigError("missing " + ", ".join(prefix + n for n in missing))
        if password and not (self.username and self.password):
            raise ConfigError(f"set both {prefix}USERNAME and {prefix}PASSWORD")
        if not re.fullmatch(r"\d{2}\.0", self.api_version):
            raise ConfigError(f"{prefix}API_VERSION must look like 60.0")
        if not 200 <= self.batch_size <= 2000:
            raise ConfigError(f"{prefix}BATCH_SIZE must be between 200 and 2000")
        if self.default_deal_kind not in ("new", "expansion", "renewal", "contraction", "churn"):
            raise ConfigError(f"{prefix}DEFAULT_DEAL_KIND must be a deal kind")
