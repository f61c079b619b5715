"""Helpers of the playbook tests: accounts through the import path, history rows of chosen
days, the run environment."""

from __future__ import annotations

import json
from datetime import date, timedelta

from server.importer import import_lines
from server.playbooks.service import Env
from server.rows.models import AccountDay
from server.rows.refresh import today
from server.secrets import Vault

SECRET = "test-secret"
BASE = today() - timedelta(days=40)      # day 1 of the episode tests (history, not today)


def day(n: int) -> date:
    return BASE + timedelta(days=n - 1)


def add_accounts(store, *accounts: dict) -> None:
    lines = [json.dumps({"type": "account", **a}).encode() for a in accounts]
    report = import_lines(store, lines)
    assert report.rejected == 0, report.errors


def put_day(store, account_id: str, when: date, signals=(), band="watch", phase="adoption",
            days_to_renewal=None, score=55.0, usage_trend=-0.35, active_users_30d=13) -> None:
    """One stored history row, as the daily job writes it."""
    with store.session() as s:
        s.merge(AccountDay(account_id=account_id, day=when, score=score, band=band,
                           components={}, signals=sorted(signals),
                           signal_runs={c: when.isoformat() for c in signals}, phase=phase,
                           arr=None, active_users_30d=active_users_30d, usage_trend=usage_trend,
                           days_to_renewal=days_to_renewal, settings_version="test"))


def env(store, **cfg) -> Env:
    return Env(store, {"SECRET_KEY": SECRET, "PUBLIC_URL": "https://cs.example.com", **cfg},
               Vault(SECRET))


def playbook_file(webhook: str, extra: str = "") -> str:
    return f'''
[[playbook]]
name = "Usage drop rescue"
when = {{ signal = "usage_drop" }}
[[playbook.action]]
task = {{ subject = "Call {{account.name}} about usage ({{usage.trend}})", due_in_days = 3 }}
[[playbook.action]]
slack = {{ webhook = "{webhook}", text = "{{account.name}}: {{signal.reason}} <{{account.url}}>" }}
{extra}'''
