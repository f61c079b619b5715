"""The refresh reads only the records a figure of its day reads, and gives the same figures."""

from __future__ import annotations

import gc
import threading
from datetime import datetime, timedelta, timezone

from server.rows.refresh import gc_paused
from tests.server.rows_helpers import fresh_rows, stored_rows

T = datetime.now(timezone.utc).date()


def at(days: int, clock: str = "00:00:00") -> str:
    return f"{T - timedelta(days=days)}T{clock}Z"


def tickets() -> list[dict]:
    """Tickets on both sides of the 90-day edge (the first day of the windows is T - 89),
    closed and open, solved before, inside and after the windows."""
    out, n = [], 0
    for created in (200, 120, 91, 90, 89, 30, 0):
        for clock in ("00:00:00", "23:59:59"):
            for status, solved in (("solved", None), ("closed", 95), ("solved", 90),
                                   ("solved", 89), ("open", None), ("pending", 100),
                                   ("closed", None)):
                if solved is not None and solved > created:
                    continue
                n += 1
                rec = {"type": "ticket", "id": f"k{n}", "account_id": "acc0",
                       "status": status, "priority": ["low", "urgent", "high"][n % 3],
                       "created_at": at(created, clock),
                       "first_response_at": at(created, "23:59:59"),
                       "satisfaction": ["good", "bad"][n % 2]}
                if solved is not None:
                    rec["solved_at"] = at(solved, clock)
                out.append(rec)
    return out


def touchpoints() -> list[dict]:
    """acc0: touches inside the 90-day window (T - 89 to T), on its edges and after T;
    acc1: only older ones, three of them (two kinds) on its latest day; acc2: none."""
    days = {"acc0": (-3, 0, 1, 89, 90, 91, 300), "acc1": (95, 95, 95, 120, 400)}
    kinds = ["qbr", "call", "email", "meeting"]
    return [{"type": "touchpoint", "account_id": acc, "date": (T - timedelta(days=n)).isoformat(),
             "kind": kinds[i % 4]} for acc, ns in days.items() for i, n in enumerate(ns)]


WORKSPACE = [{"type": "account", "id": f"acc{i}", "name": f"Acme {i}", "seats": 5}
             for i in range(3)]


def test_recent_records_give_the_figures_of_every_record(app, load):
    from server import metrics as mx
    from server.services.facts import load_facts

    load(WORKSPACE + tickets() + touchpoints())
    st = app.extensions["account360"]
    cfg = st.settings.metrics
    ids = ["acc0", "acc1", "acc2"]
    with st.store.sessions() as s:
        _, every = load_facts(s, ids, T, cfg.first_value_event)
        _, recent = load_facts(s, ids, T, cfg.first_value_event, recent=True)
    kept = {k.id for k in recent["acc0"].tickets}
    assert len(kept) < len(every["acc0"].tickets)      # the old closed tickets are left out
    assert [k for k in every["acc0"].tickets if k.id in kept] == \
        list(recent["acc0"].tickets)                   # the same order
    assert len(recent["acc0"].touchpoints) == 3 < len(every["acc0"].touchpoints)
    assert len(recent["acc1"].touchpoints) == 3 and not recent["acc2"].touchpoints
    for acc in ids:
        full = mx.account_metrics(every[acc], cfg, T).to_dict()
        assert full == mx.account_metrics(recent[acc], cfg, T).to_dict()
    full = mx.account_metrics(every["acc0"], cfg, T).to_dict()
    assert full["support"]["open_total"] > 0 and full["support"]["resolution_count"] > 0
    assert full["relationship"]["touchpoints_90d"] == 3
    assert mx.account_metrics(every["acc1"], cfg, T).to_dict()[
        "relationship"]["days_since_last_touchpoint"] == 95
    for days in (1, 45, 89, 92):    # an earlier day needs its own load: only its records
        day = T - timedelta(days=days)
        with st.store.sessions() as s:
            _, every = load_facts(s, ids, day, cfg.first_value_event)
            _, recent = load_facts(s, ids, day, cfg.first_value_event, recent=True)
        for acc in ids:
            assert mx.account_metrics(every[acc], cfg, day).to_dict() == \
                mx.account_metrics(recent[acc], cfg, day).to_dict()


def test_the_rows_of_recent_records_equal_a_fresh_computation(app, load, client, auth):
    load(WORKSPACE + tickets() + touchpoints())
    st = app.extensions["account360"]
    with st.store.sessions() as s:
        got, want = stored_rows(s), fresh_rows(s, st.settings, T)
    assert got == want
    body = client.get("/api/v1/accounts/acc0/360", headers=auth).get_json()
    assert got["acc0"]["open_tickets"] == body["support"]["open_by_priority"]
    assert got["acc0"]["signals"] == body["signals"]
    assert got["acc1"]["days_since_last_touchpoint"] == 95


def test_gc_pause_is_shared_and_restored():
    assert gc.isenabled()
    started, release = threading.Event(), threading.Event()

    def other():
        with gc_paused():
            started.set()
            release.wait(5)

    t = threading.Thread(target=other)
    t.start()
    started.wait(5)
    with gc_paused():
        assert not gc.isenabled()
    assert not gc.isenabled()       # the other refresh still runs
    release.set()
    t.join(5)
    assert gc.isenabled()
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()   # left as it was found
    finally:
        gc.enable()
