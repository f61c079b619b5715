"""Which HubSpot scopes each stream needs, and which of them a token lacks.

HubSpot tells which scopes a token has: `GET /oauth/v1/access-tokens/{token}` for an OAuth
access token (`scopes`, with `hub_id`, `user`, `expires_in`...), and
`POST /oauth/v2/private-apps/get/access-token-info` with `{"tokenKey": <token>}` for a
private-app token (`scopes`, `hubId`, `appId`, `userId`). Comparing them with what each
stream reads names a missing scope before a sync runs into its 403.
"""

from __future__ import annotations

from collections.abc import Iterable

#: Private-app access tokens start with this (pat-na1-..., pat-eu1-...).
PRIVATE_APP_PREFIX = "pat-"
OAUTH_INFO = "/oauth/v1/access-tokens/{token}"
PRIVATE_APP_INFO = "/oauth/v2/private-apps/get/access-token-info"

_ENGAGEMENT = "crm.objects.contacts.read"  # the scope HubSpot's engagement APIs document

#: stream -> [(what it is for, the scopes granting it: any one; the first is the one to ask)]
NEEDS: dict[str, list[tuple[str, tuple[str, ...]]]] = {
    "companies": [("companies", ("crm.objects.companies.read",))],
    "contacts": [("contacts", ("crm.objects.contacts.read",))],
    "deals": [("deals", ("crm.objects.deals.read",))],
    "tickets": [("tickets", ("tickets",))],
    "tasks": [("tasks", (_ENGAGEMENT, "crm.objects.tasks.read"))],
    "calls": [("calls", (_ENGAGEMENT, "crm.objects.calls.read"))],
    "meetings": [("meetings", (_ENGAGEMENT, "crm.objects.meetings.read"))],
    "emails": [("emails", (_ENGAGEMENT, "crm.objects.emails.read")),
               ("email bodies (redacted without it)", ("sales-email-read",))],
    "notes": [("notes", (_ENGAGEMENT, "crm.objects.notes.read"))],
}
#: Owners give every stream its CSM emails.
OWNERS = ("CSM emails of owners", ("crm.objects.owners.read",))


def _name(options: tuple[str, ...]) -> str:
    return options[0] if len(options) == 1 else f"{options[0]} (or {', '.join(options[1:])})"


def missing(granted: Iterable[str], streams: Iterable[str]) -> dict[str, list[str]]:
    """{stream: [scope to grant, ...]} for the streams the granted scopes do not cover (and
    `owners` when the owners scope is missing); a scope is named with its alternatives
    ("crm.objects.contacts.read (or crm.objects.tasks.read)")."""
    have = set(granted)
    out: dict[str, list[str]] = {}
    for stream in streams:
        names = [_name(options) for _, options in NEEDS.get(stream, [])
                 if have.isdisjoint(options)]
        if names:
            out[stream] = names
    if have.isdisjoint(OWNERS[1]):
        out["owners"] = [_name(OWNERS[1])]
    return out


def sentence(report: dict) -> str:
    """The report in words: "deals needs crm.objects.deals.read; ..." or all granted."""
    gaps = report.get("missing") or {}
    if not gaps:
        return f"the token has every scope the streams read ({report.get('source')})"
    return "; ".join(f"{stream} needs {', '.join(names)}" for stream, names in gaps.items())
