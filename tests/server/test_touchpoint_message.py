""""Log as touchpoint" also records the email as a message: channel email, its direction,
its text kept per the message policy, one message per touchpoint (retries included)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from server import models as m
from server.ingest import load_records
from server.settings import parse


@pytest.fixture
def acme(app):
    store = app.extensions["account360"].store
    with store.session() as s:
        load_records(s, [{"type": "account", "id": "acme", "name": "Acme",
                          "domains": ["acme.com"]}])
    return store


def post(client, auth, body, key=None):
    headers = dict(auth, **({"Idempotency-Key": key} if key else {}))
    resp = client.post("/api/v1/accounts/acme/touchpoints", json=body, headers=headers)
    return resp.status_code, resp.get_json()


def count(store, model):
    with store.sessions() as s:
        return s.scalar(select(func.count()).select_from(model))


def test_an_inbound_email_lands_as_a_message_with_its_touchpoint(client, auth, acme):
    acme.settings = parse({"messages": {"text": "full", "retention_days": 0}})
    code, tp = post(client, auth, {
        "kind": "email", "subject": "Re: Exports failing", "email": "ann@acme.com",
        "direction": "in", "text": "Exports failed twice this week, this is frustrating.",
        "at": "2025-07-02T09:15:00Z", "thread_id": "FMfcgzAcmeThread0000001"})
    assert code == 201, tp
    assert tp["message_id"] == f"msg_{tp['id']}" and tp["direction"] == "in"
    with acme.sessions() as s:
        x = s.get(m.Message, tp["message_id"])
        touch = s.get(m.Touchpoint, tp["id"])
    assert (x.account_id, x.channel, x.direction, x.contact_email, x.author, x.thread_id) == (
        "acme", "email", "in", "ann@acme.com", None, "gmail:FMfcgzAcmeThread0000001")
    assert x.text == "Exports failed twice this week, this is frustrating."
    assert x.at.isoformat() == "2025-07-02T09:15:00+00:00" and x.sentiment < 0
    assert touch.date.isoformat() == "2025-07-02" and touch.kind == "email"
    body = client.get("/api/v1/accounts/acme/360?as_of=2025-07-10", headers=auth).get_json()
    sentiment = body["relationship"]["sentiment"]
    assert sentiment["messages"] == 1 and sentiment["by_channel"]["email"]["score"] < 0


def test_by_default_an_email_the_team_sent_with_its_subject_as_text(client, auth, acme,
                                                                    app):
    acme.settings = parse({"messages": {"text": "full", "retention_days": 0}})
    code, tp = post(client, auth, {"kind": "email", "subject": "Thanks for a great QBR!"})
    assert code == 201
    with acme.sessions() as s:
        x = s.get(m.Message, tp["message_id"])
    assert (x.direction, x.text, x.channel) == ("out", "Thanks for a great QBR!", "email")
    assert x.sentiment > 0


def test_no_text_is_kept_when_the_policy_says_none(client, auth, acme):
    acme.settings = parse({"messages": {"text": "none"}})
    code, tp = post(client, auth, {"kind": "email", "subject": "Cancel", "direction": "in",
                                   "text": "We are unhappy and will cancel."})
    assert code == 201
    with acme.sessions() as s:
        x = s.get(m.Message, tp["message_id"])
        attrs = s.get(m.Touchpoint, tp["id"]).attributes
    assert x.text is None and x.sentiment < 0
    assert "We are unhappy" not in str(attrs) and "We are unhappy" not in str(x.attributes)


def test_a_retry_with_the_same_key_makes_one_touchpoint_and_one_message(client, auth, acme):
    body = {"kind": "email", "subject": "Renewal paperwork", "direction": "in",
            "text": "Can you send the order form?"}
    first = post(client, auth, body, key="log-1")
    again = post(client, auth, body, key="log-1")
    assert first == again and first[0] == 201
    assert count(acme, m.Touchpoint) == 1 and count(acme, m.Message) == 1
    assert count(acme, m.Task) == 1


@pytest.mark.parametrize("bad, field", [
    ({"direction": "sideways"}, "direction"), ({"at": "yesterday"}, "at"),
    ({"text": 5}, "text")])
def test_bad_input_is_a_clear_400_and_nothing_is_recorded(client, auth, acme, bad, field):
    code, err = post(client, auth, {"kind": "email", "subject": "x", **bad})
    assert code == 400 and field in err["error"]["details"]
    assert count(acme, m.Touchpoint) == 0 and count(acme, m.Message) == 0
