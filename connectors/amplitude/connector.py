"""The Amplitude connector: Export API archives -> usage events attributed to accounts."""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from datetime import timedelta
from types import SimpleNamespace

import requests

from connectors.amplitude.export import EXPORT_PATH, HOSTS, TooLarge, export_pages
from connectors.attribution import Attributor, account_index
from connectors.base import HttpConnector, Page, Stream
from connectors.errors import ConfigError, ConnectorError, ResponseError, TransientError
from connectors.mixpanel.connector import basic, check_common, optional_day
from connectors.registry import register
from connectors.settings import Settings, setting


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
        try:
            optional_day(self.start_date, f"{prefix}START_DATE")
        except ConfigError as exc:
            problems.append(exc.message)
        if problems:
            raise ConfigError("; ".join(problems), connector="amplitude")


def _too_large(exc: Exception) -> bool:
    return isinstance(exc, ConnectorError) and exc.status in (400, 504)


def _empty(exc: Exception) -> bool:
    return isinstance(exc, ConnectorError) and exc.status == 404


class EventsStream(Stream):
    """Events from hourly export archives, file by file, line by line."""

    name = "events"
    primary_key = "account_id,user_id,name,time"
    cursor_field = "server_upload_time"
    record_types = ("event",)

    def pages(self, state: dict | None):
        conn: AmplitudeConnector = self.connector
        s = conn.settings
        now = conn.started_at
        plan = SimpleNamespace(
            start_date=optional_day(s.start_date, "AMPLITUDE_START_DATE")
            or now.date() - timedelta(days=s.backfill_days),
            window_hours=s.window_hours, delay_hours=s.delay_hours,
            group_type=s.group_type or None, account_property=s.account_property or None,
            email_property=s.email_property or None)
        attributor = Attributor(account_index(conn), s.account_match)
        try:
            yield from export_pages(conn.http, plan, state, attributor, Page, now,
                                    _too_large, _empty, s.page_size)
        except TooLarge as exc:
            raise ResponseError("one hour of events is larger than the Export API serves "
                                f"(4 GB); use Amplitude's bulk export instead ({exc})",
                                connector=conn.name, stream=self.name, status=400) from None
        except zipfile.BadZipFile as exc:
            raise TransientError(f"the export archive is damaged or truncated ({exc}); the "
                                 "next run downloads the window again", connector=conn.name,
                                 stream=self.name) from exc
        except requests.RequestException as exc:
            raise TransientError(f"the export download broke off ({type(exc).__name__}); the "
                                 "next run downloads the window again", connector=conn.name,
                                 stream=self.name) from exc


@register
class AmplitudeConnector(HttpConnector):
    name = "amplitude"
    title = "Amplitude"
    settings_class = AmplitudeSettings
    streams = (EventsStream,)
    http_timeout = (10, 600)

    @property
    def base_url(self) -> str:
        return self.settings.base_url or HOSTS[self.settings.region]

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

