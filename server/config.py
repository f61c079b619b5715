"""Service configuration: every `ACCOUNT360_*` variable, declared once with its type, default
and description (pydantic-settings). Resolution: defaults < environment < `create_app()`
overrides. The README's configuration table is generated from this declaration
(`python -m server.config`) and a test keeps the two equal."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PREFIX = "ACCOUNT360_"

Origins = Annotated[list[str], NoDecode]


def _doc(text: str, shown: str | None = None) -> Any:
    """Field metadata: the description, and the default as the README shows it."""
    return {"description": text, "json_schema_extra": {"shown": shown} if shown else None}


class Settings(BaseSettings):
    """The service's settings; each field is the environment variable ACCOUNT360_<NAME>."""

    model_config = SettingsConfigDict(env_prefix=PREFIX, env_ignore_empty=True,
                                      extra="ignore", validate_default=True)

    # -- storage and keys
    DATA_DIR: str | None = Field(None, **_doc(
        "directory of the SQLite file and the generated secret key", "`./data`"))
    DATABASE_URL: str | None = Field(None, **_doc(
        "any SQLAlchemy URL; PostgreSQL: `postgresql+psycopg://user:pass@host/db`",
        "`sqlite:///<DATA_DIR>/account360.db`"))
    SETTINGS: str | None = Field(None, **_doc("path of the workspace settings TOML file (until a first `account360 settings apply`)"))
    SECRET_KEY: str | None = Field(None, **_doc(
        "signs sessions and, through HKDF, encrypts connector credentials and OAuth tokens "
        "at rest", "generated into `<DATA_DIR>/secret.key` (mode 0600)"))
    PREVIOUS_SECRET_KEYS: Origins = Field(default_factory=list, **_doc(
        "comma-separated old secret keys, still accepted for decryption after a rotation"))
    LOG_LEVEL: str = Field("INFO", **_doc("logging level of the `server` loggers"))
    # -- API
    EXTENSION_ORIGINS: Origins = Field(default_factory=list, **_doc(
        "comma-separated `chrome-extension://<id>` origins allowed by CORS"))
    CORS_ORIGINS: Origins = Field(default_factory=list, **_doc(
        "extra comma-separated web origins allowed by CORS (no other origin gets CORS "
        "headers)"))
    CACHE_TTL: int = Field(300, **_doc("seconds a computed 360 stays cached"))
    CACHE_SIZE: int = Field(2048, **_doc("most 360 responses kept in the cache"))
    REFRESH_MAX_AGE_MINUTES: float = Field(15, **_doc(
        "opening an account in the extension refreshes it from its CRM when its CRM data is "
        "older than this (`POST /api/v1/accounts/<id>/refresh`)"))
    REFRESH_WAIT_SECONDS: float = Field(10, **_doc(
        "how long that request waits for its refresh job before it answers 202 `queued` "
        "(the job still lands the records)"))
    MAX_BODY_BYTES: int = Field(1_000_000, **_doc(
        "largest JSON body accepted by the write endpoints"))
    MAX_IMPORT_BYTES: int = Field(512_000_000, **_doc(
        "largest body accepted by `POST /api/v1/import`"))
    IMPORT_JOB_BYTES: int = Field(8_000_000, **_doc(
        "`POST /api/v1/import` bodies larger than this are stored in the database as they "
        "arrive and loaded by a job on any worker: the request answers 202 with the import's "
        "id (progress at `GET /api/v1/imports/<id>`); smaller ones are loaded in one "
        "transaction before the answer"))
    PREVIEW_INLINE_ACCOUNTS: int = Field(2000, ge=0, **_doc(
        "on a workspace with more accounts than this, the health model page's backtest "
        "(`backtest.run`, stored for the page) and its settings preview (`settings.preview`) "
        "run as jobs, their progress shown on the page; smaller ones are computed within "
        "the request"))
    # -- admin app
    PUBLIC_URL: str | None = Field(None, **_doc(
        "the address users type, e.g. `https://cs.example.com`: OAuth redirect URIs, invite "
        "links, the webhook signature, extension pairing; with https the session cookie is "
        "always Secure"))
    TRUSTED_PROXIES: int = Field(0, **_doc(
        "number of reverse proxies in front whose `X-Forwarded-*` headers are believed"))
    PREFERRED_URL_SCHEME: str | None = Field(None, **_doc(
        "`https` when generated external URLs must be https and no PUBLIC_URL is set"))
    SCHEDULER: str = Field("web", **_doc(
        "`web`: the web process runs the embedded queue's jobs (queued and scheduled syncs, "
        "the daily metrics job...); `off`: run `account360 worker` instead"))
    SYNC_POLL_SECONDS: float = Field(2, **_doc("how often the sync runner checks the queue"))
    # -- background jobs (docs/deploy.md)
    JOB_QUEUE: str = Field("embedded", **_doc(
        "`embedded`: jobs in the `jobs` table, run by threads of the web process (or "
        "`account360 worker`); `procrastinate` (PostgreSQL only): the procrastinate queue, run "
        "by any number of `account360 worker` processes"))
    JOB_MAX_ATTEMPTS: int = Field(5, **_doc(
        "attempts of a failing job (a sync, the daily metrics job...) before it stays failed"))
    JOB_RETRY_SECONDS: float = Field(30, **_doc(
        "wait before the first retry of a failed job; doubled at each further attempt (at most "
        "an hour)"))
    JOB_STALLED_SECONDS: float = Field(30, **_doc(
        "a worker silent this long is dead: its running jobs are retried on another worker"))
    WORKER_CONCURRENCY: int = Field(4, **_doc("jobs one `account360 worker` runs at a time"))
    SCHEDULE_CRON: str = Field("* * * * *", **_doc(
        "when the per-connector schedules are checked (cron; a 6th field is seconds)"))
    METRICS_DAILY_CRON: str = Field("5 0 * * *", **_doc(
        "when the daily metrics job (`account360 metrics daily`) runs, in UTC (cron)"))
    EXTENSION_ID: str | None = Field(None, **_doc(
        "the browser extension's id for one-click pairing (only a build published under "
        "another id needs it)",
        "the first `chrome-extension://` origin of EXTENSION_ORIGINS, else the id "
        "extension/manifest.json's `key` pins"))
    # -- playbooks and notifications
    PLAYBOOKS: str | None = Field(None, **_doc(
        "path of the playbooks TOML file (`account360 playbooks preview`, docs/playbooks.md)"))
    SMTP_HOST: str | None = Field(None, **_doc(
        "SMTP server of playbook and digest email (none: email actions fail, visibly)"))
    SMTP_PORT: int = Field(587, **_doc("SMTP port"))
    SMTP_TLS: str = Field("starttls", **_doc(
        "`starttls`, `ssl` (implicit TLS, usually port 465) or `none` (local relays only)"))
    SMTP_TIMEOUT: float = Field(15, **_doc(
        "seconds an SMTP connection or answer may take; a server that does not answer is "
        "not waited on again in the same playbooks run (its messages are retried later)"))
    SMTP_VERIFY: bool = Field(True, **_doc(
        "verify the SMTP server's TLS certificate and host name (`false` accepts any "
        "certificate: only for a relay you trust on a network you trust)"))
    SMTP_CA_FILE: str | None = Field(None, **_doc(
        "PEM file of the CAs to trust for the SMTP server's certificate (e.g. a company CA)",
        "the system's trusted CAs"))
    SMTP_USERNAME: str | None = Field(None, **_doc("SMTP user name, when the server wants one"))
    SMTP_PASSWORD: str | None = Field(None, **_doc(
        "SMTP password; or store it encrypted with `account360 playbooks secret set "
        "smtp-password`"))
    SMTP_FROM: str | None = Field(None, **_doc(
        "sender address of playbook and digest email", "`account360@<SMTP_HOST>`"))
    PLAYBOOKS_DIGEST_CRON: str = Field("0 7 * * *", **_doc(
        "when the daily playbooks digest goes to each CSM (cron, UTC)"))
    SLACK_API_URL: str = Field("https://slack.com/api/", **_doc(
        "Slack Web API base URL (bot-token messages and digest DMs)"))
    # -- OAuth apps of the CRMs (environment wins over what an admin saved in the card)
    HUBSPOT_CLIENT_ID: str | None = Field(None, **_doc("your HubSpot app's client id"))
    HUBSPOT_CLIENT_SECRET: str | None = Field(None, **_doc(
        "your HubSpot app's client secret (also checks webhook signatures)"))
    HUBSPOT_SCOPES: str = Field(
        "oauth crm.objects.companies.read crm.objects.contacts.read crm.objects.deals.read "
        "crm.objects.owners.read tickets", **_doc("space-separated OAuth scopes"))
    HUBSPOT_AUTHORIZE_URL: str = Field("https://app.hubspot.com/oauth/authorize",
                                       **_doc("HubSpot's authorization page"))
    HUBSPOT_API_URL: str = Field("https://api.hubapi.com", **_doc("HubSpot's API host"))
    HUBSPOT_TOKEN_URL: str | None = Field(None, **_doc(
        "HubSpot's token endpoint", "`<HUBSPOT_API_URL>/oauth/v1/token`"))
    SALESFORCE_CLIENT_ID: str | None = Field(None, **_doc(
        "your Salesforce connected app's consumer key"))
    SALESFORCE_CLIENT_SECRET: str | None = Field(None, **_doc(
        "your Salesforce connected app's consumer secret"))
    SALESFORCE_SCOPES: str = Field("api refresh_token", **_doc("space-separated OAuth scopes"))
    SALESFORCE_LOGIN_URL: str | None = Field(None, **_doc(
        "a My Domain login host; otherwise the card asks Production or Sandbox"))

    @field_validator("JOB_QUEUE")
    @classmethod
    def _queue(cls, value: str) -> str:
        if value not in ("embedded", "procrastinate"):
            raise ValueError("must be `embedded` or `procrastinate`")
        return value

    @field_validator("SMTP_TLS")
    @classmethod
    def _tls(cls, value: str) -> str:
        if value not in ("starttls", "ssl", "none"):
            raise ValueError("must be starttls, ssl or none")
        return value

    @field_validator("PREVIOUS_SECRET_KEYS", "EXTENSION_ORIGINS", "CORS_ORIGINS",
                     mode="before")
    @classmethod
    def _split(cls, value: Any) -> list[str]:
        if isinstance(value, (list, tuple)):
            return [str(v).strip() for v in value if str(v).strip()]
        return [part.strip() for part in str(value or "").split(",") if part.strip()]


