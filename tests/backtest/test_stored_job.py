"""The `backtest.run` job of a large workspace (more accounts than
ACCOUNT360_PREVIEW_INLINE_ACCOUNTS): queued by the page, after a settings apply and after the
daily metrics job, or stored by `account360 backtest --store`; the page shows its progress,
then a result equal to a fresh backtest, and the stale one marked while it recomputes."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from server.backtest.preview import default_period
from server.backtest.report import to_json
from server.backtest.service import backtest
from server.models import utcnow
from server.rows.build import settings_version
from server.settings_history import parse_text
from server.settings_models import BacktestResult
from tests.backtest.test_page import QUERY, _cells, _signed_in
from tests.backtest.test_preview import PROPOSED
from tests.backtest.test_stored import CONFUSION, _churn_r1, _fresh, _result, _rows
from tests.backtest.workspace import END, START

pytestmark = pytest.mark.store


def _run_jobs(app) -> None:
    """Every job due (those of one lock run one after another)."""
    from server.admin import admin_state

    for _ in range(10):
        started = admin_state(app).runner.tick()
        for th in started:
            th.join(120)
        if not started:
            return


@pytest.fixture
def app(make_app):
    return make_app(PREVIEW_INLINE_ACCOUNTS=0)


def test_a_large_workspace_computes_it_in_a_job_and_says_when_data_changed(
        app, known, make_user, browser, load):
    csm = _signed_in(make_user, browser, "csm")
    waiting = csm.get(QUERY).get_data(as_text=True)
    assert 'data-testid="backtest-running"' in waiting and "Backtest queued" in waiting
    assert '<meta http-equiv="refresh" content="2">' in waiting
    assert 'data-testid="confusion"' not in waiting
    csm.get(QUERY)                       # the waiting run serves the second view too
    assert [r.status for r in _rows(known)] == ["queued"]
    _run_jobs(app)
    html = csm.get(QUERY).get_data(as_text=True)
    assert 'data-testid="backtest-running"' not in html and "no data changed since" in html
    assert {r[0]: r[1:6] for r in _cells(html, "confusion")} == CONFUSION
    [row] = _rows(known)
    assert (row.status, row.done == row.total == 10) == ("done", True)
    assert _result(known, row.id) == _fresh(known)

    _churn_r1(load)
    stale = csm.get(QUERY).get_data(as_text=True)
    assert "data changed since</strong>: recomputing" in stale
    assert {r[0]: r[1:3] for r in _cells(stale, "confusion")}["good"] == ["5", "0"]  # older data
    _run_jobs(app)
    html = csm.get(QUERY).get_data(as_text=True)
    assert "no data changed since" in html
    assert {r[0]: r[1:3] for r in _cells(html, "confusion")}["good"] == ["5", "1"]
    [row] = [r for r in _rows(known) if r.status == "done"]
    assert _result(known, row.id) == _fresh(known)


def test_a_settings_change_is_another_key_and_queues_the_default_backtest(
        app, known, make_user, browser):
    admin = _signed_in(make_user, browser, "admin")
    admin.get(QUERY)
    _run_jobs(app)
    assert admin.post("/app/health-model/apply", {"settings": PROPOSED}).status_code == 302
    new = parse_text(PROPOSED)
    start, end = default_period(utcnow().date())
    queued = [r for r in _rows(known) if r.status == "queued"]
    assert [(r.settings_version, r.start, r.end, r.horizon) for r in queued] == [
        (settings_version(new), start, end, 90)]
    html = admin.get(QUERY).get_data(as_text=True)
    assert 'data-testid="confusion"' not in html      # the old settings' result is not shown
    assert "No backtest of this period and horizon with the current settings" in html
    _run_jobs(app)
    html = admin.get(QUERY).get_data(as_text=True)
    assert "no data changed since" in html and settings_version(new) in html
    mine = [r for r in _rows(known) if r.status == "done" and r.start == START
            and r.settings_version == settings_version(new)]
    assert len(mine) == 1 and _result(known, mine[0].id) == _fresh(known, new)


def test_the_daily_job_queues_the_default_backtest(app, known):
    from server.jobs.queue import defer

    with known.store.session() as s:
        defer(s, "metrics.daily", store=known.store)
    _run_jobs(app)                   # the daily job, then the backtest it queued
    start, end = default_period(utcnow().date())
    [row] = _rows(known)
    assert (row.status, row.start, row.end, row.horizon, row.requested_by) == (
        "done", start, end, 90, "metrics.daily")
    with known.store.session() as s:
        fresh = json.loads(to_json(backtest(s, known.settings, start, end, 90)))
    assert _result(known, row.id) == fresh


def test_the_command_stores_what_it_prints_and_the_page_reads_it(app, known, make_user,
                                                                 browser, monkeypatch):
    from server.cli import main

    monkeypatch.setenv("ACCOUNT360_DATABASE_URL", known.config["DATABASE_URL"])
    monkeypatch.setenv("ACCOUNT360_DATA_DIR", known.config["DATA_DIR"])
    out = CliRunner().invoke(main, ["backtest", "--start", str(START), "--end", str(END),
                                    "--horizon", "90", "--json", "--store"])
    assert out.exit_code == 0, out.output
    [row] = _rows(known)
    assert (row.status, row.requested_by) == ("done", "cli")
    assert _result(known, row.id) == json.loads(out.output)
    html = _signed_in(make_user, browser, "csm").get(QUERY).get_data(as_text=True)
    assert "no data changed since" in html and 'data-testid="backtest-running"' not in html
    assert {r[0]: r[1:6] for r in _cells(html, "confusion")} == CONFUSION
    with known.store.sessions() as s:
        assert s.scalar(select(func.count()).select_from(BacktestResult)) == 1


def test_a_settings_apply_on_the_command_line_queues_the_default_backtest(
        app, known, make_user, tmp_path, monkeypatch):
    from server.cli import main

    monkeypatch.setenv("ACCOUNT360_DATABASE_URL", known.config["DATABASE_URL"])
    monkeypatch.setenv("ACCOUNT360_DATA_DIR", known.config["DATA_DIR"])
    monkeypatch.setenv("ACCOUNT360_PREVIEW_INLINE_ACCOUNTS", "0")
    make_user("admin@example.com", "admin")
    (tmp_path / "new.toml").write_text(PROPOSED)
    out = CliRunner().invoke(main, ["settings", "apply", str(tmp_path / "new.toml"),
                                    "--by", "admin@example.com"])
    assert out.exit_code == 0, out.output
    start, end = default_period(utcnow().date())
    assert [(r.status, r.settings_version, r.start, r.end, r.horizon, r.requested_by)
            for r in _rows(known)] == [("queued", settings_version(parse_text(PROPOSED)),
                                        start, end, 90, "admin@example.com")]


def test_a_run_lost_with_its_worker_does_not_block_the_page(app, known, make_user, browser):
    from datetime import timedelta

    from sqlalchemy import update

    from server.backtest.stored import STALL

    csm = _signed_in(make_user, browser, "csm")
    csm.get(QUERY)
    with known.store.session() as s:     # as if a worker took it and died
        s.execute(update(BacktestResult).values(status="running",
                                                created_at=utcnow() - STALL - timedelta(1)))
    html = csm.get(QUERY).get_data(as_text=True)
    assert "Backtest queued" in html
    assert [r.status for r in _rows(known)] == ["running", "queued"]
    _run_jobs(app)
    assert "no data changed since" in csm.get(QUERY).get_data(as_text=True)
