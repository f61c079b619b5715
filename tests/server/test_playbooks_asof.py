"""What playbooks read beyond the history row, on real imported data and history rows built
by the backfill: when an account began (`new_account`), and the signal reasons of a past
`--as-of` day."""

from __future__ import annotations

import json
from datetime import datetime, time, timedelta, timezone

from sqlalchemy import select

from server import models as m
from server.importer import import_lines
from server.playbooks.service import preview, run
from server.playbooks.spec import parse
from server.rows.history import backfill
from server.rows.refresh import today
from tests.server.playbooks_helpers import add_accounts, env

NEW = '''
[[playbook]]
name = "Welcome"
when = { new_account = true }
[[playbook.action]]
task = { subject = "Kick-off call with {account.name}", due_in_days = 2 }
'''


def _events(account_id: str, users: range, first: int, last: int) -> list[bytes]:
    """One event a day per user from `first` to `last` days ago."""
    out = []
    for ago in range(first, last - 1, -1):
        at = datetime.combine(today() - timedelta(days=ago), time(12), tzinfo=timezone.utc)
        out += [json.dumps({"type": "event", "account_id": account_id, "user_id": f"u{u}",
                            "name": "open", "time": at.isoformat()}).encode() for u in users]
    return out


def _tasks(store) -> list[tuple]:
    with store.sessions() as s:
        return sorted(s.execute(select(m.Task.account_id, m.Task.subject)
                                .where(m.Task.source == "playbook")))


def test_a_year_of_imported_history_makes_no_account_new(store):
    now = today()
    ago = lambda n: (now - timedelta(days=n)).isoformat()  # noqa: E731
    add_accounts(
        store,
        {"id": "old", "name": "Old Co", "owner": "maria@example.com", "onboarding_start": ago(700)},
        {"id": "bare", "name": "Bare Co", "owner": "maria@example.com"},
        {"id": "won", "name": "Won Co", "owner": "maria@example.com"},
        {"id": "fresh", "name": "Fresh Co", "owner": "li@example.com", "onboarding_start": ago(5)},
        {"id": "crm", "name": "Crm Co", "owner": "li@example.com", "created_date": ago(3)})
    report = import_lines(store, [
        json.dumps({"type": "deal", "id": "d1", "account_id": "won", "kind": "new",
                    "status": "won", "amount": 12000, "close_date": ago(500)}).encode(),
        *_events("old", range(3), 364, 0), *_events("bare", range(2), 364, 0)])
    assert report.rejected == 0, report.errors
    backfill(store, store.settings, 365)              # a year of history rows, all accounts
    pf = parse(NEW)
    e = env(store)
    first_day = now - timedelta(days=364)
    assert preview(e, pf, first_day) == []            # the workspace's first day: nobody new
    assert [(i["account_id"], i["episode_start"]) for i in preview(e, pf, now)] == [
        ("crm", now - timedelta(days=3)), ("fresh", now - timedelta(days=5))]
    run(e, pf, now)
    assert _tasks(store) == [("crm", "Kick-off call with Crm Co"),
                             ("fresh", "Kick-off call with Fresh Co")]
    # an account that appears after the workspace began is new from its first stored day
    add_accounts(store, {"id": "late", "name": "Late Co", "owner": "li@example.com"})
    assert [i["account_id"] for i in preview(e, pf, now) if i["acts"]] == ["late"]
    # on a past day, the window is counted from each account's start: `old` was not new a
    # year ago, `fresh` is not new yet 10 days ago
    assert preview(e, pf, now - timedelta(days=10)) == []


def test_new_account_window_in_days(store):
    now = today()
    add_accounts(store, {"id": "a", "name": "A", "onboarding_start":
                         (now - timedelta(days=6)).isoformat()})
    week = parse(NEW.replace("new_account = true", "new_account = 7"))
    five = parse(NEW.replace("new_account = true", "new_account = 5"))
    e = env(store)
    assert [i["account_id"] for i in preview(e, week, now)] == ["a"]      # day 7 of 7
    assert preview(e, five, now) == []                                    # past day 5


USAGE = '''
[[playbook]]
name = "Usage drop"
when = { signal = "usage_drop" }
[[playbook.action]]
task = { subject = "{account.name}: {signal.reason} ({signal.severity})" }
'''


def test_a_past_as_of_names_the_signals_reason_of_that_day(store):
    add_accounts(store, {"id": "acme", "name": "Acme", "owner": "maria@example.com",
                         "onboarding_start": (today() - timedelta(days=300)).isoformat()})
    # 20 users until 50 days ago, 5 until 15 days ago, 20 again since: the drop fired 20
    # days ago and has cleared today
    report = import_lines(store, _events("acme", range(20), 120, 51)
                          + _events("acme", range(5), 50, 16) + _events("acme", range(20), 15, 0))
    assert report.rejected == 0, report.errors
    backfill(store, store.settings, 40)
    pf = parse(USAGE)
    e = env(store)
    past = today() - timedelta(days=20)
    assert preview(e, pf, today()) == []
    item, = preview(e, pf, past)
    assert item["actions"][0]["subject"] == (
        "Acme: Active users fell 75.0% (20 -> 5) vs prior 30 days (high)")
    run(e, pf, past)
    assert _tasks(store) == [("acme", "Acme: Active users fell 75.0% (20 -> 5) vs prior 30 days "
                                      "(high)")]
    item, = preview(e, pf, past)                     # a done action shows what it did
    assert item["actions"][0]["done"] and item["actions"][0]["subject"] == _tasks(store)[0][1]


def test_a_created_date_that_is_not_a_date_is_refused_with_the_field_named(store):
    report = import_lines(store, [json.dumps({"type": "account", "id": "x", "name": "X",
                                              "created_date": "last tuesday"}).encode()])
    assert report.rejected == 1
    assert "created_date" in report.errors[0]["reason"], report.errors


def test_a_task_made_after_a_past_day_is_not_overdue_on_it(store):
    from tests.server.playbooks_helpers import day, put_day

    add_accounts(store, {"id": "a", "name": "A", "owner": "maria@example.com"})
    for n in (1, 5, 9):
        put_day(store, "a", day(n))
    created = datetime.combine(day(6), time(9), tzinfo=timezone.utc)
    with store.session() as s:
        s.add(m.Task(id="t1", account_id="a", subject="QBR deck", status="open",
                     due_date=day(2), owner="maria@example.com", source="api",
                     crm_sync_attempts=0, attributes={}, created_at=created,
                     updated_at=created))
    pf = parse('''
[[playbook]]
name = "Overdue"
when = { task_overdue = true }
[[playbook.action]]
task = { subject = "{account.name}: {tasks.overdue} overdue" }
''')
    e = env(store)
    assert preview(e, pf, day(5)) == []                  # the task did not exist yet
    item, = preview(e, pf, day(9))
    assert (item["episode_start"], item["actions"][0]["subject"]) == (day(9), "A: 1 overdue")
