"""Mixpanel user profiles (Query API ``/engage``): the account key kept on the user.

When events do not carry the account key but user profiles do (a user property such as
``company_id`` or ``account_id``), the connector reads the profiles once per run, with only
that property and the email in ``output_properties``, paging with the query's
``session_id``. The table holds one entry per profile that has the property.
"""

from __future__ import annotations

import json

from connectors.pagination import Paginator, paginate

QUERY_HOSTS = {"us": "https://mixpanel.com", "eu": "https://eu.mixpanel.com",
               "in": "https://in.mixpanel.com"}
ENGAGE_PATH = "/api/query/engage"


def profile_table(http, project_id: str | None, prop: str, email_prop: str | None
                  ) -> tuple[dict[str, object], dict[str, str]]:
    """(distinct_id -> account key value, distinct_id -> email) from every user profile."""
    keys: dict[str, object] = {}
    emails: dict[str, str] = {}
    wanted = [prop] + ([email_prop] if email_prop else [])
    params = {"project_id": project_id} if project_id else None
    fetched = 0

    def fetch(token: tuple[str, int] | None) -> dict:
        nonlocal fetched
        form: dict[str, object] = {"output_properties": json.dumps(wanted)}
        if token is not None:
            form["session_id"], form["page"] = token
        data = http.post_json(ENGAGE_PATH, params=params, data=form, idempotent=True)  # a query
        fetched += 1
        return data

    def next_token(data: dict) -> tuple[str, int] | None:
        size = data.get("page_size") or 1000
        total = data.get("total")
        if len(_results(data)) < size or not data.get("session_id") or (
                isinstance(total, int) and fetched * size >= total):
            return None
        return data["session_id"], fetched

    for data, _ in paginate(fetch, Paginator(next_token, connector="mixpanel",
                                             stream="profiles")):
        for row in _results(data):
            if not isinstance(row, dict):
                continue
            did = row.get("$distinct_id")
            props = row.get("$properties")
            if did is None or not isinstance(props, dict):
                continue
            did = str(did)
            value = props.get(prop)
            if value not in (None, "", []):
                keys[did] = value
            email = props.get(email_prop) if email_prop else None
            if isinstance(email, str) and "@" in email:
                emails[did] = email
    return keys, emails


def _results(data) -> list:
    return data.get("results") or [] if isinstance(data, dict) else []
