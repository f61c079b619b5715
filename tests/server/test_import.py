"""The JSONL import: every record type, idempotence, rejects with line numbers, usage rows."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select

from server import models as m
from server.importer import import_lines
from server.usage_ingest import stored_events

ACME = {"type": "account", "id": "acme", "name": "Acme", "domains": ["https://www.Acme.com/x"],
        "owner": "Maria@ourteam.example", "seats": 10, "renewal_date": "2027-01-31",
        "segment": "enterprise", "crm": {"system": "hubspot", "id": "501"}, "tier": "gold"}


def lines(*records):
    return [json.dumps(r).encode() if not isinstance(r, str) else r.encode() for r in records]


def count(store, model):
    with store.sessions() as s:
        return s.scalar(select(func.count()).select_from(model))


def test_every_record_type_loads_and_extras_are_kept(store):
    recs = [ACME,
            {"type": "contact", "id": "c1", "account_id": "acme", "email": "Ann@Acme.com",
             "champion": True, "crm": {"system": "hubspot", "id": "901"}},
            {"type": "deal", "id": "d1", "account_id": "acme", "kind": "new", "status": "won",
             "amount": "1200.50", "close_date": "2026-01-15"},
            {"type": "event", "account_id": "acme", "user_id": "u1", "name": "login",
             "time": "2026-11-01T10:00:00Z", "session_id": "s1"},
            {"type": "ticket", "id": "k1", "account_id": "acme", "status": "open",
             "priority": "high", "created_at": "2026-11-01T10:00:00+02:00"},
            {"type": "task", "id": "t1", "account_id": "acme", "subject": "Call", "status": "open"},
            {"type": "touchpoint", "account_id": "acme", "kind": "qbr", "date": "2026-10-01"},
            {"type": "nps", "account_id": "acme", "score": 9, "date": "2026-10-02"},
            {"type": "survey", "account_id": "acme", "kind": "ces", "score": 5, "scale": 7,
             "date": "2026-10-03"},
            {"type": "advocacy", "account_id": "acme", "kind": "review", "date": "2026-10-04"}]
    report = import_lines(store, lines(*recs))
    assert (report.loaded, report.rejected) == (10, 0)
    with store.sessions() as s:
        acc = s.get(m.Account, "acme")
        assert acc.domains == ["acme.com"]
        assert acc.owner == "maria@ourteam.example"
        assert acc.attributes == {"tier": "gold"}
        assert s.get(m.Deal, "d1").amount == Decimal("1200.50")
        ticket = s.get(m.Ticket, "k1")
        assert ticket.created_at.replace(tzinfo=None).isoformat() == "2026-11-01T08:00:00"
        assert s.get(m.Contact, "c1").email == "ann@acme.com"
        links = {(x.record_id, x.object_type) for x in s.scalars(select(m.CrmLink))}
        assert links == {("501", "account"), ("901", "contact")}
        assert s.scalar(select(m.AccountDomain.domain)) == "acme.com"
    for model in (m.Touchpoint, m.NpsResponse, m.Survey, m.Advocacy, m.UsageUserDay,
                  m.UsageEventDay, m.UsageSession):
        assert count(store, model) == 1, model


def test_reimport_changes_nothing(store):
    recs = [ACME] + [{"type": "event", "account_id": "acme", "user_id": f"u{i % 3}",
                      "name": "login", "time": f"2026-11-0{1 + i % 2}T10:0{i}:00Z"}
                     for i in range(6)] + [
        {"type": "touchpoint", "account_id": "acme", "kind": "call", "date": "2026-10-01"}]
    first = import_lines(store, lines(*recs))
    assert first.new_events == 6
    second = import_lines(store, lines(*recs))
    assert second.new_events == 0
    with store.sessions() as s:
        assert s.scalar(select(func.sum(m.UsageUserDay.events))) == 6
        assert stored_events(s) == 6
    assert count(store, m.Touchpoint) == 1
    assert count(store, m.Account) == 1


def test_same_event_with_other_zone_spelling_is_a_duplicate(store):
    ev = {"type": "event", "account_id": "acme", "user_id": "u1", "name": "login"}
    report = import_lines(store, lines(ACME, {**ev, "time": "2026-11-01T10:00:00Z"},
                                       {**ev, "time": "2026-11-01T12:00:00+02:00"}))
    assert report.new_events == 1


def test_bad_lines_are_reported_and_good_lines_load(store):
    recs = lines(
        ACME,
        "{not json",
        {"type": "widget", "id": "x"},
        {"type": "deal", "id": "d1", "account_id": "acme", "kind": "new", "status": "won",
         "close_date": "2026-01-01"},
        {"type": "deal", "id": "d2", "account_id": "acme", "kind": "gift", "status": "won",
         "amount": 5, "close_date": "2026-01-01"},
        {"type": "event", "account_id": "ghost", "user_id": "u", "name": "x",
         "time": "2026-01-01T00:00:00Z"},
        {"type": "event", "account_id": "acme", "user_id": "u", "name": "x",
         "time": "2026-01-01T00:00:00"},
        {"type": "deal", "id": "d3", "account_id": "acme", "kind": "new", "status": "won",
         "amount": 100, "close_date": "01/02/2026"},
        {"type": "nps", "account_id": "acme", "score": 11, "date": "2026-01-01"},
        {"type": "deal", "id": "d4", "account_id": "acme", "kind": "new", "status": "won",
         "amount": 100, "close_date": "2026-02-01"},
    )
    report = import_lines(store, recs)
    assert (report.loaded, report.rejected) == (2, 8)
    by_line = {e["line"]: e["reason"] for e in report.errors}
    assert set(by_line) == {2, 3, 4, 5, 6, 7, 8, 9}
    assert "not valid JSON" in by_line[2]
    assert "unknown type 'widget'" in by_line[3]
    assert "missing required field 'amount'" in by_line[4]
    assert "'kind' must be one of" in by_line[5]
    assert "unknown account 'ghost'" in by_line[6]
    assert "no time zone" in by_line[7]
    assert "YYYY-MM-DD" in by_line[8]
    assert "'score' must be between 0 and 10" in by_line[9]
    assert count(store, m.Deal) == 1


def test_usage_rows_keep_exact_distinct_users_and_sessions(store):
    ev = {"type": "event", "account_id": "acme", "name": "login"}
    recs = [ACME,
            # u1: three events within 30-minute gaps -> one implicit session of 50 minutes
            {**ev, "user_id": "u1", "time": "2026-11-01T10:00:00Z"},
            {**ev, "user_id": "u1", "time": "2026-11-01T10:25:00Z"},
            {**ev, "user_id": "u1", "time": "2026-11-01T10:50:00Z"},
            # a gap over 30 minutes starts a second session
            {**ev, "user_id": "u1", "time": "2026-11-01T11:21:00Z"},
            # u2 with a vendor session id spanning two hours
            {**ev, "user_id": "u2", "time": "2026-11-01T08:00:00Z", "session_id": "x"},
            {**ev, "user_id": "u2", "time": "2026-11-01T10:00:00Z", "session_id": "x"},
            {**ev, "user_id": "u2", "name": "report_created", "time": "2026-11-02T08:00:00Z"}]
    import_lines(store, lines(*recs))
    with store.sessions() as s:
        days = s.execute(select(m.UsageUserDay.day, m.UsageUserDay.user_id, m.UsageUserDay.events)
                         .order_by(m.UsageUserDay.day, m.UsageUserDay.user_id)).all()
        assert days == [(date(2026, 11, 1), "u1", 4), (date(2026, 11, 1), "u2", 2),
                        (date(2026, 11, 2), "u2", 1)]
        names = dict(s.execute(select(m.UsageEventDay.name, func.sum(m.UsageEventDay.events))
                               .group_by(m.UsageEventDay.name)).all())
        assert names == {"login": 6, "report_created": 1}
        spans = sorted((x.user_id, x.end_ts - x.start_ts) for x in s.scalars(select(m.UsageSession)))
        assert spans == [("u1", 0), ("u1", 3000), ("u2", 0), ("u2", 7200)]


def test_implicit_sessions_merge_across_imports(store):
    ev = {"type": "event", "account_id": "acme", "name": "login", "user_id": "u1"}
    import_lines(store, lines(ACME, {**ev, "time": "2026-11-01T10:00:00Z"},
                              {**ev, "time": "2026-11-01T11:00:00Z"}))
    assert count(store, m.UsageSession) == 2
    # an event between the two bridges them into one session
    import_lines(store, lines({**ev, "time": "2026-11-01T10:30:00Z"}))
    with store.sessions() as s:
        sessions = list(s.scalars(select(m.UsageSession)))
    assert [(x.end_ts - x.start_ts) for x in sessions] == [3600]


def test_account_reimport_replaces_domains(store):
    import_lines(store, lines({**ACME, "domains": ["acme.com", "acme.io"]}))
    import_lines(store, lines({**ACME, "domains": ["acme.io"]}))
    with store.sessions() as s:
        assert list(s.scalars(select(m.AccountDomain.domain))) == ["acme.io"]


def test_contact_turning_inactive_records_the_day(store):
    c = {"type": "contact", "id": "c1", "account_id": "acme", "email": "a@acme.com",
         "champion": True}
    import_lines(store, lines(ACME, c))
    import_lines(store, lines({**c, "active": False}))
    with store.sessions() as s:
        contact = s.get(m.Contact, "c1")
        assert contact.active is False and contact.inactive_since is not None
        first = contact.inactive_since
    import_lines(store, lines({**c, "active": False, "inactive_since": "2020-01-01"}))
    with store.sessions() as s:
        assert s.get(m.Contact, "c1").inactive_since == first


def test_event_time_and_session_id_shapes(store):
    ev = {"type": "event", "account_id": "acme", "user_id": "u1", "name": "login"}
    report = import_lines(store, lines(
        ACME,
        {**ev, "time": "2026-01-01"},                           # a date, not a time
        {**ev, "time": 1767225600},                             # epoch numbers are not ISO 8601
        {**ev, "time": "2026-13-01T00:00:00Z"},                 # no such month
        {**ev, "time": "2026-01-01T00:00:00Z", "session_id": True},
        {**ev, "time": "2026-01-01T01:00:00-05:00", "session_id": 42},
        {**ev, "time": "2026-01-01T06:00:00.250+00:00", "session_id": ""},
    ))
    assert report.rejected == 4 and report.new_events == 2
    reasons = [e["reason"] for e in report.errors]
    assert "ISO 8601" in reasons[0] and "ISO 8601" in reasons[1] and "ISO 8601" in reasons[2]
    assert "session_id" in reasons[3]
    with store.sessions() as s:
        keys = sorted(x.session_key.split(":")[0] for x in s.scalars(select(m.UsageSession)))
        days = sorted(str(d) for d in s.scalars(select(m.UsageUserDay.day)))
    assert keys == ["g", "s"]                 # an empty session id counts as none
    assert days == ["2026-01-01"]             # 01:00-05:00 is 06:00 UTC on Jan 1
