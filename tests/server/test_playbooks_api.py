"""GET /api/v1/playbooks/runs, the nudges in the 360, and the playbooks as background jobs
(after the daily metrics job and after a sync)."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select

from server import models as m
from server.admin import admin_state
from server.importer import import_lines
from server.jobs.models import Job
from server.jobs.queue import defer
from server.models import utcnow
from server.playbooks.service import run
from server.playbooks.spec import parse
from server.rows.refresh import today
from tests.server.fake_slack import FakeSlack
from tests.server.playbooks_helpers import env

NO_TOUCH = '''
[[playbook]]
name = "Never touched"
when = { signal = "no_touch" }
[[playbook.action]]
task = { subject = "Reach out to {account.name}" }
'''


def _accounts(load):
    start = (today() - timedelta(days=200)).isoformat()
    load([{"type": "account", "id": "quiet", "name": "Quiet <Co>", "owner": "maria@example.com",
           "onboarding_start": start},
          {"type": "account", "id": "calm", "name": "Calm Co", "owner": "li@example.com",
           "onboarding_start": start}])


def test_runs_history_with_outcomes_and_the_360_nudge(app, client, auth, load):
    store = app.extensions["account360"].store
    _accounts(load)
    fake = FakeSlack().start()
    try:
        fake.faults.append((500, {}, "rollup_error"))
        pf = parse(NO_TOUCH + f'''
[[playbook.action]]
slack = {{ webhook = "{fake.webhook}", text = "{{account.name}}" }}
''')
        run(env(store), pf, today())
    finally:
        fake.stop()
    res = client.get("/api/v1/playbooks/runs", headers=auth)
    assert res.status_code == 200
    body = res.get_json()
    assert [(i["playbook"], i["account_id"], i["episode_start"]) for i in body["items"]] == [
        ("Never touched", "quiet", today().isoformat()),      # no stored day before today
        ("Never touched", "calm", today().isoformat())]
    statuses = sorted((i["account_id"], a["kind"], a["status"], a["attempts"], a["error"])
                      for i in body["items"] for a in i["actions"])
    assert statuses == [
        ("calm", "slack", "retrying", 1, "Slack webhook answered 500: rollup_error"),
        ("calm", "task", "sent", 1, None),
        ("quiet", "slack", "sent", 1, None),
        ("quiet", "task", "sent", 1, None)]        # accounts run in id order: calm first
    assert all("sealed" not in a["detail"] and fake.webhook not in str(a)
               for i in body["items"] for a in i["actions"])
    assert body["runs"][0]["counts"]["firings"] == 2 and body["next_before"] is None
    only = client.get("/api/v1/playbooks/runs?status=retrying&limit=1", headers=auth).get_json()
    assert len(only["items"]) == 1 and only["items"][0]["actions"][1]["status"] == "retrying"
    bad = client.get("/api/v1/playbooks/runs?status=nope", headers=auth)
    assert bad.status_code == 400 and bad.get_json()["error"]["code"] == "invalid_parameter"
    three60 = client.get("/api/v1/accounts/quiet/360", headers=auth).get_json()
    assert [n["text"] for n in three60["playbooks"]][0].startswith(
        "Playbook: Never touched, task created")
    assert three60["playbooks"][0]["text"].endswith(" today")


def test_the_nudge_says_how_long_ago(app, load):
    from server.playbooks.history import nudges

    store = app.extensions["account360"].store
    _accounts(load)
    pf = parse(NO_TOUCH)
    run(env(store), pf, today(), now=utcnow() - timedelta(days=2))
    with store.sessions() as s:
        assert [n["text"] for n in nudges(s, "quiet", utcnow())] == [
            "Playbook: Never touched, task created 2 days ago"]
        assert nudges(s, "quiet", utcnow() + timedelta(days=31)) == []


def test_the_daily_job_and_a_sync_queue_a_playbooks_run(make_app, load, tmp_path):
    path = tmp_path / "playbooks.toml"
    path.write_text(NO_TOUCH)
    app = make_app(PLAYBOOKS=str(path))
    store = app.extensions["account360"].store
    start = (today() - timedelta(days=200)).isoformat()
    import_lines(store, [json.dumps({"type": "account", "id": "quiet", "name": "Quiet",
                                     "owner": "maria@example.com",
                                     "onboarding_start": start}).encode()])
    worker = admin_state(app).runner
    with store.session() as s:
        defer(s, "metrics.daily", store=store)
    for _ in range(3):                       # the daily job, then the run it queued
        for th in worker.tick():
            th.join(60)
    with store.sessions() as s:
        done = [(j.task, j.args, j.status) for j in s.scalars(select(Job).order_by(Job.id))]
        tasks = list(s.scalars(select(m.Task.subject).where(m.Task.source == "playbook")))
    assert done == [("metrics.daily", {}, "succeeded"),
                    ("playbooks.run", {"trigger": "daily"}, "succeeded")]
    assert tasks == ["Reach out to Quiet"]


def test_the_digest_job_sends_and_records_each_csms_digest(make_app, tmp_path):
    from server.playbooks.models import PlaybookDigest

    path = tmp_path / "playbooks.toml"
    path.write_text(NO_TOUCH + "\n[digest]\nemail = true\n")
    app = make_app(PLAYBOOKS=str(path))
    store = app.extensions["account360"].store
    import_lines(store, [json.dumps({"type": "account", "id": "soon", "name": "Soon Co",
                                     "owner": "maria@example.com",
                                     "renewal_date": (today() + timedelta(days=20)).isoformat()
                                     }).encode()])
    with store.session() as s:
        defer(s, "playbooks.digest", store=store)
    for th in admin_state(app).runner.tick():
        th.join(60)
    with store.sessions() as s:
        rows = [(d.csm, d.day, d.channel, d.status, d.error)
                for d in s.scalars(select(PlaybookDigest))]
        (job,) = s.scalars(select(Job).where(Job.task == "playbooks.digest"))
    assert job.status == "succeeded"
    assert rows == [("maria@example.com", today(), "email", "retrying",   # with backoff
                     "no SMTP server configured (ACCOUNT360_SMTP_HOST)")]
    from server.services.users import create_user
    from tests.admin.conftest import PASSWORD, Browser

    create_user(store, "boss@example.com", "admin", password=PASSWORD)
    b = Browser(app.test_client())
    b.login("boss@example.com")
    html = b.get("/admin/playbooks").get_data(as_text=True)
    assert ("<td>maria@example.com</td><td>email</td>\n    <td data-status=\"retrying\">retrying"
            " — no SMTP server configured (ACCOUNT360_SMTP_HOST) (next try ") in html


def test_the_retry_job_sends_a_rate_limited_message_when_slack_allows(app, load):
    from server.playbooks.models import PlaybookAction

    store = app.extensions["account360"].store
    load([{"type": "account", "id": "quiet", "name": "Quiet Co", "owner": "maria@example.com",
           "onboarding_start": (today() - timedelta(days=200)).isoformat()}])
    fake = FakeSlack().start()
    try:
        fake.faults.append((429, {"Retry-After": "0"}, "rate_limited"))
        pf = parse(f'''
[[playbook]]
name = "Never touched"
when = {{ signal = "no_touch" }}
[[playbook.action]]
slack = {{ webhook = "{fake.webhook}", text = "{{account.name}}" }}
''')
        assert run(env(store), pf, today())["counts"]["retrying"] == 1
        for th in admin_state(app).runner.tick():
            th.join(60)
        assert [r["json"]["text"] for r in fake.received] == ["Quiet Co"]
    finally:
        fake.stop()
    with store.sessions() as s:
        row = s.scalar(select(PlaybookAction))
        assert (row.status, row.attempts) == ("sent", 2)
        assert [(j.task, j.status) for j in s.scalars(select(Job))] == [
            ("playbooks.retry", "succeeded")]
