"""The playbooks file (`ACCOUNT360_PLAYBOOKS`, TOML): parsed and validated with pydantic.

A file with any error is refused whole (nothing runs); each error names the playbook and the
key, e.g. `playbook 'Usage drop rescue', key action[2].slack.webhook: ...`.

    [[playbook]]
    name = "Usage drop rescue"
    when = { signal = "usage_drop", segment = "Enterprise" }
    [[playbook.action]]
    task = { subject = "Call {account.name} about usage ({usage.trend})", due_in_days = 3 }
    [[playbook.action]]
    slack = { webhook = "secret:cs-alerts", text = "{account.name}: {signal.reason}" }
    [[playbook.action]]
    email = { to = "owner", subject = "...", body = "..." }

    [digest]                      # optional: the daily digest per CSM
    email = true
    slack_token = "secret:slack-bot"
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from server.metrics.config import SIGNAL_CODES
from server.metrics.phase import PHASES
from server.playbooks.asof import NEW_ACCOUNT_DAYS
from server.playbooks.template import TemplateError, fields

BANDS = ("good", "watch", "at_risk", "unknown")
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
SECRET_PREFIX = "secret:"


class PlaybookFileError(ValueError):
    """The playbooks file is unreadable or invalid; `errors` lists every problem."""

    def __init__(self, errors: list[str]) -> None:
        self.errors = errors
        super().__init__("; ".join(errors))


def check_webhook(url: str) -> str:
    """A Slack webhook URL as given: https, or http only to this machine (local receivers)."""
    if url.startswith(SECRET_PREFIX):
        return url
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return url
    if parts.scheme == "http" and parts.hostname in LOCAL_HOSTS:
        return url
    raise ValueError("must be an https:// URL (http:// only for 127.0.0.1 or localhost), "
                     "or secret:NAME of a stored secret")


def _one_of(allowed: tuple[str, ...], what: str):
    def check(value):
        if value is None:
            return None
        items = [value] if isinstance(value, str) else list(value)
        bad = [v for v in items if v not in allowed]
        if bad or not items:
            raise ValueError(f"unknown {what} {', '.join(map(repr, bad)) or '(empty)'} "
                             f"(one of {', '.join(allowed)})")
        return items
    return check


Names = str | list[str] | None


class When(BaseModel):
    """Conditions (all must hold on the day) and filters on the account."""

    model_config = ConfigDict(extra="forbid")
    signal: Names = None
    band: Names = None
    phase: Names = None
    days_to_renewal: Annotated[int, Field(ge=0, le=3660)] | None = None
    health_drop: Annotated[float, Field(gt=0, le=100)] | None = None
    #: true (the first 30 days) or a number of days since the account began (asof.py)
    new_account: bool | Annotated[int, Field(ge=1, le=3660)] | None = None
    task_overdue: bool | None = None
    segment: Names = None
    owner: Names = None

    _signal = field_validator("signal")(classmethod(lambda c, v: _one_of(SIGNAL_CODES, "signal")(v)))
    _band = field_validator("band")(classmethod(lambda c, v: _one_of(BANDS, "band")(v)))
    _phase = field_validator("phase")(classmethod(lambda c, v: _one_of(PHASES, "phase")(v)))

    @field_validator("new_account")
    @classmethod
    def _new_days(cls, value):
        if value is True:
            return NEW_ACCOUNT_DAYS
        return None if value is False else value

    @field_validator("segment", "owner")
    @classmethod
    def _lower(cls, value):
        if value is None:
            return None
        items = [value] if isinstance(value, str) else list(value)
        return [v.strip().lower() for v in items if v.strip()] or None

    @model_validator(mode="after")
    def _some_condition(self):
        if not any(getattr(self, k) not in (None, False) for k in CONDITIONS):
            raise ValueError(f"needs at least one condition ({', '.join(CONDITIONS)}); "
                             "segment and owner only narrow")
        return self


CONDITIONS = ("signal", "band", "phase", "days_to_renewal", "health_drop", "new_account",
              "task_overdue")


class TaskAction(BaseModel):
    model_config = ConfigDict(extra="forbid")
    subject: Annotated[str, Field(min_length=1, max_length=500)]
    due_in_days: Annotated[int, Field(ge=0, le=365)] = 3
    note: Annotated[str, Field(max_length=10_000)] | None = None


def _address(value: str) -> str:
    if value != "owner" and (value.count("@") != 1 or len(value) > 320 or any(
            c in value for c in " \r\n,;<>")):
        raise ValueError(f"{value!r} is neither \"owner\" nor an email address")
    return value


class SlackAction(BaseModel):
    """An incoming webhook; or the Web API with a bot token: `chat.postMessage` to a channel,
    or a direct message to a person (`to = "owner"`, the account's CSM, or an email address,
    found with users.lookupByEmail). The token defaults to the file's `[slack] token`."""

    model_config = ConfigDict(extra="forbid")
    text: Annotated[str, Field(min_length=1, max_length=3000)]
    webhook: str | None = Field(None, repr=False)   # secrets never in a repr or log
    token: str | None = Field(None, repr=False)
    channel: str | None = None
    to: str | None = None

    @field_validator("webhook")
    @classmethod
    def _webhook(cls, value):
        return None if value is None else check_webhook(value)

    @field_validator("to")
    @classmethod
    def _to(cls, value):
        return None if value is None else _address(value)

    @model_validator(mode="after")
    def _target(self):
        if sum(bool(x) for x in (self.webhook, self.channel, self.to)) != 1:
            raise ValueError("give one of webhook, channel (with a bot token) or to "
                             "(\"owner\" or an email address: a direct message)")
        if self.webhook and self.token:
            raise ValueError("a webhook needs no token")
        return self


