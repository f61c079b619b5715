"""Playbook actions at the vendors' boundary: Slack (webhook and Web API) through a local
fake shaped as Slack documents it, 429 with Retry-After honoured without blocking the other
actions; email through a real local SMTP server (aiosmtpd): headers, recipient, body."""

from __future__ import annotations

from datetime import timedelta
from email import message_from_bytes

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from sqlalchemy import select

from server.jobs.models import Job
from server.models import utcnow
from server.playbooks.models import PlaybookAction
from server.playbooks.service import retry_due, run
from server.playbooks.spec import parse
from server.playbooks.store import set_secret
from tests.served import free_port
from tests.server.fake_slack import TOKEN, FakeSlack
from tests.server.playbooks_helpers import add_accounts, day, env, put_day


@pytest.fixture
def slack():
    fake = FakeSlack().start()
    yield fake
    fake.stop()


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []
        self.logins: list[tuple[str, str]] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 OK"

    def __call__(self, server, session, envelope, mechanism, auth_data):
        self.logins.append((auth_data.login.decode(), auth_data.password.decode()))
        ok = (auth_data.login, auth_data.password) == (b"robot", b"s3cret-pw")
        return AuthResult(success=ok, handled=False)


@pytest.fixture
def smtp():
    inbox = Inbox()
    ctl = Controller(inbox, hostname="127.0.0.1", port=free_port(), authenticator=inbox,
                     auth_require_tls=False)
    ctl.start()
    yield inbox, ctl.port
    ctl.stop()


def _actions(store):
    with store.sessions() as s:
        return [(a.account_id, a.kind, a.status, a.attempts, a.last_error, a.next_attempt_at)
                for a in s.scalars(select(PlaybookAction).order_by(PlaybookAction.account_id,
                                                                    PlaybookAction.action_index))]


def _two_accounts(store):
    add_accounts(store, {"id": "a1", "name": "Alpha", "owner": "maria@example.com"},
                 {"id": "a2", "name": "Beta <b>", "owner": "li@example.com"})
    for acc in ("a1", "a2"):
        put_day(store, acc, day(1), signals=["usage_drop"])


def test_a_429_is_retried_after_its_retry_after_and_blocks_no_one(store, slack):
    _two_accounts(store)
    pf = parse(f'''
[[playbook]]
name = "Usage drop"
when = {{ signal = "usage_drop" }}
[[playbook.action]]
slack = {{ webhook = "{slack.webhook}", text = "{{account.name}} ({{usage.trend}})" }}
''')
    slack.faults.append((429, {"Retry-After": "7"}, "rate_limited"))
    t0 = utcnow().replace(microsecond=0)
    out = run(env(store), pf, day(1), now=t0)
    assert [out["counts"][k] for k in ("actions", "sent", "retrying", "failed")] == [2, 1, 1, 0]
    assert _actions(store) == [
        ("a1", "slack", "retrying", 1, "Slack webhook answered 429: rate_limited",
         t0 + timedelta(seconds=7)),
        ("a2", "slack", "sent", 1, None, None)]          # the other account was not held up
    assert [r["json"]["text"] for r in slack.received] == ["Beta &lt;b&gt; (-35.0%)"]
    with store.sessions() as s:                 # a job wakes up at Retry-After
        assert [(j.task, j.scheduled_at) for j in s.scalars(select(Job))] == [
            ("playbooks.retry", t0 + timedelta(seconds=7))]
    assert retry_due(env(store), t0 + timedelta(seconds=6)) == 0
    assert retry_due(env(store), t0 + timedelta(seconds=7)) == 1
    assert [r["json"]["text"] for r in slack.received] == ["Beta &lt;b&gt; (-35.0%)",
                                                           "Alpha (-35.0%)"]
    with store.sessions() as s:
        a1 = s.scalar(select(PlaybookAction).where(PlaybookAction.account_id == "a1"))
        assert (a1.status, a1.attempts) == ("sent", 2)
        assert [(e["outcome"], e["error"]) for e in a1.log] == [
            ("error", "Slack webhook answered 429: rate_limited"), ("sent", None)]


