"""A hand-built workspace whose backtest is known (dates relative to today, UTC).

Ten accounts with ARR since T-700, two seats each, renewal far away, no touchpoints:
- C1, C2, C3 churn on T-60, T-80, T-100; both users stop 120 days before (last event C-121);
- K contracts (4000 -> 1000) on T-100; X expands (+500) on T-200;
- R1, R2, R3 stay with both users daily; R4 keeps one user of two; R5 keeps its ARR but its
  users stop on T-126;
- N (new on T-30) is not in the cohort of start T-365.
Period [T-365, T-5], horizon 90: retained/expanded are read on T-95, K on T-190, C on C-90.
"""

from __future__ import annotations

from datetime import date, timedelta

from server.rows.refresh import today

T = today()
START, END, HORIZON = T - timedelta(days=365), T - timedelta(days=5), 90
CHURN = {"C1": 60, "C2": 80, "C3": 100}
ARR = {"C1": 1000, "C2": 2000, "C3": 3000, "K": 4000, "X": 1000, "R1": 1000, "R2": 1000,
       "R3": 1000, "R4": 5000, "R5": 10000}
FIRST_EVENT = 300       # events from T-300 on


def day(n: int) -> date:
    return T - timedelta(days=n)


def _events(acc: str, users: list[str], last_ago: int) -> list[dict]:
    return [{"type": "event", "account_id": acc, "user_id": u, "name": "report",
             "time": f"{day(n)}T10:00:00Z"}
            for n in range(FIRST_EVENT, last_ago - 1, -1) for u in users]


def records() -> list[dict]:
    out: list[dict] = []
    for acc, arr in [*ARR.items(), ("N", 700)]:
        out.append({"type": "account", "id": acc, "name": f"Account {acc}", "seats": 2,
                    "renewal_date": str(T + timedelta(days=400))})
        out.append({"type": "deal", "id": f"{acc}-new", "account_id": acc, "kind": "new",
                    "status": "won", "amount": arr,
                    "close_date": str(day(30 if acc == "N" else 700))})
    for acc, ago in CHURN.items():
        out.append({"type": "deal", "id": f"{acc}-churn", "account_id": acc, "kind": "churn",
                    "status": "won", "amount": ARR[acc], "close_date": str(day(ago))})
        out += _events(acc, ["u1", "u2"], ago + 121)
    out.append({"type": "deal", "id": "K-down", "account_id": "K", "kind": "contraction",
                "status": "won", "amount": 3000, "close_date": str(day(100))})
    out.append({"type": "deal", "id": "X-up", "account_id": "X", "kind": "expansion",
                "status": "won", "amount": 500, "close_date": str(day(200))})
    for acc in ("K", "X", "R1", "R2", "R3", "N"):
        out += _events(acc, ["u1", "u2"], 5)
    out += _events("R4", ["u1"], 5)
    out += _events("R5", ["u1", "u2"], 126)
    return out
