"""The Pendo connector: aggregation API -> daily activity, feature and page usage per account."""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace

from connectors.base import HttpConnector, Page
from connectors.errors import ConfigError, ResponseError
from connectors.pendo.aggregation import AGG_PATH, HOSTS, aggregation_pages, body
from connectors.registry import register
from connectors.rest import RestStream
from connectors.settings import Settings, check_common, raise_problems, setting


def id_map(raw, name: str) -> dict[str, str]:
    """A feature/page id -> event name table from a JSON object or "id=name,id=name"."""
    if isinstance(raw, dict):
        out = raw
    else:
        out = {}
        for part in str(raw or "").split(","):
            if not part.strip():
                continue
            if "=" not in part:
                raise ConfigError(f"{name} entries must look like id=Event name; got {part!r}")
            k, v = part.split("=", 1)
            out[k.strip()] = v.strip()
    bad = [k for k, v in out.items() if not str(k).strip() or not isinstance(v, str) or not v]
    if bad:
        raise ConfigError(f"{name} maps an id to an empty event name: {', '.join(bad)}")
    return {str(k): v for k, v in out.items()}


@dataclass(frozen=True)
class PendoSettings(Settings):
    integration_key: str = setting(secret=True, help="Integration key (Settings > "
                                   "Integrations > Integration Keys), sent as "
                                   "x-pendo-integration-key.")
    region: str = setting("us", help="us, eu, us1, jpn or au (a key ending in .eu picks eu).")
    base_url: str = setting("", help="Host override (a proxy or a test server).")
    account_field: str = setting(
        "accountId", help="The Pendo account field holding the account key: accountId, or a "
        "metadata path such as metadata.custom.crm_id (read from the accounts source).")
    visitor_emails: bool = setting(False, help="Read visitors' emails (metadata.agent.email) "
                                   "for email-domain attribution of rows without an account.")
    features: str = setting("", help="Feature id -> event name, as id=Name,id=Name or a JSON "
                                     "object; usually the names of the key features.")
    pages: str = setting("", help="Page id -> event name, as for FEATURES.")
    activity_event: str = setting("Pendo activity", help="Event name of daily activity rows.")
    account_match: str = setting("auto", help="auto (account id, CRM id, then domain), id, "
                                              "crm or domain.")
    start_date: str = setting("", help="First day to read (YYYY-MM-DD); default: "
                                       "BACKFILL_DAYS before today.")
    backfill_days: int = setting(90, help="Days read on the first run without START_DATE.")
    window_days: int = setting(7, help="Days per aggregation request.")
    lookback_days: int = setting(1, help="Days read again on every run (Pendo processes "
                                         "events hourly, so recent days grow).")
    page_size: int = setting(20000, help="Records landed per transaction.")

    def validate(self, prefix: str = "") -> None:
        problems = check_common(prefix, self, HOSTS)
        for field in ("features", "pages"):
            try:
                id_map(_json_or_text(getattr(self, field)), f"{prefix}{field.upper()}")
            except ConfigError as exc:
                problems.append(exc.message)
        raise_problems(problems, "pendo")


def _json_or_text(raw: str):
    import json

    text = (raw or "").strip()
    if text.startswith("{"):
        try:
            return json.loads(text)
        except ValueError:
            raise ConfigError("must be a JSON object or id=Name pairs") from None
    return text


class EventsStream(RestStream):
    """Daily activity, feature and page usage per visitor and account."""

    name = "events"
    cursor_field = "day"
    broke_off = ("the aggregation answer broke off ({kind}), also on every attempt to read "
                 "it again; the next run reads the window again")
    errors = ((ValueError, ResponseError, "the aggregation answer is not the documented JSON "
               "({exc})", {}),)

    def read(self, state: dict | None):
        s = self.settings
        plan = SimpleNamespace(
            start_date=self.start_day(),
            window_days=s.window_days, lookback_days=s.lookback_days,
            account_field=s.account_field, visitor_emails=s.visitor_emails,
            activity_event=s.activity_event,
            features=id_map(_json_or_text(s.features), "PENDO_FEATURES"),
            pages=id_map(_json_or_text(s.pages), "PENDO_PAGES"))
        yield from aggregation_pages(self.http, plan, state, self.attributor(), Page,
                                     self.connector.started_at.date(), s.page_size)


@register
class PendoConnector(HttpConnector):
    name = "pendo"
    title = "Pendo"
    settings_class = PendoSettings
    streams = (EventsStream,)
    hosts = HOSTS
    http_timeout = (10, 300)

    @property
    def base_url(self) -> str:
        s = self.settings
        if not s.base_url and s.region == "us" and s.integration_key.endswith(".eu"):
            return HOSTS["eu"]
        return super().base_url

    def _auth(self, headers: dict) -> None:
        headers["x-pendo-integration-key"] = self.settings.integration_key
        headers["Content-Type"] = "application/json"

    def check(self) -> None:
        """One tiny aggregation: the first account."""
        self.http.post_json(AGG_PATH, json=body({"accounts": None}, "account360-check",
                                                extra=[{"limit": 1}]), idempotent=True)

