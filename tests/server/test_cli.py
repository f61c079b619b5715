"""The account360 command line, run as a user would (a real subprocess per command)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

BIN = [sys.executable, "-m", "server"]
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def run(db_url, tmp_path):
    env = {**os.environ, "ACCOUNT360_DATABASE_URL": db_url,
           "ACCOUNT360_DATA_DIR": str(tmp_path / "data")}

    def do(*args, ok=True, extra_env=None):
        proc = subprocess.run(BIN + list(args), capture_output=True, text=True,
                              env={**env, **(extra_env or {})}, timeout=600,
                              stdin=subprocess.DEVNULL)
        if ok:
            assert proc.returncode == 0, proc.stderr
        return proc

    return do


def test_import_reports_rejects_and_exits_non_zero(run, tmp_path):
    good = tmp_path / "good.jsonl"
    good.write_text(json.dumps({"type": "account", "id": "a", "name": "A"}) + "\n")
    proc = run("import", str(good))
    assert proc.stdout.strip() == "loaded 1, rejected 0 (account 1)"
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"type":"account","id":"b","name":"B"}\n{"type":"deal"}\n')
    proc = run("import", str(bad), ok=False)
    assert proc.returncode == 1
    assert "line 2: deal: missing required field 'id'" in proc.stderr
    assert proc.stdout.strip().startswith("loaded 1, rejected 1")


def test_tokens_create_list_revoke(run):
    token = run("token", "create", "--name", "maria").stdout.strip().splitlines()[-1]
    assert token.startswith("a360_") and len(token) > 30
    listing = run("token", "list").stdout
    assert "maria" in listing and token not in listing and "active" in listing
    token_id = listing.split()[0]
    assert "revoked" in run("token", "revoke", token_id).stdout
    assert "revoked" in run("token", "list").stdout
    assert run("token", "revoke", token_id, ok=False).returncode != 0


def test_demo_builds_a_workspace_through_the_import_path(run, db_url):
    proc = run("demo", "--no-serve", "--accounts", "30", "--events", "6000", "--seed", "5")
    assert "30 accounts" in proc.stdout and "API token: a360_" in proc.stdout
    from sqlalchemy import func, select

    from server import models as m
    from server.db import Store

    store = Store(db_url)
    with store.sessions() as s:
        kinds = set(s.scalars(select(m.Deal.kind).distinct()))
        statuses = set(s.scalars(select(m.Deal.status).distinct()))
        assert s.scalar(select(func.count()).select_from(m.Account)) == 30
        assert s.scalar(select(func.sum(m.UsageUserDay.events))) >= 5000
        for model in (m.Ticket, m.Touchpoint, m.NpsResponse, m.Survey, m.Task):
            assert s.scalar(select(func.count()).select_from(model)) > 0, model
    store.dispose()
    assert {"new", "renewal"} <= kinds and {"won", "open"} <= statuses
    # the same seed twice gives the same workspace: nothing new is loaded
    again = run("demo", "--no-serve", "--accounts", "30", "--events", "6000", "--seed", "5")
    assert "(0 new)" in again.stdout


def test_bad_settings_stop_serve_with_a_clear_message(run, tmp_path):
    bad = tmp_path / "s.toml"
    bad.write_text("[signals]\nnope = 1\n")
    proc = run("serve", "--port", "0", ok=False, extra_env={"ACCOUNT360_SETTINGS": str(bad)})
    assert proc.returncode != 0
    assert "'signals.nope' is not a known key" in proc.stderr


def test_snapshot_command(run, tmp_path):
    f = tmp_path / "a.jsonl"
    f.write_text('{"type":"account","id":"a","name":"A"}\n')
    run("import", str(f))
    assert run("snapshot", "--day", "2026-11-01").stdout.strip() == \
        "snapshot of 1 accounts for 2026-11-01"


def test_module_entry_point_exists():
    assert Path(__file__).resolve().parents[2].joinpath("server", "__main__.py").exists()


def test_every_command_is_registered_in_one_place():
    from server.cli import COMMANDS, main

    assert set(main.commands) == {
        "serve", "demo", "import", "token", "db", "check-settings", "snapshot", "metrics",
        "admin", "worker", "sync", "check", "writeback", "backtest", "messages", "settings",
        "playbooks"}
    assert {c.name for c in COMMANDS} == set(main.commands)
    assert set(main.commands["token"].commands) == {"create", "list", "revoke"}
    assert set(main.commands["admin"].commands) == {"create", "list"}
    assert set(main.commands["metrics"].commands) == {"daily", "backfill", "refresh"}
    assert set(main.commands["settings"].commands) == {"apply", "history", "rollback", "preview"}
    assert set(main.commands["playbooks"].commands) == {"preview", "run", "digest", "secret"}


def test_importing_the_command_line_has_no_side_effects(tmp_path):
    code = ("import sys, server.cli; "
            "print(sorted(m for m in sys.modules if m.startswith(('connectors', "
            "'sqlalchemy', 'alembic', 'server.admin', 'server.db'))))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT)},
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"
    assert list(tmp_path.iterdir()) == []     # no data directory, no database file


def test_commands_on_an_unmigrated_database_say_to_run_db_upgrade(tmp_path):
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    env = {**os.environ, "ACCOUNT360_DATABASE_URL": url,
           "ACCOUNT360_DATA_DIR": str(tmp_path / "data")}

    def cli(*args):
        return subprocess.run(BIN + list(args), capture_output=True, text=True, env=env,
                              timeout=600, stdin=subprocess.DEVNULL, cwd=ROOT)

    refused = cli("token", "list")
    assert refused.returncode == 1
    assert "run `account360 db upgrade`" in refused.stderr and "Traceback" not in refused.stderr
    upgraded = cli("db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    assert "latest migration" in upgraded.stdout
    listed = cli("token", "list")
    assert listed.returncode == 0, listed.stderr
