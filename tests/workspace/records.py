"""Record builders the workspace tests share: days counted back from today, and deals.

A suite run may cross midnight UTC: records whose figures the server counts from its own
today (days left, overdue, the default period) are built when a test loads them, not when
its module is imported (`today()`, and record lists as functions)."""

from __future__ import annotations

from datetime import date, timedelta

#: The collection day: only for tests that pass it to both sides of a comparison as `as_of`.
TODAY = date.today()


def today() -> date:
    """The current day (the server's, at the moment of the call)."""
    return date.today()


def ago(n: int) -> str:
    """The ISO date n days before today (at the moment of the call)."""
    return (today() - timedelta(days=n)).isoformat()


def deal(i, acc, kind, status, amount, days_ago):
    """A deal record of the import format, closed `days_ago` days ago."""
    return {"type": "deal", "id": i, "account_id": acc, "kind": kind, "status": status,
            "amount": amount, "close_date": ago(days_ago)}


#: The accounts table's `cols` showing every column (the default set is narrower).
EVERY = ("cols=name,owner,segment,band,health,phase,arr,renewal,days,signals,relationship,"
         "reply_hours,sentiment,sentiment_change")
#: ... and the North Star's, when the settings name one.
EVERY_NS = EVERY + ",north_star"