#: Variables the test suite and scripts read (not the service): name -> (default, meaning).
TEST_VARIABLES: dict[str, tuple[str, str]] = {
    "TEST_DATABASE_URL": ("none", "PostgreSQL server URL: the store tests run against it"),
    "ARTIFACT_DIR": ("a temporary directory", "where browser tests save screenshots"),
    "CLI": ("the `account360` next to the Python", "the CLI the browser tests start"),
    "WIDGET_BUDGET_MS": ("`300`", "time budget of the widget render check"),
}


class ConfigError(RuntimeError):
    """A setting is missing or invalid; the message names it."""


def load_config(overrides: dict[str, Any] | None = None) -> dict:
    """Resolve the configuration: defaults < environment < overrides (undeclared override
    keys are kept as given)."""
    overrides = {k: v for k, v in (overrides or {}).items() if v is not None}
    declared = {k: v for k, v in overrides.items() if k in Settings.model_fields}
    try:
        cfg = Settings(**declared).model_dump()
    except ValidationError as exc:
        err = exc.errors()[0]
        name = str(err["loc"][0]) if err.get("loc") else "?"
        raise ConfigError(f"{PREFIX}{name}: {err['msg']} (got {err.get('input')!r})") from None
    cfg.update({k: v for k, v in overrides.items() if k not in Settings.model_fields})
    data_dir = Path(cfg["DATA_DIR"] or Path.cwd() / "data")
    cfg["DATA_DIR"] = str(data_dir)
    if not cfg["DATABASE_URL"]:
        data_dir.mkdir(parents=True, exist_ok=True)
        cfg["DATABASE_URL"] = f"sqlite:///{data_dir / 'account360.db'}"
    return cfg


