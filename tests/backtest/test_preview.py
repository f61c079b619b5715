"""Preview of a proposed settings file on the hand-built workspace: exactly the expected
accounts change band, the expected signals appear and disappear, the backtests side by
side; nothing is saved."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from server.backtest.preview import preview
from server.backtest.service import backtest
from server.rows.build import settings_version
from server.rows.models import AccountDay
from server.settings_history import parse_text
from server.settings_models import SettingsVersion
from tests.backtest.workspace import END, HORIZON, START, T

pytestmark = pytest.mark.store

PROPOSED = ("[health.weights]\nseat_utilization = 40\nusage_trend = 0\n"
            "[signals]\ninactive_days = 200\nlow_seat_utilization = 0.6\n")


def test_preview_moves_exactly_the_expected_accounts(known):
    proposed = parse_text(PROPOSED)
    with known.store.session() as s:
        p = preview(s, known.settings, proposed, START, END, HORIZON, T)
    # today: C1-C3 and R5 have had no user for months (trend unknown, utilization 0):
    # 1500/35 = 42.9 (watch) -> 1500/55 = 27.3 (at_risk); R4 (one user of two):
    # (62.5*20 + 50*20 + 1500)/55 = 68.2 (watch) -> (62.5*40 + 1500)/55 = 72.7 (good);
    # both users active: 4500/55 = 81.8 -> 5500/55 = 100, good either way
    moves = {c["id"]: (c["from"], c["to"], round(c["score_from"], 1), round(c["score_to"], 1))
             for c in p["band_changes"]}
    assert moves == {**{a: ("watch", "at_risk", 42.9, 27.3) for a in ("C1", "C2", "C3", "R5")},
                     "R4": ("watch", "good", 68.2, 72.7)}
    assert p["band_counts"] == {"current": {"good": 6, "watch": 5},
                                "proposed": {"good": 7, "at_risk": 4}}
    # inactive from 200 days: C1 (last event 181 days ago) and R5 (126) lose it, C2 (201) and
    # C3 (221) keep it; utilization under 60%: R4 (50%) gains low_seat_utilization
    assert p["signal_changes"] == [
        {"id": "C1", "name": "Account C1", "appear": [], "disappear": ["inactive"]},
        {"id": "R4", "name": "Account R4", "appear": ["low_seat_utilization"], "disappear": []},
        {"id": "R5", "name": "Account R5", "appear": [], "disappear": ["inactive"]}]
    assert [c["key"] for c in p["diff"]] == [
        "health.weights.seat_utilization", "health.weights.usage_trend",
        "signals.inactive_days", "signals.low_seat_utilization"]
    cur, new = p["backtest"]["current"], p["backtest"]["proposed"]
    assert cur["auc"]["value"] == new["auc"]["value"] == 19.5 / 21
    # R4 is good with the proposed weights: "at_risk or watch" flags 4 accounts, 3 churned
    assert cur["predictors"]["at_risk_or_watch"]["precision"]["value"] == 3 / 5
    assert new["predictors"]["at_risk_or_watch"]["precision"]["value"] == 3 / 4
    assert new["bands"]["watch"]["churn_rate"]["value"] is None
    assert new["signals"]["inactive"]["hit_rate"]["value"] == 0.0      # 31 days < 200
    assert new["signals"]["low_seat_utilization"]["false_alarm_rate"]["numerator"] == 2
    assert p["proposed"]["digest"] == new["settings_version"] != cur["settings_version"]


def test_preview_saves_nothing_of_the_proposal(known):
    with known.store.session() as s:
        preview(s, known.settings, parse_text(PROPOSED), START, END, HORIZON, T)
    digest = settings_version(parse_text(PROPOSED))
    with known.store.sessions() as s:
        assert s.scalar(select(func.count()).select_from(SettingsVersion)) == 0
        assert s.scalar(select(func.count()).select_from(AccountDay)
                        .where(AccountDay.settings_version == digest)) == 0


def test_preview_command(known, tmp_path, monkeypatch):
    from server.cli import main

    monkeypatch.setenv("ACCOUNT360_DATABASE_URL", known.config["DATABASE_URL"])
    monkeypatch.setenv("ACCOUNT360_DATA_DIR", known.config["DATA_DIR"])
    (tmp_path / "p.toml").write_text(PROPOSED)
    (tmp_path / "bad.toml").write_text("[health.weights]\nsentiment_x = 3\n")
    runner = CliRunner()
    args = ["settings", "preview", str(tmp_path / "p.toml"), "--start", str(START),
            "--end", str(END)]
    out = runner.invoke(main, args)
    assert out.exit_code == 0, out.output
    lines = out.output.splitlines()
    assert "  R4 Account R4: watch -> good (68.2 -> 72.7)" in lines
    assert "  R4 Account R4: +low_seat_utilization" in lines
    assert "bands: good 6 -> 7, watch 5 -> 0, at_risk 0 -> 4, unknown 0 -> 0" in lines
    assert "  at_risk_or_watch precision  60.0% (3/5)   75.0% (3/4)" in lines
    body = json.loads(runner.invoke(main, [*args, "--json"]).output)
    assert len(body["band_changes"]) == 5 and body["current"]["version"] is None
    bad = runner.invoke(main, ["settings", "preview", str(tmp_path / "bad.toml")])
    assert bad.exit_code == 1 and "'health.weights.sentiment_x' is not a known key" in bad.output


def _today(store, settings) -> dict[str, tuple[str, list[str]]]:
    """Band and signal codes of every account as the 360 rows show them today."""
    from server.rows.models import AccountMetrics
    from server.rows.refresh import ensure_fresh

    ensure_fresh(store, settings, T)
    with store.sessions() as s:
        return {a: (band, sorted(x["code"] for x in sig)) for a, band, sig in s.execute(
            select(AccountMetrics.account_id, AccountMetrics.band, AccountMetrics.signals))}


def test_the_preview_equals_applying_the_settings(known):
    """Exactness: the proposed backtest and today's band and signal changes of the preview
    are what applying the settings and running the backtest (and the 360 rows) give."""
    from server.settings_history import apply

    before = _today(known.store, known.settings)
    with known.store.session() as s:
        p = preview(s, known.settings, parse_text(PROPOSED), START, END, HORIZON, T)
    with known.store.session() as s:
        _, applied = apply(s, PROPOSED, "lead@x.io", "cli", known.settings)
    with known.store.session() as s:
        first = backtest(s, applied, START, END, HORIZON)
    with known.store.session() as s:
        again = backtest(s, applied, START, END, HORIZON)      # now read from the kept rows
    assert first == again == p["backtest"]["proposed"]
    after = _today(known.store, applied)
    assert {c["id"]: (c["from"], c["to"]) for c in p["band_changes"]} == {
        a: (before[a][0], after[a][0]) for a in after if before[a][0] != after[a][0]}
    assert [(c["id"], c["appear"], c["disappear"]) for c in p["signal_changes"]] == [
        (a, sorted(set(after[a][1]) - set(before[a][1])),
         sorted(set(before[a][1]) - set(after[a][1])))
        for a in sorted(after) if after[a][1] != before[a][1]]


def test_a_preview_of_the_same_metric_settings_changes_nothing(known):
    """A file that changes only non-metric settings has the current digest: no band or
    signal moves, the same backtest on both sides."""
    with known.store.session() as s:
        p = preview(s, known.settings, parse_text("[messages]\ntext = 'none'\n"), START, END,
                    HORIZON, T)
    assert p["proposed"]["digest"] == p["current"]["digest"]
    assert (p["band_changes"], p["signal_changes"]) == ([], [])
    assert p["band_counts"]["current"] == p["band_counts"]["proposed"] == {"good": 6,
                                                                           "watch": 5}
    assert p["backtest"]["proposed"] == p["backtest"]["current"]
    assert p["diff"] == [{"key": "messages.text", "before": "snippet", "after": "none"}]
