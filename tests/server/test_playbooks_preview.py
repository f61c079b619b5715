"""Preview lists exactly what run then acts on (on real imported data, today's rows); a bad
playbooks file is refused whole with errors naming the playbook and the key; the CLI."""

from __future__ import annotations

import json
from datetime import timedelta

from click.testing import CliRunner
from sqlalchemy import select

from server import models as m
from server.cli import main
from server.metrics.config import SIGNAL_CODES
from server.playbooks.models import PlaybookAction, PlaybookRun
from server.playbooks.service import preview, run
from server.playbooks.spec import PlaybookFileError, parse
from server.rows.refresh import today
from tests.server.playbooks_helpers import add_accounts, env

PLAYBOOKS = '''
[[playbook]]
name = "Never touched"
when = { signal = "no_touch" }
[[playbook.action]]
task = { subject = "Reach out to {account.name}: {signal.reason}", due_in_days = 2 }

[[playbook]]
name = "Renewal soon"
when = { days_to_renewal = 60, segment = "Enterprise" }
[[playbook.action]]
task = { subject = "Prepare the renewal of {account.name} on {renewal.date} ({renewal.days} days)" }
'''


def _world(store):
    now = today()
    add_accounts(
        store,
        {"id": "quiet", "name": "Quiet Co", "owner": "maria@example.com",
         "onboarding_start": (now - timedelta(days=200)).isoformat()},
        {"id": "warm", "name": "Warm Co", "owner": "maria@example.com",
         "onboarding_start": (now - timedelta(days=200)).isoformat(),
         "renewal_date": (now + timedelta(days=45)).isoformat(), "segment": "Enterprise"},
        {"id": "smb", "name": "Small Co", "owner": "li@example.com",
         "onboarding_start": (now - timedelta(days=10)).isoformat(),
         "renewal_date": (now + timedelta(days=30)).isoformat(), "segment": "SMB"})
    from server.importer import import_lines
    import_lines(store, [json.dumps({"type": "touchpoint", "id": "tp1", "account_id": "warm",
                                     "kind": "call",
                                     "date": (now - timedelta(days=3)).isoformat()}).encode()])


def test_preview_lists_exactly_what_run_acts_on(store):
    _world(store)
    pf = parse(PLAYBOOKS)
    e = env(store)
    before = preview(e, pf, today())
    listed = sorted((i["playbook"], i["account_id"]) for i in before if i["acts"])
    assert listed == [("Never touched", "quiet"), ("Renewal soon", "warm")]
    assert [a["subject"] for i in before for a in i["actions"]
            if i["account_id"] == "quiet"] == [
        f"Reach out to Quiet Co: No CSM touchpoint on record since onboarding start "
        f"{(today() - timedelta(days=200)).isoformat()}"]
    with store.sessions() as s:                           # preview changed nothing
        assert s.scalars(select(PlaybookAction)).all() == []
        assert s.scalars(select(PlaybookRun)).all() == []
    out = run(e, pf, today())
    assert sorted((a["playbook"], a["account_id"]) for a in out["acted"]) == listed
    renew = (today() + timedelta(days=45)).isoformat()
    with store.sessions() as s:
        tasks = sorted(s.execute(select(m.Task.account_id, m.Task.subject, m.Task.owner,
                                        m.Task.due_date).where(m.Task.source == "playbook")))
    assert tasks[1] == ("warm", f"Prepare the renewal of Warm Co on {renew} (45 days)",
                        "maria@example.com", today() + timedelta(days=3))
    assert tasks[0][0] == "quiet" and tasks[0][3] == today() + timedelta(days=2)
    after = preview(e, pf, today())
    assert [(i["account_id"], i["acts"]) for i in after] == [("quiet", False), ("warm", False)]
    assert run(e, pf, today())["acted"] == []


