"""The import format's helpdesk and CRM fields: validated, kept, refused with the field named."""

from __future__ import annotations

import pytest

from server import models as m
from server.ingest import load_records
from server.records import RecordError

ACC = {"type": "account", "id": "a1", "name": "Acme"}


def ticket(**kw):
    return {"type": "ticket", "id": "t1", "account_id": "a1", "status": "solved",
            "priority": "normal", "created_at": "2025-07-01T09:00:00Z", **kw}


def test_ticket_and_account_fields_are_kept(store):
    with store.session() as s:
        load_records(s, [
            {**ACC, "lifecycle_stage": "customer", "total_revenue": "125000.5",
             "employees": 240},
            ticket(satisfaction="good", satisfaction_comment="Great support!",
                   ticket_type="question", channel="email", assignee="ana@acme.io",
                   group="360001", tags=["vip", "vip", "billing"],
                   first_resolution_at="2025-07-02T11:00:00+02:00")])
    with store.sessions() as s:
        t = s.get(m.Ticket, "t1")
        assert t.satisfaction == "good"
        assert t.attributes == {"satisfaction_comment": "Great support!",
                                "ticket_type": "question", "channel": "email",
                                "assignee": "ana@acme.io", "group": "360001",
                                "tags": ["vip", "billing"],
                                "first_resolution_at": "2025-07-02T09:00:00Z"}
        a = s.get(m.Account, "a1")
        assert a.attributes == {"lifecycle_stage": "customer", "total_revenue": "125000.50",
                                "employees": 240}


@pytest.mark.parametrize("bad, field", [
    (ticket(satisfaction="great"), "satisfaction"),
    (ticket(tags="vip"), "tags"),
    (ticket(tags=["ok", ""]), "tags"),
    (ticket(first_resolution_at="yesterday"), "first_resolution_at"),
    (ticket(channel=["email"]), "channel"),
    ({**ACC, "id": "a2", "employees": 12.5}, "employees"),
    ({**ACC, "id": "a2", "total_revenue": "-1"}, "total_revenue"),
])
def test_bad_fields_are_refused_with_the_field_named(store, bad, field):
    with store.session() as s, pytest.raises(RecordError) as info:
        load_records(s, [ACC, bad])
    assert info.value.field == field