def test_failures_back_off_then_give_up_with_the_vendors_error(store, slack):
    add_accounts(store, {"id": "a1", "name": "Alpha", "owner": "maria@example.com"})
    put_day(store, "a1", day(1), signals=["usage_drop"])
    pf = parse(f'''
[[playbook]]
name = "Usage drop"
when = {{ signal = "usage_drop" }}
[[playbook.action]]
slack = {{ webhook = "{slack.webhook}", text = "{{account.name}}" }}
''')
    slack.faults += [(404, {}, "channel_not_found")] * 5
    t0 = utcnow().replace(microsecond=0)
    run(env(store), pf, day(1), now=t0)
    waits = []
    now = t0
    for _ in range(4):
        (_, _, status, attempts, _, nxt), = _actions(store)
        waits.append((nxt - now).total_seconds())
        now = nxt
        assert retry_due(env(store), now) == 1
    assert waits == [60.0, 120.0, 240.0, 480.0]
    assert _actions(store) == [("a1", "slack", "failed", 5,
                                "Slack webhook answered 404: channel_not_found", None)]
    assert slack.received == []


def test_web_api_with_a_stored_bot_token(store, slack):
    _two_accounts(store)
    e = env(store, SLACK_API_URL=slack.url + "/api/")
    with store.session() as s:
        set_secret(s, e.vault, "slack-bot", TOKEN, "admin@example.com")
    pf = parse('''
[[playbook]]
name = "Usage drop"
when = { signal = "usage_drop", owner = "maria@example.com" }
[[playbook.action]]
slack = { token = "secret:slack-bot", channel = "#cs-alerts", text = "{account.name} fell" }
''')
    out = run(e, pf, day(1))
    assert [a["account_id"] for a in out["acted"]] == ["a1"]          # owner filter
    assert [(r["path"], r["json"]["channel"], r["json"]["text"]) for r in slack.received] == [
        ("/api/chat.postMessage", "#cs-alerts", "Alpha fell")]
    with store.sessions() as s:
        row = s.scalar(select(PlaybookAction))
        assert row.detail["result"] == {"ts": "1503435957.000200", "channel": "C0CSALERT"}
        assert TOKEN not in str(row.detail)                        # sealed, never plain


def test_missing_secret_is_a_visible_failure_not_a_crash(store, slack):
    add_accounts(store, {"id": "a1", "name": "Alpha", "owner": "maria@example.com"})
    put_day(store, "a1", day(1), signals=["usage_drop"])
    pf = parse('''
[[playbook]]
name = "Usage drop"
when = { signal = "usage_drop" }
[[playbook.action]]
slack = { webhook = "secret:cs-alerts", text = "{account.name}" }
''')
    run(env(store), pf, day(1))
    (_, _, status, attempts, error, _), = _actions(store)
    assert (status, attempts) == ("retrying", 1)
    assert error == ("no stored secret named 'cs-alerts' (set it with `account360 playbooks "
                     "secret set cs-alerts` or on the admin page)")


def test_email_over_smtp_with_the_stored_password(store, smtp):
    inbox, port = smtp
    _two_accounts(store)
    e = env(store, SMTP_HOST="127.0.0.1", SMTP_PORT=port, SMTP_TLS="none",
            SMTP_USERNAME="robot", SMTP_FROM="cs-robot@example.com")
    with store.session() as s:
        set_secret(s, e.vault, "smtp-password", "s3cret-pw", "admin@example.com")
    pf = parse('''
[[playbook]]
name = "Usage drop"
when = { signal = "usage_drop" }
[[playbook.action]]
email = { to = ["owner", "lead@example.com"], subject = "Usage drop at {account.name}", body = """
{account.name} ({account.url}): active users {usage.trend}.
Health {health.score} ({health.band})."""}
''')
    run(e, pf, day(1))
    assert inbox.logins == [("robot", "s3cret-pw"), ("robot", "s3cret-pw")]
    got = sorted(inbox.messages, key=lambda m: m[1])
    assert [(frm, to) for frm, to, _ in got] == [
        ("cs-robot@example.com", ["lead@example.com", "li@example.com"]),
        ("cs-robot@example.com", ["lead@example.com", "maria@example.com"])]
    msg = message_from_bytes(got[1][2])
    assert msg["From"] == "cs-robot@example.com"
    assert msg["To"] == "lead@example.com, maria@example.com"
    assert msg["Subject"] == "Usage drop at Alpha"
    assert msg["Auto-Submitted"] == "auto-generated"
    assert msg["Message-ID"].endswith("@example.com>")
    assert msg.get_content_type() == "text/plain"
    assert msg.get_payload(decode=True).decode() == (
        "Alpha (https://cs.example.com/app/accounts/a1): active users -35.0%.\r\n"
        "Health 55.0 (watch).\r\n")
    assert message_from_bytes(got[0][2])["Subject"] == "Usage drop at Beta <b>"  # plain text


