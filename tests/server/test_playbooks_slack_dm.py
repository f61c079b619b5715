"""A Slack action that DMs the account's CSM (users.lookupByEmail + chat.postMessage with a bot
token, through slack_sdk) against the local Slack fake; a failed digest retried with
backoff, never sent twice."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from server.jobs.models import Job
from server.models import utcnow
from server.playbooks.digest import send
from server.playbooks.history import digests
from server.playbooks.models import PlaybookAction, PlaybookDigest
from server.playbooks.service import preview, retry_due, run
from server.playbooks.spec import PlaybookFileError, parse
from server.playbooks.store import set_secret
from tests.server.fake_slack import TOKEN, FakeSlack
from tests.server.playbooks_helpers import add_accounts, day, env, put_day

DM = '''
[slack]
token = "secret:slack-bot"

[[playbook]]
name = "Usage drop"
when = { signal = "usage_drop" }
[[playbook.action]]
slack = { to = "owner", text = "{account.name} <{account.url}>: usage {usage.trend}" }
'''


@pytest.fixture
def slack():
    fake = FakeSlack().start()
    yield fake
    fake.stop()


def _world(store, slack):
    add_accounts(store, {"id": "a1", "name": "Alpha", "owner": "maria@example.com"},
                 {"id": "a2", "name": "Beta", "owner": "li@example.com"},
                 {"id": "a3", "name": "Gamma"})
    for acc in ("a1", "a2", "a3"):
        put_day(store, acc, day(1), signals=["usage_drop"])
    e = env(store, SLACK_API_URL=slack.url + "/api/")
    with store.session() as s:
        set_secret(s, e.vault, "slack-bot", TOKEN, "admin@example.com")
    return e


def _actions(store):
    with store.sessions() as s:
        return [(a.account_id, a.status, a.attempts, a.last_error, a.next_attempt_at)
                for a in s.scalars(select(PlaybookAction).order_by(PlaybookAction.account_id))]


def test_a_slack_action_dms_the_accounts_csm(store, slack):
    e = _world(store, slack)
    pf = parse(DM)
    assert [(i["account_id"], i["actions"][0]["target"]) for i in preview(e, pf, day(1))] == [
        ("a1", "direct message to maria@example.com"),
        ("a2", "direct message to li@example.com"),
        ("a3", "direct message to the CSM (the account has none)")]
    out = run(e, pf, day(1))
    assert [out["counts"][k] for k in ("sent", "retrying", "failed")] == [1, 0, 2]
    # one DM, to the user Slack found for maria's email, payload as chat.postMessage takes it
    assert [(r["path"], r["json"]["channel"], r["json"]["text"]) for r in slack.received] == [
        ("/api/chat.postMessage", "U0MARIA01",
         "Alpha <https://cs.example.com/app/accounts/a1>: usage -35.0%")]
    assert _actions(store) == [
        ("a1", "sent", 1, None, None),
        # a CSM without a Slack user, and an account without a CSM: final, said plainly
        ("a2", "failed", 1, "li@example.com has no Slack user (users.lookupByEmail: "
                            "users_not_found)", None),
        ("a3", "failed", 1, "no recipient: the account has no CSM", None)]
    with store.sessions() as s:
        sent = s.scalar(select(PlaybookAction).where(PlaybookAction.account_id == "a1"))
        assert sent.detail["result"] == {"ts": "1503435957.000200", "channel": "D0DM0MARIA01",
                                         "user": "U0MARIA01"}
        assert TOKEN not in str(sent.detail)
        assert s.scalars(select(Job)).all() == []     # nothing to retry
    assert retry_due(e, utcnow() + timedelta(days=1)) == 0


def test_a_rate_limited_lookup_is_retried(store, slack):
    e = _world(store, slack)
    pf = parse(DM.replace('when = { signal = "usage_drop" }',
                          'when = { signal = "usage_drop", owner = "maria@example.com" }'))
    slack.faults.append((429, {"Retry-After": "5"}, "ratelimited"))
    t0 = utcnow().replace(microsecond=0)
    run(e, pf, day(1), now=t0)
    assert _actions(store) == [("a1", "retrying", 1, "Slack API answered 429: ratelimited",
                                t0 + timedelta(seconds=5))]
    assert retry_due(e, t0 + timedelta(seconds=5)) == 1
    assert [r["json"]["channel"] for r in slack.received] == ["U0MARIA01"]
    assert _actions(store)[0][:3] == ("a1", "sent", 2)


def test_a_dm_needs_a_bot_token(store):
    with pytest.raises(PlaybookFileError) as err:
        parse(DM.replace('[slack]\ntoken = "secret:slack-bot"\n', ""))
    assert err.value.errors == [
        "playbook 'Usage drop', key action[1].slack.token: a bot token is needed for channel "
        "and to (here, or [slack] token for every action)"]
    with pytest.raises(PlaybookFileError) as err:
        parse(DM.replace('to = "owner"', 'to = "owner", channel = "#cs"'))
    assert err.value.errors == [
        "playbook 'Usage drop', key action[1].slack: give one of webhook, channel (with a bot "
        "token) or to (\"owner\" or an email address: a direct message)"]


def _digests(store):
    with store.sessions() as s:
        return [(d.csm, d.channel, d.status, d.attempts, d.error, d.next_attempt_at)
                for d in s.scalars(select(PlaybookDigest).order_by(PlaybookDigest.csm))]


def test_a_failed_digest_is_retried_with_backoff_and_sent_once(store, slack):
    e = _world(store, slack)
    pf = parse('[digest]\nslack_token = "secret:slack-bot"\n')
    slack.faults += [(500, {}, "internal_error"), (503, {}, "service_unavailable")]
    t0 = utcnow().replace(microsecond=0)
    report = send(e, pf, day(1), now=t0)
    first = t0 + timedelta(seconds=60)
    assert [(r["csm"], r["channels"]["slack"]) for r in report] == [
        ("li@example.com", f"retrying at {first:%Y-%m-%d %H:%M:%S} UTC: Slack API answered "
                           "500: internal_error"),
        ("maria@example.com", f"retrying at {first:%Y-%m-%d %H:%M:%S} UTC: Slack API "
                              "answered 503: service_unavailable")]
    with store.sessions() as s:                      # the retry job wakes up then
        assert {(j.task, j.scheduled_at) for j in s.scalars(select(Job))} == {
            ("playbooks.retry", first)}
    # another digest run the same day sends nothing new: the retry belongs to the job
    again = send(e, pf, day(1), now=t0 + timedelta(seconds=1))
    assert [r["channels"] for r in again] == [r["channels"] for r in report]
    assert slack.received == []
    assert retry_due(e, first - timedelta(seconds=1)) == 0
    assert retry_due(e, first) == 2
    assert _digests(store) == [
        ("li@example.com", "slack", "failed", 2, "li@example.com has no Slack user "
         "(users.lookupByEmail: users_not_found)", None),
        ("maria@example.com", "slack", "sent", 2, None, None)]
    dm, = slack.received
    assert dm["json"]["channel"] == "U0MARIA01"
    assert dm["json"]["text"].startswith(f"Your accounts on {day(1)} (maria@example.com)")
    # sent once: neither a retry nor another run sends it again
    assert retry_due(e, first + timedelta(hours=2)) == 0
    assert send(e, pf, day(1))[1]["channels"] == {"slack": "already sent"}
    assert len(slack.received) == 1
    with store.sessions() as s:               # the history the API and admin page show
        shown = [(d["csm"], d["status"], d["attempts"], [x["outcome"] for x in d["log"]])
                 for d in digests(s)]
    assert shown == [("li@example.com", "failed", 3, ["error", "error", "error"]),
                     ("maria@example.com", "sent", 2, ["error", "sent"])]


def test_two_digest_runs_at_once_send_each_digest_once(store, slack):
    import threading

    e = _world(store, slack)
    pf = parse('[digest]\nslack_token = "secret:slack-bot"\n')
    go = threading.Barrier(3)
    reports, errors = [], []

    def digest():
        go.wait()
        try:
            reports.append(send(e, pf, day(1)))
        except Exception as exc:  # noqa: BLE001 - the test reports it
            errors.append(exc)

    threads = [threading.Thread(target=digest) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == []
    assert [r["json"]["channel"] for r in slack.received] == ["U0MARIA01"]       # once
    maria = sorted(r[1]["channels"]["slack"] for r in reports)
    assert maria.count("sent") == 1 and set(maria) <= {"sent", "already sent", "pending"}


def test_a_digest_left_pending_by_a_crash_is_sent_by_the_retry(store, slack):
    e = _world(store, slack)
    pf = parse('[digest]\nslack_token = "secret:slack-bot"\n')
    t0 = utcnow().replace(microsecond=0)
    send(e, pf, day(1), now=t0)
    assert len(slack.received) == 1
    with store.session() as s:                    # as if the process died after its claim
        row = s.get(PlaybookDigest, ("maria@example.com", day(1), "slack"))
        row.status, row.attempts, row.updated_at = "pending", 0, t0
    assert retry_due(e, t0 + timedelta(minutes=14)) == 0    # maybe still sending
    assert retry_due(e, t0 + timedelta(minutes=16)) == 1
    assert [r["json"]["channel"] for r in slack.received] == ["U0MARIA01", "U0MARIA01"]
    assert _digests(store)[1][:3] == ("maria@example.com", "slack", "sent")


def test_the_digest_dm_can_use_the_files_bot_token(store, slack):
    e = _world(store, slack)
    pf = parse('[slack]\ntoken = "secret:slack-bot"\n\n[digest]\nslack = true\n')
    assert [r["channels"] for r in send(e, pf, day(1))][1] == {"slack": "sent"}
    assert [r["json"]["channel"] for r in slack.received] == ["U0MARIA01"]
    with pytest.raises(PlaybookFileError) as err:
        parse('[digest]\nslack = true\n')
    assert err.value.errors == ["file, key digest.slack: a bot token is needed "
                                "(digest.slack_token, or [slack] token)"]
