"""The fast path for event lines accepts exactly what the full checks accept, with the same
values, and leaves every other line to them (with their reasons)."""

from __future__ import annotations

import json

from sqlalchemy import select

from server import models as m
from server.event_lines import decode_event
from server.importer import import_lines
from server.ingest import load_records

VARIANTS = [
    {"user_id": "u1", "name": "login", "time": "2026-11-01T10:00:00Z", "session_id": "s1"},
    {"user_id": "u1", "name": "search", "time": "2026-11-01T12:30:00.250+02:00",
     "session_id": 42},
    {"user_id": "u2", "name": "login", "time": "2026-11-01T23:59:59-05:00", "session_id": -1},
    {"user_id": "u2", "name": "export", "time": "2026-11-02T00:00:01Z", "session_id": ""},
    {"user_id": "u3", "name": "x" * 200, "time": "2026-11-02T08:00:00Z",
     "properties": {"plan": "pro", "n": [1, 2]}, "extra": {"kept": False}},
    {"user_id": "u3", "name": "ünïcode", "time": "2026-11-02T08:00:00.123456Z"},
]


def _rows(store, account_id: str):
    with store.sessions() as s:
        return {
            "users": sorted((str(r.day), r.user_id, r.events) for r in s.scalars(
                select(m.UsageUserDay).where(m.UsageUserDay.account_id == account_id))),
            "names": sorted((str(r.day), r.name, r.events) for r in s.scalars(
                select(m.UsageEventDay).where(m.UsageEventDay.account_id == account_id))),
            "sessions": sorted((r.user_id, r.session_key, r.start_ts, r.end_ts, str(r.day))
                               for r in s.scalars(select(m.UsageSession).where(
                                   m.UsageSession.account_id == account_id))),
        }


def test_fast_and_full_paths_store_the_same_rows(store):
    lines = [json.dumps({"type": "account", "id": "fast", "name": "Fast"})]
    lines += [json.dumps({"type": "event", "account_id": "fast", **v}) for v in VARIANTS]
    assert all(decode_event(line) is not None for line in lines[1:])
    report = import_lines(store, lines)
    assert (report.loaded, report.rejected, report.new_events) == (7, 0, 6)
    with store.session() as s:   # the same events through Loader.add: the full checks only
        loader = load_records(s, [{"type": "account", "id": "full", "name": "Full"}] + [
            {"type": "event", "account_id": "full", **v} for v in VARIANTS])
    assert loader.new_events == 6
    fast, full = _rows(store, "fast"), _rows(store, "full")
    assert fast == full
    keys = [(u, k[:2]) for u, k, *_ in fast["sessions"]]
    # s1 and 42 name sessions; -1 and "" mean none: u2's two events 5 hours apart split
    assert keys == [("u1", "s:"), ("u1", "s:"), ("u2", "g:"), ("u2", "g:"), ("u3", "g:")]
    assert ("u1", "s:42") in [(u, k) for u, k, *_ in fast["sessions"]]


def test_lines_the_fast_path_leaves_to_the_full_checks(store):
    import_lines(store, [json.dumps({"type": "account", "id": "a1", "name": "A"})])
    base = {"type": "event", "account_id": "a1", "user_id": "u", "name": "n",
            "time": "2026-11-01T10:00:00Z"}
    cases = [
        ({**base, "account_id": "nope"}, "unknown account 'nope'"),
        ({**base, "user_id": ""}, "missing required field 'user_id'"),
        ({**base, "name": "y" * 201}, "'name' is longer than 200 characters"),
        ({**base, "time": "2026-11-01T10:00:00"}, "has no time zone"),
        ({**base, "time": "yesterday"}, "must be an ISO 8601 time"),
        ({**base, "session_id": True}, "'session_id' must be a string or an integer"),
        ({**base, "properties": [1]}, "'properties' must be an object"),
    ]
    lines = [json.dumps(rec) for rec, _ in cases] + ['{"type": "event", "account_id": ']
    report = import_lines(store, lines)
    assert report.rejected == len(cases) + 1 and report.loaded == 0
    reasons = [e["reason"] for e in report.errors]
    for (_, want), got in zip(cases, reasons):
        assert got.startswith("event: ") and want in got, (want, got)
    assert reasons[-1].startswith("not valid JSON")
    # an account id given as a number passes the full checks (as a string)
    report = import_lines(store, [json.dumps({"type": "account", "id": "7", "name": "Seven"}),
                                  json.dumps({**base, "account_id": 7})])
    assert report.loaded == 2 and report.new_events == 1