def test_smtp_refusal_is_kept_with_the_servers_answer(store, smtp):
    inbox, port = smtp
    add_accounts(store, {"id": "a1", "name": "Alpha", "owner": "maria@example.com"})
    put_day(store, "a1", day(1), signals=["usage_drop"])
    e = env(store, SMTP_HOST="127.0.0.1", SMTP_PORT=port, SMTP_TLS="none",
            SMTP_USERNAME="robot", SMTP_PASSWORD="wrong")
    pf = parse('''
[[playbook]]
name = "Usage drop"
when = { signal = "usage_drop" }
[[playbook.action]]
email = { subject = "s", body = "b" }
''')
    run(e, pf, day(1))
    (_, _, status, attempts, error, _), = _actions(store)
    assert (status, attempts) == ("retrying", 1)
    assert error == "SMTP 535: 5.7.8 Authentication credentials invalid"
    assert inbox.messages == []


def test_daily_digest_per_csm_by_email_and_slack_dm_once_a_day(store, smtp, slack):
    from server import models as m
    from server.playbooks.digest import send

    inbox, port = smtp
    _two_accounts(store)
    put_day(store, "a1", day(1), signals=["usage_drop"], days_to_renewal=40)
    with store.session() as s:
        s.add(m.Task(id="t1", account_id="a1", subject="Send the QBR deck", status="open",
                     due_date=day(1) - timedelta(days=2), owner="maria@example.com",
                     source="api", crm_sync_attempts=0, attributes={}))
    e = env(store, SMTP_HOST="127.0.0.1", SMTP_PORT=port, SMTP_TLS="none",
            SLACK_API_URL=slack.url + "/api/")
    with store.session() as s:
        set_secret(s, e.vault, "slack-bot", TOKEN, "admin@example.com")
    pf = parse('[digest]\nemail = true\nslack_token = "secret:slack-bot"\n')
    report = send(e, pf, day(1))
    assert [(r["csm"], r["channels"]) for r in report] == [
        ("li@example.com", {"email": "sent", "slack": "failed: li@example.com has no Slack "
                                                      "user (users.lookupByEmail: users_not_found)"}),
        ("maria@example.com", {"email": "sent", "slack": "sent"})]
    maria = report[1]["text"]
    assert maria == (
        f"Your accounts on {day(1)} (maria@example.com)\n\n"
        "New signals (1)\n- Alpha: usage_drop https://cs.example.com/app/accounts/a1\n\n"
        "Renewals in the next 90 days (1)\n"
        f"- Alpha: renews ? (in 40 days) https://cs.example.com/app/accounts/a1\n\n"
        "Overdue tasks (1)\n"
        f"- Alpha: Send the QBR deck (due {day(1) - timedelta(days=2)}) "
        "https://cs.example.com/app/accounts/a1\n")
    assert sorted(to for _, (to,), _ in inbox.messages) == ["li@example.com",
                                                             "maria@example.com"]
    dm, = slack.received
    assert (dm["json"]["channel"], dm["json"]["text"]) == ("U0MARIA01", maria)
    again = send(e, pf, day(1))                      # once a day per CSM and channel
    assert [r["channels"] for r in again] == [{"email": "already sent", "slack": "failed: "
                                               "li@example.com has no Slack user "
                                               "(users.lookupByEmail: users_not_found)"},
                                              {"email": "already sent",
                                               "slack": "already sent"}]
    assert len(inbox.messages) == 2 and len(slack.received) == 1


def test_no_secret_reaches_a_log_line_even_at_debug(store, slack, caplog):
    import logging

    caplog.set_level(logging.DEBUG)
    _two_accounts(store)
    e = env(store, SLACK_API_URL=slack.url + "/api/")
    with store.session() as s:
        set_secret(s, e.vault, "slack-bot", TOKEN, "admin@example.com")
    pf = parse(f'''
[[playbook]]
name = "Usage drop"
when = {{ signal = "usage_drop" }}
[[playbook.action]]
slack = {{ webhook = "{slack.webhook}", text = "{{account.name}}" }}
[[playbook.action]]
slack = {{ token = "secret:slack-bot", channel = "#cs", text = "{{account.name}}" }}
''')
    slack.faults += [(500, {}, "rollup_error"), (429, {"Retry-After": "3"}, "ratelimited")]
    out = run(e, pf, day(1))
    assert [out["counts"][k] for k in ("sent", "retrying")] == [2, 2]
    assert len(slack.received) == 2 and caplog.records
    logged = caplog.text
    assert "Slack webhook answered 500: rollup_error" in logged     # failures are logged...
    assert slack.webhook.split("/services/")[1] not in logged       # ...never the secrets
    assert TOKEN not in logged
