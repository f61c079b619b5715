"""What an account page shows besides the 360: its recent tickets and touchpoints, its
history series (health, ARR, active users), the signal timeline (each run of a signal in the
daily history) and, for a churned account, when it churned and the ARR it lost."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from server import models as m
from server.rows.models import AccountDay, ArrChangeRow
from server.rows.read import history

#: Signals about product usage: a churned account's page does not list them (no one to alarm).
USAGE_SIGNALS = frozenset({"usage_drop", "inactive", "low_seat_utilization"})


def tickets(session: Session, account_id: str, limit: int = 20) -> list[dict]:
    """The account's tickets, open first, then newest first."""
    q = (select(m.Ticket).where(m.Ticket.account_id == account_id)
         .order_by((m.Ticket.solved_at.is_(None)).desc(), m.Ticket.created_at.desc())
         .limit(limit))
    return [{"id": t.id, "subject": t.subject, "status": t.status, "priority": t.priority,
             "created_at": t.created_at, "first_response_at": t.first_response_at,
             "solved_at": t.solved_at} for t in session.scalars(q)]


def touchpoints(session: Session, account_id: str, limit: int = 20) -> list[dict]:
    """The account's touchpoints, newest first (subject from the record when it has one)."""
    q = (select(m.Touchpoint).where(m.Touchpoint.account_id == account_id)
         .order_by(m.Touchpoint.date.desc(), m.Touchpoint.id.desc()).limit(limit))
    return [{"id": t.id, "date": t.date, "kind": t.kind, "owner": t.owner,
             "subject": (t.attributes or {}).get("subject")} for t in session.scalars(q)]


def series(session: Session, account_id: str, as_of: date, days: int = 365) -> dict:
    """Daily points of health, ARR and active users (30 days) over the last `days` days."""
    points = history(session, account_id, ["health", "arr", "active_users_30d", "signals"],
                     as_of - timedelta(days=days - 1), as_of)
    return {"days": [p["date"] for p in points],
            "health": [p["health"] for p in points],
            "arr": [None if p["arr"] is None else float(p["arr"]) for p in points],
            "active_users_30d": [p["active_users_30d"] for p in points],
            "signals": [p["signals"] or [] for p in points]}


def signal_runs(days: list[date], codes: list[list[str]]) -> list[dict]:
    """Each unbroken daily run of each signal code: code, first and last day, and whether it
    still fires on the last stored day. A missing day ends a run. Newest run first."""
    runs: list[dict] = []
    open_runs: dict[str, dict] = {}
    prev: date | None = None
    for day, today in zip(days, codes, strict=True):
        if prev is not None and day - prev != timedelta(days=1):
            open_runs = {}
        for code in list(open_runs):
            if code not in today:
                del open_runs[code]
        for code in today:
            if code in open_runs:
                open_runs[code]["last"] = day
            else:
                open_runs[code] = {"code": code, "first": day, "last": day}
                runs.append(open_runs[code])
        prev = day
    last = days[-1] if days else None
    for run in runs:
        run["ongoing"] = run["last"] == last
        run["days"] = (run["last"] - run["first"]).days + 1
    return sorted(runs, key=lambda r: (r["first"], r["code"]), reverse=True)


def churn(session: Session, account_id: str) -> dict | None:
    """When the account's ARR last went to 0 and how much it lost then, if its ARR is 0 now
    after having had ARR (metrics.md section 7: churned); else None."""
    ch = ArrChangeRow
    changes = session.execute(select(ch.date, ch.before, ch.after, ch.kind)
                              .where(ch.account_id == account_id).order_by(ch.seq)).all()
    if not changes or Decimal(changes[-1].after) != 0:
        return None
    for day, before, after, kind in reversed(changes):
        if Decimal(before) > 0 and Decimal(after) == 0:
            return {"date": day, "arr_lost": Decimal(before), "kind": kind}
    return None


def last_day(session: Session, account_id: str) -> date | None:
    """The newest day of the account's stored history."""
    return session.scalar(select(AccountDay.day).where(AccountDay.account_id == account_id)
                          .order_by(AccountDay.day.desc()).limit(1))
