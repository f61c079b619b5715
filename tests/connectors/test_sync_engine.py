"""The sync engine: one transaction per page, resumable state, skipped records, run history."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import func, select

from connectors.base import Connector, Page, Stream
from connectors.errors import AuthError, TransientError
from connectors.settings import Settings, setting
from server import models as m
from server.models import SyncRun
from server.sync import load_state, run_sync


@dataclass(frozen=True)
class FakeSettings(Settings):
    token: str = setting("t", secret=True)


class Boom(Exception):
    pass


class AccountsStream(Stream):
    name = "accounts"
    cursor_field = "n"

    def pages(self, state):
        start = (state or {}).get("next", 0)
        data = self.connector.accounts
        for i in range(start, len(data), 2):
            if self.connector.crash_at == i:
                raise Boom("simulated crash")
            recs = data[i:i + 2]
            yield Page(records=recs, state={"next": i + 2},
                       skipped=[self.skip("v-bad", "no name")] if i == 0 else [])


class DealsStream(Stream):
    name = "deals"
    cursor_field = "n"

    def pages(self, state):
        if self.connector.deals_error:
            raise self.connector.deals_error
        yield Page(records=[
            {"type": "deal", "id": "d1", "account_id": "a0", "kind": "new", "status": "won",
             "amount": "100", "close_date": "2025-01-01", "crm": {"system": "hubspot", "id": "9"}},
            {"type": "deal", "id": "d2", "account_id": "missing", "kind": "new", "status": "won",
             "amount": "5", "close_date": "2025-01-01", "crm": {"system": "hubspot", "id": "10"}},
        ], state={"done": True}, deletions=[("account", "a4"), ("deal", "nope")],
            unmapped={"no company": 3})


class FakeConnector(Connector):
    name = "hubspot"
    settings_class = FakeSettings
    streams = (AccountsStream, DealsStream)

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.accounts = [{"type": "account", "id": f"a{i}", "name": f"Acc {i}"} for i in range(5)]
        self.crash_at = None
        self.deals_error = None

    def check(self):
        pass


def make():
    return FakeConnector(FakeSettings())


def count(store, model):
    with store.sessions() as s:
        return s.scalar(select(func.count()).select_from(model))


def test_full_run_lands_pages_and_reports_counts(store):
    report = run_sync(store, make())
    assert report["status"] == "success"
    acc = report["streams"]["accounts"]
    assert (acc["records"], acc["skipped"], acc["pages"]) == (5, 1, 3)
    assert acc["skipped_samples"] == [{"vendor_id": "v-bad", "reason": "no name"}]
    deals = report["streams"]["deals"]
    # d2 names an account the store does not have: parked (one counter), not skipped
    assert (deals["records"], deals["skipped"], deals["parked"], deals["deleted"],
            deals["unmapped"]) == (1, 0, 1, 1, 3)
    assert deals["skipped_samples"] == []
    assert report["parked"] == {"deal": 1} and report["totals"]["parked_waiting"] == 1
    assert count(store, m.Account) == 4 and count(store, m.Deal) == 1
    assert load_state(store, "hubspot", "accounts") == {"next": 6}


def test_crash_mid_stream_then_rerun_resumes_without_loss_or_duplicates(store):
    conn = make()
    conn.crash_at = 4
    with pytest.raises(Boom):
        run_sync(store, conn, streams=["accounts"])
    assert count(store, m.Account) == 4
    assert load_state(store, "hubspot", "accounts") == {"next": 4}
    with store.sessions() as s:
        failed = s.scalars(select(SyncRun)).one()
        assert failed.status == "failed" and failed.streams["accounts"]["records"] == 4
    report = run_sync(store, make(), streams=["accounts"])
    assert report["streams"]["accounts"]["records"] == 1  # only the page that was not landed
    assert count(store, m.Account) == 5


def test_stream_error_is_recorded_and_other_streams_still_run(store):
    conn = make()
    conn.deals_error = TransientError("vendor down", status=503)
    report = run_sync(store, conn, streams=["deals", "accounts"])
    assert report["status"] == "partial"
    assert report["streams"]["deals"]["status"] == "failed"
    assert report["streams"]["deals"]["errors"][0]["status"] == 503
    assert report["streams"]["accounts"]["status"] == "success"


def test_auth_error_stops_the_run(store):
    conn = make()
    conn.deals_error = AuthError("bad token", status=401)
    report = run_sync(store, conn, streams=["deals", "accounts"])
    assert report["status"] == "failed"
    assert report["streams"]["accounts"]["status"] == "not_run"
    assert count(store, m.Account) == 0


def test_full_ignores_saved_state(store):
    run_sync(store, make(), streams=["accounts"])
    again = run_sync(store, make(), streams=["accounts"])
    assert again["streams"]["accounts"]["records"] == 0
    full = run_sync(store, make(), streams=["accounts"], full=True)
    assert full["streams"]["accounts"]["records"] == 5 and count(store, m.Account) == 5


def test_syncs_api_lists_runs(store, make_app, db_url):
    from server.auth import create_token

    run_sync(store, make())
    app = make_app()
    tok = create_token(app.extensions["account360"].store, "t")
    client = app.test_client()
    assert client.get("/api/v1/syncs").status_code == 401
    resp = client.get("/api/v1/syncs", headers={"Authorization": f"Bearer {tok}"})
    assert resp.status_code == 200
    body = resp.get_json()
    run = body["items"][0]
    assert run["connector"] == "hubspot" and run["status"] == "success"
    assert run["totals"]["records"] == 6 and run["streams"]["deals"]["deleted"] == 1
    assert {s["stream"] for s in body["streams"]} == {"accounts", "deals"}
    one = client.get(f"/api/v1/syncs/{run['id']}", headers={"Authorization": f"Bearer {tok}"})
    assert one.get_json()["id"] == run["id"]
    assert client.get("/api/v1/syncs/999", headers={"Authorization": f"Bearer {tok}"}
                      ).status_code == 404


def test_a_second_sync_of_the_same_connector_is_refused_while_one_runs(store):
    from server.sync import SyncBusyError

    conn = make()
    seen = {}

    class Watching(AccountsStream):
        def pages(self, state):
            with pytest.raises(SyncBusyError, match="already running"):
                run_sync(store, make(), streams=["accounts"])
            seen["refused"] = True
            yield from super().pages(state)

    conn.streams = (Watching, DealsStream)
    assert run_sync(store, conn, streams=["accounts"])["status"] == "success"
    assert seen == {"refused": True}
    assert run_sync(store, make(), streams=["accounts"])["status"] == "success"
