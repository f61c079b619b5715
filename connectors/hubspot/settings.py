"""HubSpot settings: `HUBSPOT_<FIELD>` environment variables."""

from __future__ import annotations

from dataclasses import dataclass

from connectors.errors import ConfigError
from connectors.settings import Settings, setting


@dataclass(frozen=True)
class HubSpotSettings(Settings):
    access_token: str = setting(secret=True, help="Private-app token, or an OAuth access token.")
    refresh_token: str | None = setting(None, secret=True,
                                        help="OAuth refresh token (enables token refresh).")
    client_id: str | None = setting(None, help="OAuth app client id (with refresh_token).")
    client_secret: str | None = setting(None, secret=True, help="OAuth app client secret.")
    token_expires_at: float | None = setting(
        None, help="Epoch seconds when the OAuth access token expires (refreshed a minute early).")
    base_url: str = setting("https://api.hubapi.com", help="API host (tests point it elsewhere).")
    token_path: str = setting("/oauth/v1/token", help="OAuth token endpoint path.")
    seats_property: str | None = setting(None, help="Company property holding licensed seats.")
    renewal_date_property: str | None = setting(
        None, help="Company property holding the contract renewal date.")
    arr_property: str | None = setting(None, help="Company property holding ARR (kept as an "
                                                  "attribute, crm_arr).")
    segment_property: str | None = setting(None, help="Company property holding the segment.")
    onboarding_start_property: str | None = setting(
        None, help="Company property holding the onboarding start date.")
    default_deal_kind: str = setting("new", help="Kind of deals without a deal type.")
    page_size: int = setting(200, help="Search page size (HubSpot allows at most 200).")
    search_limit: int = setting(10_000, help="Results HubSpot returns per search query.")
    search_lag_seconds: int = setting(
        60, help="Records modified this recently are left for the next run (search indexing "
                 "lag).")
    qbr_pattern: str = setting(r"\bqbr\b|quarterly business review|business review",
                               help="Regex on meeting titles that marks a QBR touchpoint.")
    task_association_type_id: int = setting(192, help="HUBSPOT_DEFINED task-to-company "
                                                      "association type id used by write-back.")
    timeout: float = setting(60.0, help="Read timeout in seconds.")
    max_retries: int = setting(5, help="Retries of 429/5xx/connection errors per request.")

    def validate(self, prefix: str = "") -> None:
        oauth = [self.refresh_token, self.client_id, self.client_secret]
        if any(oauth) and not all(oauth):
            raise ConfigError(f"set all of {prefix}REFRESH_TOKEN, {prefix}CLIENT_ID and "
                              f"{prefix}CLIENT_SECRET to refresh OAuth tokens")
        if not 1 <= self.page_size <= 200:
            raise ConfigError(f"{prefix}PAGE_SIZE must be between 1 and 200")
        if self.default_deal_kind not in ("new", "expansion", "renewal", "contraction", "churn"):
            raise ConfigError(f"{prefix}DEFAULT_DEAL_KIND must be a deal kind "
                              "(new, expansion, renewal, contraction, churn)")
        if self.search_limit < self.page_size:
            raise ConfigError(f"{prefix}SEARCH_LIMIT must be at least {prefix}PAGE_SIZE")
