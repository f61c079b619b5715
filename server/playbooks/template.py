"""Message templates: `{account.name}`, `{signal.reason}`, `{usage.trend}`...

A template is parsed with the standard library's format-string grammar, but only plain
`{namespace.key}` fields from a closed list are accepted (no indexing, attributes, format
specs or conversions), and rendering substitutes strings from a dict: nothing in a template
can reach an object. `{{` and `}}` are literal braces.
"""

from __future__ import annotations

from collections.abc import Callable
from string import Formatter

#: Every key a template may use, with what it stands for.
KEYS: dict[str, str] = {
    "account.id": "the account's id",
    "account.name": "the account's name",
    "account.owner": "the account's CSM (email)",
    "account.segment": "the account's segment",
    "account.phase": "the lifecycle phase on the day",
    "account.url": "the workspace page of the account",
    "health.score": "health score on the day",
    "health.band": "health band on the day (good, watch, at_risk, unknown)",
    "usage.trend": "active users 30d vs prior 30d, e.g. -35.0%",
    "usage.active_users_30d": "active users in the last 30 days",
    "renewal.days": "days to renewal",
    "renewal.date": "the renewal date",
    "signal.code": "the signal of the playbook's `when.signal`",
    "signal.reason": "its one-line reason",
    "signal.severity": "its severity",
    "signal.since": "the day its episode began",
    "playbook.name": "the playbook's name",
    "episode.start": "the first day of the episode",
    "tasks.overdue": "how many open tasks are past due",
}


class TemplateError(ValueError):
    """A template uses an unknown key or a construct other than `{namespace.key}`."""


def fields(template: str) -> list[str]:
    """The keys a template uses, in order; TemplateError on anything else."""
    out = []
    try:
        parsed = list(Formatter().parse(template))
    except ValueError as exc:
        raise TemplateError(f"{exc} (write {{{{ and }}}} for literal braces)") from None
    for _literal, name, spec, conversion in parsed:
        if name is None:
            continue
        if spec or conversion:
            raise TemplateError(f"{{{name}}}: no format spec or conversion allowed")
        if name not in KEYS:
            raise TemplateError(f"unknown key {{{name}}} (known: "
                                f"{', '.join('{' + k + '}' for k in KEYS)})")
        out.append(name)
    return out


def render(template: str, values: dict[str, str], escape: Callable[[str], str] = str) -> str:
    """The template with each key replaced by `escape(value)` (missing values: empty)."""
    parts = []
    for literal, name, _spec, _conv in Formatter().parse(template):
        parts.append(literal)
        if name is not None:
            parts.append(escape(values.get(name) or ""))
    return "".join(parts)


def slack_escape(text: str) -> str:
    """Slack's three control characters escaped, as its message-formatting docs ask, so
    CRM text is shown as typed and never becomes a link or a mention."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def one_line(text: str) -> str:
    """A header-safe value: line breaks become spaces."""
    return " ".join(text.splitlines())