def test_a_bad_file_names_the_playbook_and_the_key():
    bad = '''
[[playbook]]
name = "Usage drop rescue"
when = { signal = "usage_dorp" }
[[playbook.action]]
task = { subject = "Call {account.name}" }

[[playbook]]
name = "Renewal"
when = { days_to_renewal = 90 }
[[playbook.action]]
slack = { webhook = "http://hooks.slack.com/services/T/B/X", text = "{account.nmae}" }
[[playbook.action]]
email = { to = "someone", subject = "{signal.reason}", body = "b" }
[[playbook.action]]
sms = { to = "owner" }
'''
    try:
        parse(bad)
    except PlaybookFileError as exc:
        errors = exc.errors
    else:
        raise AssertionError("the file was accepted")
    assert errors == [
        "playbook 'Usage drop rescue', key when.signal: unknown signal 'usage_dorp' (one of "
        + ", ".join(SIGNAL_CODES) + ")",
        "playbook 'Renewal', key action[1].slack.webhook: must be an https:// URL (http:// "
        "only for 127.0.0.1 or localhost), or secret:NAME of a stored secret",
        "playbook 'Renewal', key action[2].email.to: 'someone' is neither \"owner\" nor an "
        "email address",
        "playbook 'Renewal', key action[3].sms: Extra inputs are not permitted",
    ]


def test_unknown_template_keys_and_misplaced_signal_keys_are_refused():
    text = '''
[[playbook]]
name = "Renewal"
when = { days_to_renewal = 90 }
[[playbook.action]]
slack = { webhook = "https://hooks.slack.com/services/T/B/X", text = "{account.nmae}" }
[[playbook.action]]
email = { subject = "{signal.reason}", body = "{account.__class__}" }
[[playbook.action]]
task = { subject = "{account.name!r}" }
'''
    try:
        parse(text)
    except PlaybookFileError as exc:
        errors = exc.errors
    assert [e.split(": ", 1)[0] for e in errors] == [
        "playbook 'Renewal', key action[1].slack.text",
        "playbook 'Renewal', key action[2].email.subject",
        "playbook 'Renewal', key action[2].email.body",
        "playbook 'Renewal', key action[3].task.subject"]
    assert errors[0].split(": ", 1)[1].startswith("unknown key {account.nmae} (known: ")
    assert errors[1].endswith("{signal.*} needs a when.signal condition")
    assert errors[3].endswith("{account.name}: no format spec or conversion allowed")


def test_the_cli_refuses_a_bad_file_and_runs_nothing(store, db_url, tmp_path):
    _world(store)
    good = tmp_path / "good.toml"
    good.write_text(PLAYBOOKS)
    bad = tmp_path / "bad.toml"
    bad.write_text(PLAYBOOKS.replace('"no_touch"', '"no_tuoch"'))
    base = {"ACCOUNT360_DATABASE_URL": db_url, "ACCOUNT360_DATA_DIR": str(tmp_path),
            "ACCOUNT360_SECRET_KEY": "test-secret"}
    cli = CliRunner()
    res = cli.invoke(main, ["playbooks", "run"], env={**base, "ACCOUNT360_PLAYBOOKS": str(bad)})
    assert res.exit_code == 1
    assert "the playbooks file is invalid, nothing runs:\n  playbook 'Never touched', key " \
           "when.signal: unknown signal 'no_tuoch'" in res.output
    with store.sessions() as s:
        assert s.scalars(select(PlaybookRun)).all() == []
    res = cli.invoke(main, ["playbooks", "preview", str(good), "--json"], env=base)
    assert res.exit_code == 0, res.output
    shown = json.loads(res.stdout)
    assert sorted((i["playbook"], i["account_id"]) for i in shown) == [
        ("Never touched", "quiet"), ("Renewal soon", "warm")]
    res = cli.invoke(main, ["playbooks", "run"], env={**base, "ACCOUNT360_PLAYBOOKS": str(good)})
    assert res.exit_code == 0, res.output
    assert res.stdout.splitlines()[-1].endswith(
        ": 2 firings, 2 new episodes, 2 actions (2 sent, 0 to retry, 0 failed), 0 retried")
