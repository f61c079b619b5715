"""Only an admin changes the settings from the command line: `--by` must name an enabled
admin user of the workspace, or `--token-stdin` an admin API token; who acted is recorded,
anyone else is refused with a clear message and nothing changes."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from server.auth import create_token
from server.services.tokens import issue
from server.services.users import create_user, disable_user
from server.settings_history import history
from server.settings_models import SettingsVersion

pytestmark = pytest.mark.store

PASSWORD = "a long enough password 1"


@pytest.fixture
def cli(store, db_url, tmp_path, monkeypatch):
    from server.cli import main

    monkeypatch.setenv("ACCOUNT360_DATABASE_URL", db_url)
    monkeypatch.setenv("ACCOUNT360_DATA_DIR", str(tmp_path))
    (tmp_path / "s.toml").write_text("[health.weights]\nusage_trend = 40\n")
    (tmp_path / "t.toml").write_text("[health.weights]\nusage_trend = 30\n")
    runner = CliRunner()

    def run(*args, code=0, stdin=None):
        out = runner.invoke(main, list(args), input=stdin)
        assert out.exit_code == code, out.output
        return out.output.splitlines()

    run.file = lambda name: str(tmp_path / name)
    return run


def _versions(store) -> int:
    with store.sessions() as s:
        return s.scalar(select(func.count()).select_from(SettingsVersion))


def test_apply_and_rollback_refuse_anyone_but_an_admin(store, cli):
    create_user(store, "csm@x.io", "csm", password=PASSWORD)
    gone, _ = create_user(store, "gone@x.io", "admin", password=PASSWORD)
    disable_user(store, gone.id)
    f = cli.file("s.toml")
    refusals = {
        (): "say which admin applies them: --by EMAIL of an admin user",
        ("--by", "nobody@x.io"): "nobody@x.io is not a user of this workspace",
        ("--by", "csm@x.io"): "csm@x.io is a csm, not an admin: only admins apply settings",
        ("--by", "gone@x.io"): "gone@x.io is disabled",
    }
    for args, message in refusals.items():
        for cmd in (["apply", f], ["rollback", "1"]):
            last = cli("settings", *cmd, *args, code=1)[-1]
            assert message in last and last.endswith("(nothing was changed)"), last
    read_only = create_token(store, "reader", "read")
    last = cli("settings", "apply", f, "--token-stdin", stdin=read_only + "\n", code=1)[-1]
    assert "the token 'reader' has no admin scope" in last
    last = cli("settings", "apply", f, "--token-stdin", stdin="a360_not_a_token\n", code=1)[-1]
    assert "not a live API token" in last
    assert _versions(store) == 0


def test_the_acting_admin_is_recorded(store, cli):
    admin, _ = create_user(store, "Lead@X.io", "admin", password=PASSWORD)
    assert cli("settings", "apply", cli.file("s.toml"), "--by", "LEAD@x.io")[0].endswith(
        "by lead@x.io")
    token = issue(store, admin.id, "laptop")                    # the admin's own token
    cli("settings", "apply", cli.file("t.toml"), "--token-stdin", stdin=token + "\n")
    machine = create_token(store, "deploy", "admin")            # a token of no user
    cli("settings", "rollback", "1", "--token-stdin", stdin=machine + "\n")
    with store.sessions() as s:
        assert [(v["version"], v["applied_by"], v["source"]) for v in history(s)] == [
            (3, "token deploy", "rollback"), (2, "lead@x.io", "cli"), (1, "lead@x.io", "cli")]
