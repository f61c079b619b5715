"""Shared helpers of the usage/support connector tests: accounts, store figures, the 360."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import select

from server import models as m
from server.ingest import load_records
from server.usage_ingest import stored_events

ACCOUNTS = [
    {"type": "account", "id": "acc-acme", "name": "Acme", "domains": ["acme.io"], "seats": 10,
     "crm": {"system": "salesforce", "id": "0015g00000AbC12AAF"}},
    {"type": "account", "id": "acc-globex", "name": "Globex", "domains": ["globex.com"],
     "seats": 5},
    {"type": "account", "id": "acc-initech", "name": "Initech", "domains": ["initech.com"]},
]


def seed(store, accounts=ACCOUNTS) -> None:
    with store.session() as s:
        load_records(s, accounts)


def user_days(store) -> dict[tuple, int]:
    """{(account, day, user): events} from the per-day usage rows."""
    with store.sessions() as s:
        return {(a, d.isoformat(), u): n for a, d, u, n in s.execute(
            select(m.UsageUserDay.account_id, m.UsageUserDay.day, m.UsageUserDay.user_id,
                   m.UsageUserDay.events))}


def event_days(store) -> dict[tuple, int]:
    with store.sessions() as s:
        return {(a, d.isoformat(), nm): n for a, d, nm, n in s.execute(
            select(m.UsageEventDay.account_id, m.UsageEventDay.day, m.UsageEventDay.name,
                   m.UsageEventDay.events))}


def sessions(store) -> dict[tuple, tuple[int, int]]:
    with store.sessions() as s:
        return {(x.account_id, x.user_id, x.session_key): (x.start_ts, x.end_ts)
                for x in s.scalars(select(m.UsageSession))}


def event_keys(store) -> int:
    with store.sessions() as s:
        return stored_events(s)


def tickets(store) -> dict[str, m.Ticket]:
    with store.sessions() as s:
        return {t.id: t for t in s.scalars(select(m.Ticket))}


def expected_user_days(records) -> dict[tuple, int]:
    """The per-day rows an exact, duplicate-free ingest of `records` must produce."""
    unique = {(r["account_id"], r["user_id"], r["name"], r["time"]) for r in records}
    return dict(Counter((a, t[:10], u) for a, u, _, t in unique))


def view_360(client, auth, account_id: str, as_of: str) -> dict:
    resp = client.get(f"/api/v1/accounts/{account_id}/360?as_of={as_of}", headers=auth)
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()


def no_sleep(log: list | None = None):
    def sleep(seconds: float) -> None:
        if log is not None:
            log.append(seconds)
    return sleep
