"""The Mixpanel connector: raw event export -> usage events attributed to accounts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from types import SimpleNamespace

from connectors.base import HttpConnector, Page
from connectors.errors import ResponseError
from connectors.http import HttpClient, basic
from connectors.mixpanel.export import EXPORT_PATH, HOSTS, export_pages
from connectors.mixpanel.profiles import QUERY_HOSTS, profile_table
from connectors.registry import register
from connectors.rest import RestStream
from connectors.settings import Settings, check_common, raise_problems, setting


@dataclass(frozen=True)
class MixpanelSettings(Settings):
    service_account_username: str = setting(
        "", help="Service account user name (with _SERVICE_ACCOUNT_SECRET and _PROJECT_ID).")
    service_account_secret: str = setting("", secret=True, help="Service account secret.")
    api_secret: str = setting("", secret=True,
                              help="Legacy project API secret (instead of a service account).")
    project_id: str = setting("", help="Project id; required with a service account.")
    region: str = setting("us", help="Data residency: us, eu or in (data-eu/data-in hosts).")
    base_url: str = setting("", help="Export host override (a proxy or a test server).")
    account_property: str = setting(
        "company_id", help="Event property (group key) holding the account key; a string "
        "or a list of strings. Empty: attribute by email domain only.")
    email_property: str = setting(
        "$email", help="Event property with the user's email, for email-domain attribution "
        "when the account key is missing or unknown (the distinct_id is used if it is an email).")
    user_property: str = setting(
        "", help="A user profile property holding the account key, for events without "
        "ACCOUNT_PROPERTY (profiles are read once per run from the Query API /engage).")
    query_base_url: str = setting("", help="Query API host override (default: mixpanel.com, "
                                           "eu.mixpanel.com or in.mixpanel.com by REGION).")
    session_property: str = setting(
        "", help="Event property with a session id; empty: sessions from 30-minute gaps.")
    account_match: str = setting(
        "auto", help="How account keys match accounts: auto (account id, CRM id, then "
        "domain), id, crm or domain.")
    start_date: str = setting("", help="First day to export (YYYY-MM-DD); default: "
                                       "BACKFILL_DAYS before today.")
    backfill_days: int = setting(90, help="Days exported on the first run without START_DATE.")
    window_days: int = setting(7, help="Days per export request (the export allows 60 "
                                       "requests per hour).")
    lookback_days: int = setting(2, help="Days re-exported on every run for late events "
                                         "(duplicates are not counted twice).")
    events: list = setting([], help="Only these event names (comma-separated); default all.")
    page_size: int = setting(20000, help="Records landed per transaction.")

    def validate(self, prefix: str = "") -> None:
        problems = check_common(prefix, self, HOSTS)
        sa = bool(self.service_account_username or self.service_account_secret)
        if sa and not (self.service_account_username and self.service_account_secret):
            problems.append(f"{prefix}SERVICE_ACCOUNT_USERNAME and "
                            f"{prefix}SERVICE_ACCOUNT_SECRET go together")
        if sa and not self.project_id:
            problems.append(f"{prefix}PROJECT_ID is required with a service account")
        if not sa and not self.api_secret:
            problems.append(f"missing {prefix}SERVICE_ACCOUNT_USERNAME/"
                            f"{prefix}SERVICE_ACCOUNT_SECRET or {prefix}API_SECRET")
        raise_problems(problems, "mixpanel")


class EventsStream(RestStream):
    """Raw events, exported in day windows and streamed line by line."""

    name = "events"
    cursor_field = "time"
    broke_off = ("the export stream broke off ({kind}), also on every attempt to read it "
                 "again; the next run re-exports the window")

    def read(self, state: dict | None):
        conn: MixpanelConnector = self.connector
        s = conn.settings
        plan = SimpleNamespace(
            start_date=self.start_day(),
            lookback_days=s.lookback_days, window_days=s.window_days,
            account_property=s.account_property or None,
            email_property=s.email_property or None,
            session_property=s.session_property or None,
            project_id=s.project_id or None, events=list(s.events))
        attributor = self.attributor()
        if s.user_property:
            plan.profile_keys, plan.profile_emails = profile_table(
                conn.query_http, s.project_id or None, s.user_property, s.email_property or None)
        yield from export_pages(conn.http, plan, state, attributor, Page,
                                conn.started_at.date(), s.page_size)


@register
class MixpanelConnector(HttpConnector):
    name = "mixpanel"
    title = "Mixpanel"
    settings_class = MixpanelSettings
    streams = (EventsStream,)
    hosts = HOSTS
    http_timeout = (10, 300)

    @property
    def query_base_url(self) -> str:
        s = self.settings
        return s.query_base_url or s.base_url or QUERY_HOSTS[s.region]

    @property
    def query_http(self) -> HttpClient:
        """The Query API client (user profiles for attribution)."""
        return self.client("query", self.query_base_url, (10, 120))

    def _auth(self, headers: dict) -> None:
        s = self.settings
        if s.service_account_username:
            headers["Authorization"] = basic(s.service_account_username,
                                             s.service_account_secret)
        else:
            headers["Authorization"] = basic(s.api_secret, "")

    def check(self) -> None:
        """Export one event of yesterday: proves the credentials and the project."""
        day = (self.started_at.date() - timedelta(days=1)).isoformat()
        params = {"from_date": day, "to_date": day, "limit": 1}
        if self.settings.project_id:
            params["project_id"] = self.settings.project_id
        resp = self.http.request("GET", EXPORT_PATH, params=params, stream=True)
        resp.close()
        if resp.status_code != 200:
            raise ResponseError(f"unexpected status {resp.status_code}", connector=self.name)

