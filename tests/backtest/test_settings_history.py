"""Settings as code: apply records who, when and the diff; history; rollback; a bad file is
refused with its key named and changes nothing; history rows carry the version."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from server.rows.build import settings_version
from server.rows.models import AccountDay
from server.settings import SettingsError, WorkspaceSettings
from server.settings_history import (
    Watch,
    apply,
    describe,
    diff,
    effective,
    history,
    parse_text,
    rollback,
)
from server.services.users import create_user
from server.settings_models import SettingsVersion

pytestmark = pytest.mark.store

TREND_40 = "[health.weights]\nusage_trend = 40\n"
NO_NPS = "[health.weights]\nusage_trend = 40\nnps = 0\n[signals]\ninactive_days = 21\n"


def test_apply_history_rollback_and_the_effective_settings(store):
    base = WorkspaceSettings()
    with store.session() as s:
        v1, s1 = apply(s, TREND_40, "maria@x.io", "cli", base)
        assert apply(s, TREND_40, "maria@x.io", "cli", s1) == (None, s1)   # unchanged
        v2, s2 = apply(s, NO_NPS, "lead@x.io", "page", s1)
    assert (v1.id, v2.id) == (1, 2)
    assert v1.diff == [{"key": "health.weights.usage_trend", "before": 20.0, "after": 40.0}]
    assert v2.diff == [{"key": "health.weights.nps", "before": 15.0, "after": 0.0},
                       {"key": "signals.inactive_days", "before": 14, "after": 21}]
    assert s2.metrics.health.weight("nps") == 0 and s2.source == "settings version 2"
    assert effective(store, None).metrics.signals.inactive_days == 21
    with store.session() as s:
        v3, s3 = rollback(s, 1, "lead@x.io", s2)
        with pytest.raises(SettingsError, match="there is no version 7"):
            rollback(s, 7, "lead@x.io", s3)
    assert (v3.id, v3.restored, v3.digest) == (3, 1, v1.digest)
    assert settings_version(effective(store, None)) == v1.digest
    with store.sessions() as s:
        rows = history(s)
        assert describe(s, v1.digest)["version"] == 3          # the latest with that digest
        assert describe(s, "other")["version"] is None
    assert [(r["version"], r["applied_by"], r["source"], r["restored"]) for r in rows] == [
        (3, "lead@x.io", "rollback", 1), (2, "lead@x.io", "page", None),
        (1, "maria@x.io", "cli", None)]
    assert rows[0]["diff"] == [{"key": "health.weights.nps", "before": 0.0, "after": 15.0},
                               {"key": "signals.inactive_days", "before": 21, "after": 14}]
    assert rows[0]["applied_at"].tzinfo is not None


def test_a_bad_file_is_refused_with_the_key_named_and_nothing_changes(store):
    with store.session() as s:
        apply(s, TREND_40, "maria@x.io", "cli", WorkspaceSettings())
    for body, message in (("[health.weights]\nbogus = 3\n", "'health.weights.bogus' is not"),
                          ("[signals]\ninactive_days = 'x'\n", "'signals.inactive_days' must"),
                          ("currency = 'EURO'\n", "'currency' must be a 3-letter"),
                          ("[health\n", "not valid TOML")):
        with store.session() as s, pytest.raises(SettingsError, match=message):
            apply(s, body, "maria@x.io", "cli", WorkspaceSettings())
    with store.sessions() as s:
        assert s.scalar(select(func.count()).select_from(SettingsVersion)) == 1
    assert effective(store, None).metrics.health.weight("usage_trend") == 40


def test_diff_covers_every_settings_key():
    new = parse_text('freemail_domains = ["a.io"]\nqbr_min_arr = 5000\n'
                     '[key_features]\nreports = ["report"]\n'
                     '[deal_kinds.hubspot]\n"Upgrade" = "expansion"\n[messages]\ntext = "none"\n')
    keys = {c["key"]: c["after"] for c in diff(WorkspaceSettings(), new)}
    assert keys == {"freemail_domains": ["a.io"], "qbr_min_arr": "5000",
                    "key_features.reports": ["report"], "deal_kinds.hubspot.upgrade": "expansion",
                    "messages.text": "none"}


def test_the_app_uses_the_latest_version_and_history_rows_carry_it(make_app, settings_file,
                                                                   load):
    from server.rows.history import daily
    from server.rows.refresh import today

    path = settings_file("[signals]\ninactive_days = 30\n")
    app = make_app(SETTINGS=path)
    st = app.extensions["account360"]
    assert st.settings.metrics.signals.inactive_days == 30        # no version yet: the file
    watch = Watch(None, every=0)
    with st.store.session() as s:
        row, new = apply(s, NO_NPS, "maria@x.io", "page", st.settings)
    assert watch.changed(st.store) and not watch.changed(st.store)
    st.use_settings(new)
    load([{"type": "account", "id": "a", "name": "A"}])
    with st.store.session() as s:
        daily(s, st.settings, today())
    with st.store.sessions() as s:
        day = s.get(AccountDay, ("a", today()))
        assert describe(s, day.settings_version)["version"] == row.id == 1
    again = make_app(SETTINGS=path)                    # a new process starts on version 1
    assert again.extensions["account360"].settings.metrics.signals.inactive_days == 21


def test_settings_commands(store, db_url, tmp_path, monkeypatch):
    from server.cli import main

    monkeypatch.setenv("ACCOUNT360_DATABASE_URL", db_url)
    monkeypatch.setenv("ACCOUNT360_DATA_DIR", str(tmp_path))
    (tmp_path / "s1.toml").write_text(TREND_40)
    (tmp_path / "bad.toml").write_text("[signals]\nnope = 1\n")
    create_user(store, "maria@x.io", "admin", password="a long enough password 1")
    runner = CliRunner()

    def run(*args, code=0):
        out = runner.invoke(main, list(args))
        assert out.exit_code == code, out.output
        return out.output.splitlines()

    assert run("settings", "history") == [
        "no settings version applied yet: the settings come from the defaults"]
    lines = run("settings", "apply", str(tmp_path / "s1.toml"), "--by", "maria@x.io")
    assert lines[:2] == ["applied settings version 1 (digest "
                         f"{settings_version(parse_text(TREND_40))}) by maria@x.io",
                         "  health.weights.usage_trend: 20.0 -> 40.0"]
    assert run("settings", "apply", str(tmp_path / "s1.toml"), "--by", "maria@x.io") == [
        "unchanged: these settings are already the current version"]
    bad = run("settings", "apply", str(tmp_path / "bad.toml"), "--by", "maria@x.io", code=1)
    assert "'signals.nope' is not a known key" in bad[-1] and "nothing was changed" in bad[-1]
    assert run("settings", "rollback", "5", "--by", "maria@x.io", code=1)[-1] == \
        "Error: settings: there is no version 5 (nothing was changed)"
    history_lines = run("settings", "history")
    assert len(history_lines) == 2 and history_lines[0].startswith("version 1  ")
    assert history_lines[0].endswith("maria@x.io  cli  digest " + settings_version(
        parse_text(TREND_40)))


def test_the_360_and_the_account_page_say_which_version_scored_it(app, client, auth, load,
                                                                  make_user, browser):
    st = app.extensions["account360"]
    load([{"type": "account", "id": "A", "name": "A", "seats": 2}])
    body = client.get("/api/v1/accounts/A/360", headers=auth).get_json()
    assert body["health"]["settings"] == {"version": None,
                                          "digest": settings_version(st.settings),
                                          "applied_at": None, "applied_by": None}
    with st.store.session() as s:
        row, new = apply(s, TREND_40, "maria@x.io", "page", st.settings)
    st.use_settings(new)          # what applying does in this process (others: within 5 s)
    body = client.get("/api/v1/accounts/A/360", headers=auth).get_json()
    got = body["health"]["settings"]
    assert (got["version"], got["digest"], got["applied_by"]) == (1, row.digest, "maria@x.io")
    assert got["applied_at"].startswith(str(row.applied_at.date()))
    make_user("csm@example.com", "csm")
    b = browser()
    b.login("csm@example.com")
    html = b.get("/app/accounts/A").get_data(as_text=True)
    assert f"Scored with settings version 1 (applied {row.applied_at.date()} by maria@x.io), " \
           f"digest <code>{row.digest}</code>" in html


def test_a_running_app_picks_up_a_version_applied_elsewhere(make_app, load, monkeypatch):
    import server.settings_history as sh

    clock = [1000.0]
    monkeypatch.setattr(sh, "monotonic", lambda: clock[0])
    app = make_app()
    st = app.extensions["account360"]
    client = app.test_client()
    from server.auth import create_token

    auth = {"Authorization": f"Bearer {create_token(st.store, 't')}"}
    load([{"type": "account", "id": "A", "name": "A"}])
    before = client.get("/api/v1/accounts/A/360", headers=auth).get_json()
    from server.db import Store

    other = Store(st.config["DATABASE_URL"])        # the command line, another process
    with other.session() as s:
        apply(s, TREND_40, "cli@x.io", "cli", WorkspaceSettings())
    other.dispose()
    clock[0] += 4                                          # checked at most every 5 seconds
    assert client.get("/api/v1/accounts/A/360", headers=auth).get_json() == before
    clock[0] += 2
    after = client.get("/api/v1/accounts/A/360", headers=auth).get_json()
    assert st.settings.metrics.health.weight("usage_trend") == 40
    assert after["health"]["settings"]["version"] == 1 and before["health"]["settings"][
        "version"] is None


def test_a_change_outside_the_metric_settings_is_a_version_too(store):
    with store.session() as s:
        v1, s1 = apply(s, NO_NPS, "a@x.io", "cli", WorkspaceSettings())
        v2, _ = apply(s, NO_NPS + "[messages]\ntext = 'none'\n", "a@x.io", "cli", s1)
    assert v2.digest == v1.digest and v2.diff == [
        {"key": "messages.text", "before": "snippet", "after": "none"}]
