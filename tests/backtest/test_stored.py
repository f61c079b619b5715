"""The health model page reads a stored backtest: computed once (inline on a small workspace,
by the `backtest.run` job on a large one), equal to a fresh backtest, and never silently
stale: a write makes the page say "data changed since" and compute again, a settings change
another key."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from server.backtest.report import to_json
from server.backtest.service import backtest
from server.rows.build import settings_version
from server.settings_models import BacktestResult
from tests.backtest.test_page import QUERY, _cells, _signed_in
from tests.backtest.workspace import END, HORIZON, START, day

pytestmark = pytest.mark.store
CONFUSION = {"good": ["5", "0", "1", "3", "1"], "watch": ["1", "0", "0", "1", "0"],
             "at risk": ["4", "3", "0", "1", "0"], "unknown": ["0", "0", "0", "0", "0"]}


def _fresh(st, settings=None) -> dict:
    with st.store.session() as s:
        return json.loads(to_json(backtest(s, settings or st.settings, START, END, HORIZON)))


def _rows(st) -> list[BacktestResult]:
    with st.store.sessions() as s:
        return list(s.scalars(select(BacktestResult).order_by(BacktestResult.id)))


def _result(st, row_id: int) -> dict:
    """The stored backtest, its figures and its accounts."""
    from server.backtest.stored import full

    with st.store.sessions() as s:
        return full(s, row_id)


def _churn_r1(load) -> None:
    load([{"type": "deal", "id": "R1-churn", "account_id": "R1", "kind": "churn",
           "status": "won", "amount": 1000, "close_date": str(day(50))}])


def test_a_small_workspace_computes_within_the_request_and_stores_it(known, make_user,
                                                                      browser, load):
    csm = _signed_in(make_user, browser, "csm")
    html = csm.get(QUERY).get_data(as_text=True)
    assert {r[0]: r[1:6] for r in _cells(html, "confusion")} == CONFUSION
    assert "no data changed since" in html
    [row] = _rows(known)
    assert (row.status, row.settings_version, row.start, row.end, row.horizon,
            row.requested_by) == ("done", settings_version(known.settings), START, END, 90,
                                  "csm@example.com")
    assert _result(known, row.id) == _fresh(known)
    csm.get(QUERY)                       # read again, not computed again
    assert [r.id for r in _rows(known)] == [row.id]
    _churn_r1(load)                      # a write: the next view computes with it
    html = csm.get(QUERY).get_data(as_text=True)
    assert {r[0]: r[1:3] for r in _cells(html, "confusion")}["good"] == ["5", "1"]
    [again] = _rows(known)
    assert again.data_stamp != row.data_stamp and _result(known, again.id) == _fresh(known)
