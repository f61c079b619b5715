"""The kept NRR/GRR points as columns (services.retention_points): each account's ARR on the
window days whatever order the timeline's rows are read in, built again on a new day and
after MAX_AGE, exact after a write that lands while they are built, and grown by an account
that gets its first ARR after the build."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest

from server.rows.models import ArrChangeRow
from server.services import retention_points, retention_series, trends
from tests.workspace.records import TODAY, deal
from tests.workspace.test_retention_series import (  # noqa: F401
    check,
    from_records,
    kept_series,
    reads,
    workspace,
)

pytestmark = pytest.mark.store


def same_points(session, kept) -> None:
    lines, kind = trends.timelines(session)
    assert kind is kept.kind and sorted(kept.points.index) == sorted(lines)
    for acc, (days, arrs) in lines.items():
        assert kept.points.of(acc) == trends.account_points(days, arrs, kept.keys), acc
    direct = trends.sum_points([trends.account_points(d, a, kept.keys)
                                for d, a in lines.values()], kept.keys)
    assert [list(row) for row in kept.totals] == direct


def test_points_are_each_accounts_arr_on_the_window_days(workspace, load):  # noqa: F811
    load([deal("a3", "A", "contraction", "won", 40.10, 20),  # A's ARR goes down
          deal("d3", "D", "renewal", "lost", 0, 2)])  # D churns
    with workspace.sessions() as s:
        kept = retention_series.kept_points(s, TODAY)
        same_points(s, kept)
        assert kept.points.falls  # A and D: min(S, E) taken per account
    check(workspace)


def test_rows_in_any_order_the_latest_change_wins(workspace, load):  # noqa: F811
    """A timeline whose later change is dated before an earlier one (the rows' writer never
    stores one; the columns still follow the timeline's order, as the fold does)."""
    load([{"type": "account", "id": "E", "name": "Epsilon", "owner": "csm@example.com"}])
    rows = [(0, 100, 500), (1, 400, 200), (2, 700, 900), (3, 30, 650.25)]  # seq, days ago, ARR
    with workspace.session() as s:
        s.add_all(ArrChangeRow(account_id="E", seq=q, date=TODAY - timedelta(days=n), kind="new",
                               deal_id=f"e{q}", before=0, after=a, status="won")
                  for q, n, a in rows)
    retention_series.forget()
    with workspace.sessions() as s:
        kept = retention_series.kept_points(s, TODAY)
        same_points(s, kept)
        assert retention_series.retention_by_month(s, TODAY) == trends.retention_by_month(s, TODAY)
        assert retention_series.retention_by_month(s, TODAY, "csm@example.com") == \
            trends.retention_by_month(s, TODAY, "csm@example.com")


def test_a_new_day_builds_the_points_of_that_day(workspace, monkeypatch):  # noqa: F811
    seen = reads(monkeypatch)
    with workspace.sessions() as s:
        kept = retention_series.kept_points(s, TODAY)
        assert retention_series.kept_points(s, TODAY) is kept
        for later in (TODAY + timedelta(days=1), TODAY + timedelta(days=40)):
            assert retention_series.retention_by_month(s, later) == \
                trends.retention_by_month(s, later)
            assert retention_series.kept_points(s, later).as_of == later
    assert seen == [None, None, None]


def test_points_older_than_max_age_are_built_again(workspace, monkeypatch):  # noqa: F811
    seen = reads(monkeypatch)
    with workspace.sessions() as s:
        first = retention_series.kept_points(s, TODAY)
    later = time.monotonic() + retention_series.MAX_AGE + 1
    monkeypatch.setattr(retention_series.time, "monotonic", lambda: later)
    with workspace.sessions() as s:
        again = retention_series.kept_points(s, TODAY)
        assert again is not first and retention_series.kept_points(s, TODAY) is again
    assert seen == [None, None]
    check(workspace)


def test_a_write_while_the_points_are_built(workspace, load, monkeypatch):  # noqa: F811
    """A deal committed after the read took the counters but before it read the timeline:
    the answer is the series before or after it, and the next read is the series after."""
    with workspace.sessions() as s:
        before = from_records(s)
    real = retention_points.build

    def build_after_a_write(session, keys_of):
        monkeypatch.setattr(retention_points, "build", real)
        load([deal("a3", "A", "expansion", "won", 70.05, 10)])
        return real(session, keys_of)
    monkeypatch.setattr(retention_points, "build", build_after_a_write)
    with workspace.sessions() as s:
        got = [(p["month"], p["nrr"], p["grr"], p["cohort_size"])
               for p in retention_series.retention_by_month(s, TODAY)]
        after = from_records(s)
    assert after != before and got in (before, after)
    check(workspace)


def test_an_account_with_its_first_arr_after_the_build(workspace, load, monkeypatch):  # noqa: F811
    check(workspace)
    seen = reads(monkeypatch)
    load([{"type": "account", "id": "F", "name": "Phi", "owner": "other@example.com"},
          deal("f1", "F", "new", "won", 80.40, 300)])
    check(workspace)
    assert seen == [["F"]]
    with workspace.sessions() as s:
        same_points(s, retention_series.kept_points(s, TODAY))
        assert kept_series(s, "other@example.com") == from_records(s, "other@example.com")
