"""Mixpanel user profiles (Query API ``/engage``): the account key kept on the user.

When events do not carry the account key but user profiles do (a user property such as
``company_id`` or ``account_id``), the connector reads the profiles once per run, with only
that property and the email in ``output_properties``, paging with the query's
``session_id``. The table holds one entry per profile that has the property.
"""

from __future__ import annotations

import json

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
    form: dict[str, object] = {"output_properties": json.dumps(wanted)}
    page = 0
    seen_pages = 0
    while True:
        data = http.post_json(ENGAGE_PATH, params=params, data=form)
        results = data.get("results") or [] if isinstance(data, dict) else []
        for row in results:
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
        seen_pages += 1
        size = data.get("page_size") or 1000
        total = data.get("total")
        if len(results) < size or not data.get("session_id") or (
                isinstance(total, int) and seen_pages * size >= total):
            return keys, emails
        page += 1
        form = {"output_properties": json.dumps(wanted), "session_id": data["session_id"],
                "page": page}
