"""Playbooks fire once per episode, from the stored history rows; running twice, or in two
processes at once, never duplicates an action (the unique claim row in the database)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from server import models as m
from server.playbooks.models import PlaybookAction, PlaybookFiring
from server.playbooks.service import preview, run
from server.playbooks.spec import parse
from tests.server.fake_slack import FakeSlack
from tests.server.playbooks_helpers import add_accounts, day, env, playbook_file, put_day

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def slack():
    fake = FakeSlack().start()
    yield fake
    fake.stop()


def _tasks(store) -> list[tuple]:
    with store.sessions() as s:
        return list(s.execute(select(m.Task.subject, m.Task.owner, m.Task.due_date,
                                     m.Task.source).order_by(m.Task.due_date)))


def test_one_task_and_one_post_per_episode(store, slack):
    add_accounts(store, {"id": "acme", "name": "Acme & Sons", "owner": "maria@example.com"})
    firing = {1, 2, 3, 4, 5, 9, 10}
    for n in range(1, 11):
        put_day(store, "acme", day(n), signals=["usage_drop"] if n in firing else [])
    pf = parse(playbook_file(slack.webhook))
    e = env(store)
    acted_on = {}
    for n in range(1, 11):
        acted_on[n] = [a["account_id"] for a in run(e, pf, day(n))["acted"]]
    assert acted_on == {1: ["acme"], 2: [], 3: [], 4: [], 5: [], 6: [], 7: [], 8: [],
                        9: ["acme"], 10: []}
    assert _tasks(store) == [
        ("Call Acme & Sons about usage (-35.0%)", "maria@example.com", day(4), "playbook"),
        ("Call Acme & Sons about usage (-35.0%)", "maria@example.com", day(12), "playbook")]
    texts = [r["json"]["text"] for r in slack.received]
    # a history day keeps signal codes only: the reason falls back to the code; CRM text
    # is escaped for Slack (& < >), the link stays a link
    assert texts == ["Acme &amp; Sons: usage_drop <https://cs.example.com/app/accounts/acme>"] * 2
    with store.sessions() as s:
        episodes = list(s.execute(select(PlaybookFiring.episode_start, PlaybookFiring.first_seen,
                                         PlaybookFiring.last_seen)
                                  .order_by(PlaybookFiring.episode_start)))
    assert episodes == [(day(1), day(1), day(1)), (day(9), day(9), day(9))]
    # running a day again changes nothing
    again = run(e, pf, day(10))
    assert again["acted"] == [] and again["counts"]["actions"] == 0
    assert len(_tasks(store)) == 2 and len(slack.received) == 2


def test_a_missing_day_neither_breaks_nor_extends_an_episode(store, slack):
    add_accounts(store, {"id": "acme", "name": "Acme", "owner": "maria@example.com"})
    for n in (1, 2, 4):                        # no stored row on day 3
        put_day(store, "acme", day(n), signals=["usage_drop"])
    pf = parse(playbook_file(slack.webhook))
    e = env(store)
    run(e, pf, day(1))
    out = run(e, pf, day(4))                   # day 2 never run: the walk back finds day 1
    assert out["acted"] == []
    with store.sessions() as s:
        assert s.scalar(select(func.count()).select_from(PlaybookFiring)) == 1


def test_an_episode_found_by_walking_back_acts_once(store, slack):
    add_accounts(store, {"id": "acme", "name": "Acme", "owner": "maria@example.com"})
    for n in (1, 2, 3):
        put_day(store, "acme", day(n), signals=["usage_drop"])
    pf = parse(playbook_file(slack.webhook))
    items = preview(env(store), pf, day(3))     # first run ever on day 3: episode since day 1
    assert [(i["account_id"], i["episode_start"], i["acts"]) for i in items] == [
        ("acme", day(1), True)]
    run(env(store), pf, day(3))
    assert [(i["episode_start"], i["acts"]) for i in preview(env(store), pf, day(3))] == [
        (day(1), False)]


RUNNER = """
import os, sys, time
from pathlib import Path
from server.db import Store
from server.playbooks.service import run
from server.playbooks.spec import parse
from tests.server.playbooks_helpers import day, env
store = Store(sys.argv[1])
pf = parse(Path(sys.argv[2]).read_text())
go = Path(sys.argv[3])
while not go.exists():
    time.sleep(0.01)
out = run(env(store), pf, day(1))
print(out["counts"]["actions"], out["counts"]["skipped"])
"""


def test_two_concurrent_runs_in_two_processes_act_once(store, db_url, slack, tmp_path):
    add_accounts(store, *({"id": f"acc-{i:02d}", "name": f"Account {i}",
                           "owner": "maria@example.com"} for i in range(12)))
    for i in range(12):
        put_day(store, f"acc-{i:02d}", day(1), signals=["usage_drop"])
    path = tmp_path / "playbooks.toml"
    path.write_text(playbook_file(slack.webhook))
    go = tmp_path / "go"
    envs = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [subprocess.Popen([sys.executable, "-c", RUNNER, db_url, str(path), str(go)],
                              cwd=ROOT, env=envs, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    time.sleep(0.5)
    go.touch()
    outs = [p.communicate(timeout=240) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [o[1][-2000:] for o in outs]
    acted = [tuple(map(int, o[0].split())) for o in outs]
    assert sum(a for a, _ in acted) == 24           # 12 accounts x (task + Slack), once
    assert len(_tasks(store)) == 12
    assert sorted(r["json"]["text"].split(":")[0] for r in slack.received) == sorted(
        f"Account {i}" for i in range(12))
    with store.sessions() as s:
        assert s.scalar(select(func.count()).select_from(PlaybookAction)) == 24
        assert set(s.scalars(select(PlaybookAction.status))) == {"sent"}
