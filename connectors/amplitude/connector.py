"""The Amplitude connector: Export API archives -> usage events attributed to accounts."""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from datetime import timedelta
from types import SimpleNamespace

from connectors.amplitude.export import EXPORT_PATH, HOSTS, TooLarge, export_pages
from connectors.base import HttpConnector, Page
from connectors.errors import ConnectorError, ResponseError, TransientError
from connectors.http import basic
from connectors.registry import register
from connectors.rest import RestStream
from connectors.settings import Settings, check_common, raise_problems, setting


@dataclass(frozen=True)
class AmplitudeSettings(Settings):
    api_key: str = setting(help="Project API key (HTTP Basic user name).")
    secret_key: str = setting(secret=True, help="Project secret key (HTTP Basic password).")
    region: str = setting("us", help="Data residency: us (amplitude.com) or eu "
                                     "(analytics.eu.amplitude.com).")
    base_url: str = setting("", help="Host override (a proxy or a test server).")
    group_type: str = setting("company", help="Group type in the events' `groups` whose "
                                              "value (string or list) is the account key.")
    account_property: str = setting(
        "", help="Instead of groups: a dotted path to the account key, e.g. "
        "user_properties.account_id or event_properties.company.")
    email_property: str = setting(
        "user_properties.email", help="Dotted path to the user's email, for email-domain "
        "attribution (user_id is used when it is an email).")
    account_match: str = setting("auto", help="auto (account id, CRM id, then domain), id, "
                                              "crm or domain.")
    start_date: str = setting("", help="First day to export (YYYY-MM-DD, by upload time); "
                                       "default: BACKFILL_DAYS before today.")
    backfill_days: int = setting(90, help="Days exported on the first run without START_DATE.")
    window_hours: int = setting(24, help="Hours per export request; halved automatically "
                                         "when Amplitude answers 400 (over 4 GB) or 504.")
    delay_hours: int = setting(3, help="Hours held back: Amplitude makes events exportable "
                                       "about 2 hours after they arrive.")
    page_size: int = setting(20000, help="Records landed per transaction.")

    def validate(self, prefix: str = "") -> None:
        problems = check_common(prefix, self, HOSTS)
        if not 1 <= self.window_hours <= 365 * 24:
            problems.append(f"{prefix}WINDOW_HOURS must be between 1 and 8760")
        if self.delay_hours < 0:
            problems.append(f"{prefix}DELAY_HOURS must be 0 or more")
        raise_problems(problems, "amplitude")


def _too_large(exc: Exception) -> bool:
    return isinstance(exc, ConnectorError) and exc.status in (400, 504)


def _empty(exc: Exception) -> bool:
    return isinstance(exc, ConnectorError) and exc.status == 404


class EventsStream(RestStream):
    """Events from hourly export archives, file by file, line by line."""

    name = "events"
    cursor_field = "server_upload_time"
    broke_off = "the export download broke off ({kind}); the next run downloads the window again"
    errors = (
        (TooLarge, ResponseError, "one hour of events is larger than the Export API serves "
         "(4 GB); use Amplitude's bulk export instead ({exc})", {"status": 400}),
        (zipfile.BadZipFile, TransientError, "the export archive is damaged or truncated "
         "({exc}); the next run downloads the window again", {}),
    )

    def read(self, state: dict | None):
        s = self.settings
        plan = SimpleNamespace(
            start_date=self.start_day(),
            window_hours=s.window_hours, delay_hours=s.delay_hours,
            group_type=s.group_type or None, account_property=s.account_property or None,
            email_property=s.email_property or None)
        yield from export_pages(self.http, plan, state, self.attributor(), Page,
                                self.connector.started_at, _too_large, _empty, s.page_size)


@register
class AmplitudeConnector(HttpConnector):
    name = "amplitude"
    title = "Amplitude"
    settings_class = AmplitudeSettings
    streams = (EventsStream,)
    hosts = HOSTS
    http_timeout = (10, 600)

    def _auth(self, headers: dict) -> None:
        headers["Authorization"] = basic(self.settings.api_key, self.settings.secret_key)

    def check(self) -> None:
        """Ask for one hour of yesterday's export (404 = no data, still authorised)."""
        hour = (self.started_at - timedelta(days=1)).strftime("%Y%m%dT%H")
        try:
            self.http.request("GET", EXPORT_PATH, params={"start": hour, "end": hour},
                              stream=True).close()
        except ConnectorError as exc:
            if exc.status != 404:
                raise

