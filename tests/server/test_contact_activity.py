"""A contact's product activity in the 360's stakeholders: its last active day (any time up
to as_of) and its active days of the last 30, matched on the contact's user_id else its
email, read by seeks on the user's days."""

from __future__ import annotations

from datetime import date

import pytest

from server.ingest import load_records
from server.metrics.types import UserActivity
from server.services.usage_facts import contact_activity

pytestmark = pytest.mark.store
AS_OF = date(2025, 7, 10)


def ev(acc, user, day, n=1):
    return [{"type": "event", "account_id": acc, "user_id": user, "name": "login",
             "time": f"{day}T{9 + i:02d}:00:00Z"} for i in range(n)]


def test_last_active_day_and_active_days_per_contact(store):
    recs = [{"type": "account", "id": "acme", "name": "Acme"},
            {"type": "account", "id": "globex", "name": "Globex"},
            {"type": "contact", "id": "c1", "account_id": "acme", "email": "ann@acme.io"},
            {"type": "contact", "id": "c2", "account_id": "acme", "email": "bob@acme.io",
             "user_id": "u-bob"},
            {"type": "contact", "id": "c3", "account_id": "acme", "email": "cy@acme.io"},
            {"type": "contact", "id": "c4", "account_id": "acme", "email": "old@acme.io"},
            {"type": "contact", "id": "c5", "account_id": "globex", "email": "ann@acme.io"}]
    for day in ("2025-06-10", "2025-06-11", "2025-07-01", "2025-07-10", "2025-07-11"):
        recs += ev("acme", "ann@acme.io", day, n=2)   # 07-11 is after as_of
    recs += ev("acme", "bob@acme.io", "2025-07-09")   # bob's events use his user id
    recs += ev("acme", "u-bob", "2025-07-02") + ev("acme", "u-bob", "2025-07-03")
    recs += ev("acme", "old@acme.io", "2025-01-15")   # active long ago only
    recs += ev("acme", "nobody@acme.io", "2025-07-05")  # a user who is not a contact
    recs += ev("globex", "ann@acme.io", "2025-05-01")   # the same address at another account
    with store.session() as s:
        load_records(s, recs)
    with store.sessions() as s:
        got = contact_activity(s, None, AS_OF)
        one = contact_activity(s, ["acme"], AS_OF)
    assert got["acme"] == {
        "ann@acme.io": UserActivity(date(2025, 7, 10), 3),   # 06-11 (day 30 back), 07-01, 07-10
        "u-bob": UserActivity(date(2025, 7, 3), 2),
        "old@acme.io": UserActivity(date(2025, 1, 15), 0)}
    assert got["globex"] == {"ann@acme.io": UserActivity(date(2025, 5, 1), 0)}
    assert one == {"acme": got["acme"]}
