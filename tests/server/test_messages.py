"""The `message` record: validation, scoring at ingest, the text policy and its retention,
and the 360's relationship.sentiment."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from server import models as m
from server.importer import import_lines
from server.message_ingest import purge_text
from server.message_policy import MessagePolicy
from server.models import Base
from server.settings import SettingsError, parse

pytestmark = pytest.mark.store

NOW = datetime.now(timezone.utc).replace(microsecond=0)
SECRET = "our budget owner Zelda is leaving in March"


def last_number(text: str) -> float:
    """A test scorer: the number the text ends with."""
    return float(text.rsplit(" ", 1)[-1])


def iso(dt: datetime) -> str:
    return dt.isoformat().replace("+00:00", "Z")


ACME = {"type": "account", "id": "acme", "name": "Acme", "domains": ["acme.com"]}


def message(mid, days_ago, text, **kw):
    return {"type": "message", "id": mid, "account_id": "acme",
            "at": iso(NOW - timedelta(days=days_ago)), "channel": "email", "direction": "in",
            "text": text, "contact_email": "Ann@Acme.com", "thread_id": "t1", **kw}


def lines(*recs):
    return [json.dumps(r).encode() for r in recs]


def with_policy(store, **messages):
    store.settings = parse({"messages": {"scorer": "tests.server.test_messages:last_number",
                                         **messages}})
    return store


def every_stored_value(store) -> str:
    """Every value of every row of every table, as one string."""
    out = []
    with store.sessions() as s:
        for table in Base.metadata.sorted_tables:
            for row in s.execute(select(table)):
                out.append(repr(tuple(row)))
    return "\n".join(out)


def test_messages_land_scored_with_a_snippet_by_default(store):
    with_policy(store)
    long = "x" * 400 + " 0.25"
    report = import_lines(store, lines(ACME, message("e1", 1, "Thanks, it works 0.5"),
                                       message("e2", 2, long, direction="out")))
    assert (report.loaded, report.rejected) == (3, 0)
    with store.sessions() as s:
        e1, e2 = s.get(m.Message, "e1"), s.get(m.Message, "e2")
    assert (e1.sentiment, e1.text, e1.contact_email, e1.thread_id) == (
        0.5, "Thanks, it works 0.5", "ann@acme.com", "t1")
    assert e2.sentiment == 0.25
    assert e2.text == "x" * 279 + "\u2026" and len(e2.text) == 280


def test_full_text_is_kept_whole(store):
    with_policy(store, text="full")
    long = "y" * 400 + " -0.5"
    import_lines(store, lines(ACME, message("e1", 1, long)))
    with store.sessions() as s:
        assert s.get(m.Message, "e1").text == long


def test_text_none_stores_no_text_anywhere(store):
    with_policy(store, text="none")
    report = import_lines(store, lines(ACME, message("e1", 1, f"{SECRET} -0.75"),
                                       message("e2", 2, f"{SECRET} again 0.5", id=None)))
    assert (report.loaded, report.rejected) == (3, 0)
    with store.sessions() as s:
        rows = s.scalars(select(m.Message).order_by(m.Message.sentiment)).all()
    assert [(r.sentiment, r.text) for r in rows] == [(-0.75, None), (0.5, None)]
    dump = every_stored_value(store)
    for word in ("Zelda", "budget owner", "leaving in March"):
        assert word not in dump


def test_text_past_retention_is_not_kept_and_is_purged(store):
    with_policy(store, text="full", retention_days=30)
    import_lines(store, lines(ACME, message("old", 40, "old news 0.1"),
                              message("new", 5, "fresh news 0.2")))
    with store.sessions() as s:
        assert (s.get(m.Message, "old").text, s.get(m.Message, "new").text) == (
            None, "fresh news 0.2")
        assert s.get(m.Message, "old").sentiment == 0.1
    with store.session() as s:   # a month later the fresh one is past retention too
        assert purge_text(s, store.settings.messages, NOW + timedelta(days=26)) == 1
    with store.sessions() as s:
        assert s.get(m.Message, "new").text is None
        assert s.get(m.Message, "new").sentiment == 0.2
    with store.session() as s:
        assert purge_text(s, MessagePolicy(retention_days=0), NOW) == 0


def test_switching_to_none_purges_every_text(store):
    with_policy(store, text="full")
    import_lines(store, lines(ACME, message("e1", 1, f"{SECRET} 0.3")))
    with store.session() as s:
        assert purge_text(s, MessagePolicy(text="none"), NOW) == 1
    assert "Zelda" not in every_stored_value(store)


def test_bad_messages_are_rejected_with_the_reason(store):
    with_policy(store)
    report = import_lines(store, lines(
        ACME,
        message("b1", 1, "hi 0.1", channel="fax"),
        message("b2", 1, "hi 0.1", direction="sideways"),
        message("b3", 1, "hi 0.1", at="yesterday"),
        message("b4", 1, "too happy 7"),
        {k: v for k, v in message("b5", 1, "x").items() if k != "text"},
        message("ok", 1, "fine 0.0")))
    assert report.loaded == 2
    reasons = {e["line"]: e["reason"] for e in report.errors}
    assert "'channel' must be one of email, ticket, chat, call, meeting, note" in reasons[2]
    assert "'direction' must be one of in, out" in reasons[3]
    assert "'at'" in reasons[4]
    assert "sentiment: the sentiment scorer returned 7.0, outside -1..1" in reasons[5]
    assert "missing required field 'text'" in reasons[6]


def test_the_message_settings_are_checked():
    with pytest.raises(SettingsError, match="messages.text.*full, snippet, none"):
        parse({"messages": {"text": "some"}})
    with pytest.raises(SettingsError, match="messages.scorer.*cannot import"):
        parse({"messages": {"scorer": "nowhere.at_all:score"}})
    with pytest.raises(SettingsError, match="messages.retention_days"):
        parse({"messages": {"retention_days": -1}})
    with pytest.raises(SettingsError, match="messages.colour"):
        parse({"messages": {"colour": "red"}})
    assert parse({}).messages == MessagePolicy()
    rel = parse({"relationship": {"expected_roles": ["champion", "user"], "breadth_target": 3,
                                  "weights": {"coverage": 50}}}).metrics.relationship
    assert (rel.expected_roles, rel.breadth_target, rel.weights["coverage"]) == (
        ("champion", "user"), 3, 50.0)
    with pytest.raises(SettingsError, match="relationship.expected_roles.*list of strings"):
        parse({"relationship": {"expected_roles": "champion"}})
    with pytest.raises(SettingsError, match="north_star.kind"):
        parse({"north_star": {"name": "X", "kind": "logins"}})
    with pytest.raises(SettingsError, match="north_star.period"):
        parse({"north_star": {"name": "X", "kind": "seats", "period": "day"}})
    with pytest.raises(SettingsError, match="north_star.events"):
        parse({"north_star": {"name": "X"}})
    assert parse({"north_star": {"name": "X", "events": ["a"]}}).metrics.north_star.events \
        == ("a",)
    assert parse({"signals": {"single_threaded_min_arr": 50000}}).metrics.signals \
        .single_threaded_min_arr == 50000


def test_the_360_shows_sentiment(make_app, settings_file):
    path = settings_file('[messages]\nscorer = "tests.server.test_messages:last_number"\n'
                         '[sentiment]\nhalf_life_days = 30\n')
    app = make_app(SETTINGS=path)
    store = app.extensions["account360"].store
    report = import_lines(store, lines(
        ACME, {"type": "contact", "id": "c1", "account_id": "acme", "email": "ann@acme.com",
               "role": "champion", "title": "Ops lead"},
        message("a", 0, "love it 0.5"), message("b", 30, "broken -1"),
        message("c", 60, "meh 0.2", channel="ticket"), message("d", 0, "ours -0.9",
                                                                direction="out")))
    assert report.rejected == 0
    from server.auth import create_token

    tok = create_token(store, "t")
    body = app.test_client().get("/api/v1/accounts/acme/360",
                                 headers={"Authorization": f"Bearer {tok}"}).get_json()
    sent = body["relationship"]["sentiment"]
    assert sent["score"] == pytest.approx(100 * (0.5 - 0.5 + 0.25 * 0.2) / 1.75)
    assert sent["messages"] == 3 and sent["change_90d"] is None
    assert sent["by_channel"]["ticket"] == {"score": pytest.approx(20.0), "messages": 1}
    assert [(e["tone"], e["message_id"], e["who"], e["snippet"]) for e in sent["evidence"]] == [
        ("negative", "b", "ann@acme.com", "broken -1"),
        ("positive", "a", "ann@acme.com", "love it 0.5"),
        ("positive", "c", "ann@acme.com", "meh 0.2")]
    rel = body["relationship"]
    # coverage 1 of 3 roles, breadth 1 of 4, last two-way exchange today, no executive
    assert rel["score"] == pytest.approx((100 / 3 * 30 + 25 * 20 + 100 * 30) / 100)
    assert [c["name"] for c in rel["score_components"]] == [
        "coverage", "breadth", "recency", "executive_access"]
    assert [(p["email"], p["role"], p["engaged"], p["messages_in_90d"], p["messages_out_90d"])
            for p in rel["stakeholders"]] == [("ann@acme.com", "champion", True, 3, 1)]
    assert rel["stakeholders"][0]["last_touch"].startswith(NOW.date().isoformat())


def test_nps_and_survey_comments_become_messages(store):
    with_policy(store, text="none")
    day = (NOW - timedelta(days=3)).date().isoformat()
    report = import_lines(store, lines(
        ACME, {"type": "nps", "id": "n1", "account_id": "acme", "score": 3, "date": day,
               "contact_email": "ann@acme.com", "comment": f"{SECRET} -0.8"},
        {"type": "survey", "id": "s1", "account_id": "acme", "kind": "ces", "score": 4,
         "scale": 7, "date": day, "comment": "smooth 0.4"},
        {"type": "nps", "id": "n2", "account_id": "acme", "score": 9, "date": day}))
    assert (report.loaded, report.rejected) == (4, 0)
    with store.sessions() as s:
        got = {(x.id, x.channel, x.direction, x.sentiment, x.contact_email, x.text,
                x.at.isoformat(), x.attributes["source"]) for x in s.scalars(select(m.Message))}
        assert s.get(m.NpsResponse, "n1").comment is None
        assert "comment" not in s.get(m.Survey, "s1").attributes
    noon = f"{day}T12:00:00+00:00"
    assert got == {("nps:n1", "note", "in", -0.8, "ann@acme.com", None, noon, "nps"),
                   ("survey:s1", "note", "in", 0.4, None, None, noon, "survey")}
    assert "Zelda" not in every_stored_value(store)
