"""On a workspace with more accounts than ACCOUNT360_PREVIEW_INLINE_ACCOUNTS the page's
preview runs as a `settings.preview` job: the page shows its progress, then the same preview
the request computes inline on a small workspace; nothing of the proposal is saved."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from server.admin import admin_state
from server.rows.build import settings_version
from server.rows.models import AccountDay
from server.settings_history import parse_text
from server.settings_models import SettingsPreview, SettingsVersion
from tests.backtest.test_page import PERIOD, QUERY, _cells, _signed_in
from tests.backtest.test_preview import PROPOSED
from tests.backtest.workspace import day

pytestmark = pytest.mark.store


@pytest.fixture
def app(make_app):
    return make_app(PREVIEW_INLINE_ACCOUNTS=0)


def _run_jobs(app) -> None:
    for th in admin_state(app).runner.tick():
        th.join(120)


def test_a_large_preview_runs_as_a_job_with_progress(app, known, make_user, browser):
    csm = _signed_in(make_user, browser, "csm")
    r = csm.post("/app/health-model/preview", {**PERIOD, "settings": PROPOSED})
    assert r.status_code == 302 and "preview=1" in r.headers["Location"]
    waiting = csm.get(r.headers["Location"]).get_data(as_text=True)
    assert 'data-testid="preview-running"' in waiting and "Preview queued" in waiting
    assert '<meta http-equiv="refresh" content="2">' in waiting
    _run_jobs(app)
    html = csm.get(r.headers["Location"]).get_data(as_text=True)
    assert 'data-testid="preview-running"' not in html
    moves = {row[0]: row[1:] for row in _cells(html, "band-changes")}
    assert moves == {**{f"Account {a}": ["watch", "at risk", "42.9 → 27.3"]
                        for a in ("C1", "C2", "C3", "R5")},
                     "Account R4": ["watch", "good", "68.2 → 72.7"]}
    side = {row[0]: row[1:] for row in _cells(html, "side-by-side")}
    assert side["at_risk_or_watch precision"] == ["60.0% (3/5)", "75.0% (3/4)"]
    with known.store.sessions() as s:
        run = s.get(SettingsPreview, 1)
        assert (run.status, run.requested_by, run.stage, run.done == run.total > 0) == (
            "done", "csm@example.com", "proposed backtest", True)
        assert s.scalar(select(func.count()).select_from(SettingsVersion)) == 0
        assert s.scalar(select(func.count()).select_from(AccountDay).where(
            AccountDay.settings_version == settings_version(parse_text(PROPOSED)))) == 0
        # the current settings' observation days were kept when the run finished
        kept = set(s.scalars(select(AccountDay.account_id).where(
            AccountDay.settings_version == settings_version(known.settings),
            AccountDay.day <= day(95))))
    assert kept == {"C1", "C2", "C3", "K", "X", "R1", "R2", "R3", "R4", "R5"}


def test_a_bad_file_is_refused_before_any_job(known, make_user, browser):
    b = _signed_in(make_user, browser, "admin")
    r = b.post("/app/health-model/preview", {**PERIOD, "settings": "[signals]\nnope = 1\n"})
    assert r.status_code == 400 and "&#39;signals.nope&#39; is not a known key" in \
        r.get_data(as_text=True)
    assert b.get(QUERY + "&preview=99").status_code == 404
    with known.store.sessions() as s:
        assert s.scalar(select(func.count()).select_from(SettingsPreview)) == 0