def job_queue(cfg: dict, store: Any) -> str:
    """The job queue back-end for this store; procrastinate needs PostgreSQL."""
    kind = cfg.get("JOB_QUEUE") or "embedded"
    if kind == "procrastinate" and store.dialect != "postgresql":
        raise ConfigError(f"{PREFIX}JOB_QUEUE=procrastinate needs a PostgreSQL database "
                          f"({PREFIX}DATABASE_URL=postgresql+psycopg://...)")
    return kind


def secret_key(cfg: dict) -> str:
    """The configured secret key, or one generated once into <DATA_DIR>/secret.key (mode 0600)."""
    if cfg.get("SECRET_KEY"):
        return str(cfg["SECRET_KEY"])
    path = Path(cfg["DATA_DIR"]) / "secret.key"
    if path.exists():
        return path.read_text().strip()
    import secrets

    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


# -- the README tables -----------------------------------------------------------------
def _shown(name: str) -> str:
    field = Settings.model_fields[name]
    extra = field.json_schema_extra or {}
    if extra.get("shown"):
        return extra["shown"]
    default = field.get_default(call_default_factory=True)
    if default in (None, "", []):
        return "none"
    return f"`{default}`"


def markdown_table() -> str:
    """The README's table of the service's variables."""
    rows = ["| variable | default | meaning |", "|---|---|---|"]
    for name, field in Settings.model_fields.items():
        rows.append(f"| `{PREFIX}{name}` | {_shown(name)} | {field.description} |")
    return "\n".join(rows)


def markdown_test_table() -> str:
    """The README's table of the test suite's variables."""
    rows = ["| variable | default | meaning |", "|---|---|---|"]
    for name, (default, meaning) in TEST_VARIABLES.items():
        rows.append(f"| `{PREFIX}{name}` | {default} | {meaning} |")
    return "\n".join(rows)


def declared_names() -> set[str]:
    """Every ACCOUNT360_* name the project reads."""
    return {PREFIX + n for n in Settings.model_fields} | {PREFIX + n for n in TEST_VARIABLES}


if __name__ == "__main__":
    print(markdown_table())
    print()
    print(markdown_test_table())