class SlackDefaults(BaseModel):
    """`[slack]`: the bot token of the Web API actions that name none."""

    model_config = ConfigDict(extra="forbid")
    token: str | None = Field(None, repr=False)


class EmailAction(BaseModel):
    model_config = ConfigDict(extra="forbid")
    to: str | list[str] = "owner"
    subject: Annotated[str, Field(min_length=1, max_length=500)]
    body: Annotated[str, Field(min_length=1, max_length=20_000)]

    @field_validator("to")
    @classmethod
    def _to(cls, value):
        items = [value] if isinstance(value, str) else list(value)
        for v in items:
            _address(v)
        if not items:
            raise ValueError("name at least one recipient")
        return items


class Action(BaseModel):
    model_config = ConfigDict(extra="forbid")
    task: TaskAction | None = None
    slack: SlackAction | None = None
    email: EmailAction | None = None

    @model_validator(mode="after")
    def _exactly_one(self):
        if sum(x is not None for x in (self.task, self.slack, self.email)) != 1:
            raise ValueError("each action is exactly one of task, slack or email")
        return self

    @property
    def kind(self) -> str:
        return "task" if self.task else "slack" if self.slack else "email"

    @property
    def body(self) -> Any:
        return self.task or self.slack or self.email


class Playbook(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Annotated[str, Field(min_length=1, max_length=200)]
    enabled: bool = True
    when: When
    action: Annotated[list[Action], Field(min_length=1, max_length=20)]


class Digest(BaseModel):
    """The daily digest per CSM: by email (SMTP settings) and/or a Slack DM (bot token)."""

    model_config = ConfigDict(extra="forbid")
    email: bool = False
    #: a Slack DM to each CSM with this bot token; `slack = true`: with `[slack] token`
    slack_token: str | None = Field(None, repr=False)
    slack: bool = False
    renewal_days: Annotated[int, Field(ge=1, le=3660)] = 90


class PlaybookFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    playbook: list[Playbook] = []
    digest: Digest | None = None
    slack: SlackDefaults | None = None


TEMPLATE_FIELDS = {"task": ("subject", "note"), "slack": ("text",),
                   "email": ("subject", "body")}


def _where(raw: dict, loc: tuple) -> str:
    """`playbook 'Name', key when.signal` from a pydantic error location."""
    if len(loc) >= 2 and loc[0] == "playbook" and isinstance(loc[1], int):
        items = raw.get("playbook") or []
        item = items[loc[1]] if loc[1] < len(items) else {}
        name = item.get("name") if isinstance(item, dict) else None
        who = f"playbook {name!r}" if isinstance(name, str) else f"playbook #{loc[1] + 1}"
        rest = loc[2:]
    else:
        who, rest = "file", loc
    key = ""
    for part in rest:
        if isinstance(part, int):
            key += f"[{part + 1}]"
        elif part not in ("function-after", "function-before", "str", "list[str]", "bool",
                          "int", "constrained-int"):
            key += ("." if key else "") + str(part)
    return f"{who}, key {key}" if key else who


def parse(text: str) -> PlaybookFile:
    """The validated playbooks of a TOML text; PlaybookFileError lists every problem."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PlaybookFileError([f"not valid TOML: {exc}"]) from None
    try:
        parsed = PlaybookFile.model_validate(raw)
    except ValidationError as exc:
        seen, errors = set(), []
        for err in exc.errors():
            msg = f"{_where(raw, tuple(err['loc']))}: {err['msg'].removeprefix('Value error, ')}"
            if msg not in seen:
                seen.add(msg)
                errors.append(msg)
        raise PlaybookFileError(errors) from None
    errors = []
    names: set[str] = set()
    for pb in parsed.playbook:
        if pb.name in names:
            errors.append(f"playbook {pb.name!r}, key name: two playbooks have this name")
        names.add(pb.name)
        for i, act in enumerate(pb.action):
            if act.kind == "slack" and not act.slack.webhook and not act.slack.token:
                if parsed.slack and parsed.slack.token:
                    act.slack.token = parsed.slack.token
                else:
                    errors.append(f"playbook {pb.name!r}, key action[{i + 1}].slack.token: "
                                  "a bot token is needed for channel and to (here, or "
                                  "[slack] token for every action)")
            for key in TEMPLATE_FIELDS[act.kind]:
                text_ = getattr(act.body, key)
                if text_ is None:
                    continue
                try:
                    used = fields(text_)
                except TemplateError as exc:
                    errors.append(f"playbook {pb.name!r}, key action[{i + 1}].{act.kind}.{key}: "
                                  f"{exc}")
                    continue
                if any(k.startswith("signal.") for k in used) and not pb.when.signal:
                    errors.append(f"playbook {pb.name!r}, key action[{i + 1}].{act.kind}.{key}: "
                                  "{signal.*} needs a when.signal condition")
    if parsed.digest and parsed.digest.slack and not parsed.digest.slack_token:
        if parsed.slack and parsed.slack.token:
            parsed.digest.slack_token = parsed.slack.token
        else:
            errors.append("file, key digest.slack: a bot token is needed (digest.slack_token, "
                          "or [slack] token)")
    if errors:
        raise PlaybookFileError(errors)
    return parsed


def load(path: str | Path | None) -> PlaybookFile:
    """The playbooks of a file (none configured: no playbooks)."""
    if not path:
        return PlaybookFile()
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise PlaybookFileError([f"cannot read {path}: {exc.strerror or exc}"]) from None
    return parse(text)
