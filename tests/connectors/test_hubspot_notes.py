"""HubSpot notes: each note is a `note` touchpoint and its body a `message` (channel note,
direction out, by the note's owner), read incrementally and resumably like calls and
emails, through the fake portal and the real hubspot-api-client."""

from __future__ import annotations

import time

from sqlalchemy import select

from server import models as m
from server.settings import parse
from server.sync import load_state, run_sync
from tests.connectors.hubspot_portal import ACME, GLOBEX, MIN, T0, seed

FULL = {"messages": {"text": "full", "retention_days": 0}}  # the portal's data is from 2025


def add_notes(fake, n: int = 5) -> None:
    for i in range(n):
        body = None if i == 1 else f"<p>Call with Jane: <b>renewal</b> looks good ({i})</p>"
        fake.add("notes", 990000 + i, {"hs_timestamp": f"2025-07-0{i + 1}T10:00:00.000Z",
                                       "hs_note_body": body, "hubspot_owner_id": "64492917"},
                 modified=T0 + (900 + i) * MIN, companies=[GLOBEX if i == 4 else ACME])


def rows(store, model, **where):
    with store.sessions() as s:
        q = select(model)
        for k, v in where.items():
            q = q.where(getattr(model, k) == v)
        return {r.id: r for r in s.scalars(q)}


def test_notes_land_as_note_touchpoints_and_messages(store, hubspot_fake, hubspot):
    store.settings = parse(FULL)
    seed(hubspot_fake)
    add_notes(hubspot_fake)
    report = run_sync(store, hubspot())
    notes = report["streams"]["notes"]
    assert report["status"] == "success"
    assert notes["by_type"] == {"touchpoint": 5, "message": 4}   # note 1 has no body
    touch = rows(store, m.Touchpoint, kind="note")
    assert sorted(touch) == [f"hubspot-note-99000{i}" for i in range(5)]
    t0 = touch["hubspot-note-990000"]
    assert (t0.account_id, t0.date.isoformat(), t0.owner) == (
        f"hubspot-{ACME}", "2025-07-01", "dana@vendor.example")
    assert touch["hubspot-note-990004"].account_id == f"hubspot-{GLOBEX}"
    said = rows(store, m.Message, channel="note")
    assert sorted(said) == [f"hubspot-note-message-99000{i}" for i in (0, 2, 3, 4)]
    x = said["hubspot-note-message-990000"]
    assert (x.direction, x.author, x.text, x.at.isoformat()) == (
        "out", "dana@vendor.example", "Call with Jane: renewal looks good (0)",
        "2025-07-01T10:00:00+00:00")
    assert x.sentiment > 0
    # the search asked for the note's body and read notes by last-modified time
    search = hubspot_fake.requests("POST", r"/crm/v3/objects/notes/search$")[0]["body"]
    assert "hs_note_body" in search["properties"]
    assert search["sorts"] == [{"propertyName": "hs_lastmodifieddate",
                                "direction": "ASCENDING"}]


def test_no_text_is_kept_when_the_policy_is_none(store, hubspot_fake, hubspot):
    store.settings = parse({"messages": {"text": "none", "retention_days": 0}})
    seed(hubspot_fake)
    add_notes(hubspot_fake, 1)
    run_sync(store, hubspot(), streams=["companies", "notes"])
    x = rows(store, m.Message, channel="note")["hubspot-note-message-990000"]
    assert x.text is None and x.sentiment > 0   # scored, then the text dropped
    assert "hubspot-note-990000" in rows(store, m.Touchpoint, kind="note")
    with store.sessions() as s:   # and no parked or other copy of the body
        assert s.scalars(select(m.ParkedRecord)).all() == []


def test_notes_are_incremental_and_resume_after_a_failure(store, hubspot_fake, hubspot):
    store.settings = parse(FULL)
    seed(hubspot_fake)
    add_notes(hubspot_fake)
    run_sync(store, hubspot(), streams=["companies"])
    # the second page of notes (2 per page) fails past the retries: the first page stays
    hubspot_fake.fail("POST", r"/crm/v3/objects/notes/search$", 502, times=99, skip=1)
    report = run_sync(store, hubspot(), streams=["notes"])
    assert report["streams"]["notes"]["status"] == "failed"
    assert report["streams"]["notes"]["by_type"] == {"touchpoint": 2, "message": 1}
    cursor = load_state(store, "hubspot", "notes")
    assert cursor["since"] == T0 + 901 * MIN
    hubspot_fake.faults.clear()
    report = run_sync(store, hubspot(), streams=["notes"])
    assert report["streams"]["notes"]["by_type"] == {"touchpoint": 3, "message": 3}
    first = hubspot_fake.requests("POST", r"/crm/v3/objects/notes/search$")[-2]["body"]
    assert {"propertyName": "hs_lastmodifieddate", "operator": "GTE",
            "value": str(T0 + 901 * MIN)} in first["filterGroups"][0]["filters"]
    assert len(rows(store, m.Touchpoint, kind="note")) == 5
    assert len(rows(store, m.Message, channel="note")) == 4
    # nothing new: nothing read; an edited note: its touchpoint and message again
    assert run_sync(store, hubspot(), streams=["notes"])["streams"]["notes"]["records"] == 0
    hubspot_fake.touch("notes", 990002, T0 + 950 * MIN,
                       hs_note_body="Escalation: they are unhappy with support")
    report = run_sync(store, hubspot(), streams=["notes"])
    assert report["streams"]["notes"]["by_type"] == {"touchpoint": 1, "message": 1}
    x = rows(store, m.Message, channel="note")["hubspot-note-message-990002"]
    assert x.text == "Escalation: they are unhappy with support" and x.sentiment < 0


def test_an_archived_note_takes_its_touchpoint_and_message_away(store, hubspot_fake, hubspot):
    store.settings = parse(FULL)
    seed(hubspot_fake)
    add_notes(hubspot_fake, 3)
    run_sync(store, hubspot(), streams=["companies", "notes"])
    hubspot_fake.archive("notes", 990000, int(time.time() * 1000))
    report = run_sync(store, hubspot(), streams=["notes"])
    assert report["streams"]["notes"]["deleted"] == 2
    assert "hubspot-note-990000" not in rows(store, m.Touchpoint, kind="note")
    assert "hubspot-note-message-990000" not in rows(store, m.Message, channel="note")
    assert "hubspot-note-message-990002" in rows(store, m.Message, channel="note")
