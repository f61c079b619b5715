"""OpenAPI entries of the workspace pages (HTML, session cookie, query parameters)."""

from __future__ import annotations

from server.admin.openapi import _html


def _q(name: str, desc: str) -> dict:
    return {"name": name, "in": "query", "required": False, "description": desc,
            "schema": {"type": "string"}}


OWNER = _q("owner", "A CSM's email; empty: the whole team (default: a CSM's own book, the "
                    "team for leads and admins)")
SEGMENT = _q("segment", "Segment")
PHASE = _q("phase", "Lifecycle phase")


def _path(name: str, desc: str) -> dict:
    return {"name": name, "in": "path", "required": True, "description": desc,
            "schema": {"type": "string"}}


ACCOUNT = _path("account_id", "Account id")


def paths() -> dict:
    return {
        "/app/": {"get": _html("Team dashboard: section 8 figures for the team and per CSM", [
            _q("period", "12m (default), quarter or month (to date)"), OWNER, SEGMENT,
            PHASE])},
        "/app/priority": {"get": _html("Priority accounts: the book by risk, churned left out",
                                       [OWNER])},
        "/app/accounts": {"get": _html("Accounts table: search, filters, sort, 50 a page", [
            _q("q", "Name or domain"), OWNER, SEGMENT, _q("band", "Health band"), PHASE,
            _q("sort", "name, owner, segment, band, health, phase, arr, renewal, days, signals, "
                       "relationship, reply_hours, sentiment, sentiment_change or north_star; "
                       "a leading - reverses"),
            _q("cursor", "Next page"),
            _q("cols", "Shown columns, comma-separated sort fields (name always shown); "
                       "default: the user's remembered choice, else name, owner, band, health, "
                       "phase, arr, renewal, days, signals; an unknown column is a 400"),
            *[_q(n, d) for n, d in (
                ("arr_min", "ARR at least"), ("arr_max", "ARR at most"),
                ("health_min", "Health at least"), ("health_max", "Health at most"),
                ("renewal_from", "Renewal on or after (YYYY-MM-DD)"),
                ("renewal_to", "Renewal on or before (YYYY-MM-DD)"),
                ("days_min", "Days to renewal at least"), ("days_max", "Days to renewal at most"),
                ("signals_min", "Firing signals at least"),
                ("signals_max", "Firing signals at most"),
                ("relationship_min", "Relationship score at least (0-100)"),
                ("relationship_max", "Relationship score at most"),
                ("reply_hours_min", "Email reply median hours at least"),
                ("reply_hours_max", "Email reply median hours at most"),
                ("sentiment_min", "Sentiment at least (-100..100)"),
                ("sentiment_max", "Sentiment at most"),
                ("sentiment_change_min", "Sentiment change vs the prior 90 days at least"),
                ("sentiment_change_max", "Sentiment change vs the prior 90 days at most"),
                ("north_star_min", "North Star value at least"),
                ("north_star_max", "North Star value at most"))]])},
        "/app/accounts/views": {"post": _html(
            "Save the table's query as a named view of the signed-in user (same name: replaced)",
            [], form=True)},
        "/app/accounts/columns": {"post": _html(
            "The column chooser: remember the checked columns (col, repeated) of the signed-in "
            "user, or forget them (reset); redirects to the table with them and its other "
            "state (the table's query fields)", [], form=True)},
        "/app/accounts/views/{view_id}/delete": {"post": _html(
            "Delete one of my saved views", [_path("view_id", "Saved view id")], form=True)},
        "/app/accounts.csv": {"get": _html("The accounts table's rows as CSV (same parameters)",
                                           [])},
        "/app/accounts/{account_id}": {"get": _html(
            "Account page: the 360, health, ARR and active-user charts, signal timeline, "
            "tickets, pipeline, touchpoints, tasks and notes", [ACCOUNT])},
        "/app/accounts/{account_id}/tasks": {"post": _html(
            "Add a task (subject, due_date, note); written back to a linked CRM", [ACCOUNT],
            form=True)},
        "/app/accounts/{account_id}/tasks/{task_id}/done": {"post": _html(
            "Tick a task done (a CSM: their own tasks); `next` returns to a workspace page",
            [ACCOUNT, _path("task_id", "Task id")], form=True)},
        "/app/accounts/{account_id}/notes": {"post": _html("Add a note (body)", [ACCOUNT],
                                                           form=True)},
        "/app/lifecycle": {"get": _html(
            "Lifecycle: accounts per phase with each phase's headline metrics",
            [OWNER, SEGMENT])},
        "/app/tasks": {"get": _html("My tasks: open tasks across my accounts, overdue first",
                                    [OWNER])},
        "/app/health-model": {"get": _html(
            "Health model: the backtest of the current settings (outcomes vs band, score and "
            "signals horizon days before) and the settings history", [
                _q("start", "First day (default: 364 days before end)"),
                _q("end", "Last day (default: today)"), _q("horizon", "Days (default 90)"),
                _q("applied", "The version just applied (a notice)")])},
        "/app/health-model/backtest": {"post": _html(
            "Compute the backtest of a period again (start, end, horizon) and store it; on a "
            "large workspace a backtest.run job whose progress the page shows", [], form=True)},
        "/app/health-model/preview": {"post": _html(
            "Preview a settings file (`settings` pasted or `file` uploaded; start, end, "
            "horizon): band moves, signal changes, backtests side by side; nothing saved", [],
            form=True)},
        "/app/health-model/apply": {"post": _html(
            "Apply a settings file (`settings`) as a new version (admins)", [], form=True)},
        "/app/health-model/rollback": {"post": _html(
            "Roll back to an earlier settings version (`version`; admins)", [], form=True)},
        "/app/static/{filename}": {"get": _html(
            "Stylesheet and scripts of the workspace",
            [{"name": "filename", "in": "path", "required": True, "description": "File",
              "schema": {"type": "string"}}])},
    }
