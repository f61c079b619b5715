"""Tasks created through the API are written back to HubSpot; failures are kept and retried."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from server import models as m
from server.services.writeback import run_writeback
from server.sync import run_sync
from tests.connectors.hubspot_portal import ACME, seed


@pytest.fixture
def synced(app, hubspot_fake, hubspot):
    seed(hubspot_fake)
    store = app.extensions["account360"].store
    run_sync(store, hubspot())
    return store


def new_task(client, auth, account=f"hubspot-{ACME}", **body):
    resp = client.post(f"/api/v1/accounts/{account}/tasks", headers=auth,
                       json={"subject": "Send renewal quote", "due_date": "2025-08-01",
                             "owner": "dana@vendor.example", "note": "Include the SSO add-on",
                             **body})
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()["id"]


def task_row(store, task_id):
    with store.sessions() as s:
        return s.get(m.Task, task_id)


def test_api_task_is_created_in_hubspot_on_the_company(synced, client, auth, hubspot_fake,
                                                        hubspot):
    task_id = new_task(client, auth)
    assert task_row(synced, task_id).crm_sync_status is None
    result = run_writeback(synced, hubspot())
    assert (result["attempted"], result["synced"], result["failed"]) == (1, 1, 0)
    row = task_row(synced, task_id)
    assert (row.crm_system, row.crm_sync_status, row.crm_sync_attempts) == ("hubspot", "synced", 1)
    created = hubspot_fake.coll("tasks").get(row.crm_id)
    assert created.properties["hs_task_subject"] == "Send renewal quote"
    assert created.properties["hs_task_body"] == "Include the SSO add-on"
    assert created.properties["hs_task_status"] == "NOT_STARTED"
    assert created.properties["hubspot_owner_id"] == "64492917"
    assert created.properties["hs_timestamp"] == "1754038800000"  # 2025-08-01 09:00 UTC
    assert created.assoc["companies"][0][0] == ACME
    body = hubspot_fake.requests("POST", r"/crm/v3/objects/tasks$")[0]["body"]
    assert body["associations"] == [{"to": {"id": ACME}, "types": [
        {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 192}]}]
    listed = client.get(f"/api/v1/accounts/hubspot-{ACME}/tasks", headers=auth).get_json()
    mine = next(t for t in listed["items"] if t["id"] == task_id)
    assert mine["crm_sync"] == {"system": "hubspot", "id": row.crm_id, "status": "synced",
                                "error": None, "attempts": 1}
    # Nothing is written twice, and the next sync maps the HubSpot task onto the same row.
    assert run_writeback(synced, hubspot())["attempted"] == 0
    report = run_sync(synced, hubspot(), streams=["tasks"])
    assert report["streams"]["tasks"]["records"] == 1
    with synced.sessions() as s:
        assert s.scalar(select(func.count()).select_from(m.Task)) == 2
    assert task_row(synced, task_id).crm_id == row.crm_id


def test_failed_write_back_is_recorded_then_retried(synced, client, auth, hubspot_fake, hubspot):
    task_id = new_task(client, auth)
    hubspot_fake.fail("POST", r"/crm/v3/objects/tasks$", 400,
                      {"status": "error", "message": "Property values were not valid",
                       "correlationId": "aeb5f871-7f07-4993-9211-075dc63e7cbf",
                       "category": "VALIDATION_ERROR"})
    result = run_writeback(synced, hubspot())
    assert (result["synced"], result["failed"]) == (0, 1)
    row = task_row(synced, task_id)
    assert (row.crm_sync_status, row.crm_id, row.crm_sync_attempts) == ("failed", None, 1)
    assert "Property values were not valid" in row.crm_sync_error
    listed = client.get(f"/api/v1/accounts/hubspot-{ACME}/tasks", headers=auth).get_json()
    assert next(t for t in listed["items"] if t["id"] == task_id)["crm_sync"]["status"] == "failed"
    # a 503 on a create is not retried within the run: the task may have been created
    hubspot_fake.fail("POST", r"/crm/v3/objects/tasks$", 503, times=6)
    assert run_writeback(synced, hubspot())["failed"] == 1
    hubspot_fake.faults.clear()
    assert task_row(synced, task_id).crm_sync_attempts == 2
    result = run_writeback(synced, hubspot())
    assert result["synced"] == 1
    row = task_row(synced, task_id)
    assert (row.crm_sync_status, row.crm_sync_error, row.crm_sync_attempts) == ("synced", None, 3)
    assert len(hubspot_fake.coll("tasks").objs) == 2


def test_tasks_of_unlinked_accounts_stay_local(synced, client, auth, load, hubspot):
    load([{"type": "account", "id": "local-1", "name": "Local only"}])
    task_id = new_task(client, auth, account="local-1")
    assert run_writeback(synced, hubspot())["attempted"] == 0
    assert task_row(synced, task_id).crm_sync_status is None


def test_cli_sync_runs_the_write_back_and_writeback_command(synced, client, auth, hubspot_fake,
                                                             db_url, tmp_path):
    from server.cli import main

    env = {"ACCOUNT360_DATABASE_URL": db_url, "ACCOUNT360_DATA_DIR": str(tmp_path / "d"),
           "HUBSPOT_ACCESS_TOKEN": "pat-test-token", "HUBSPOT_BASE_URL": hubspot_fake.url,
           "HUBSPOT_SEARCH_LAG_SECONDS": "0"}
    first = new_task(client, auth)
    hubspot_fake.fail("POST", r"/crm/v3/objects/tasks$", 403,
                      {"status": "error", "message": "This app hasn't been granted all required "
                       "scopes", "correlationId": "x", "category": "MISSING_SCOPES"})
    result = CliRunner().invoke(main, ["sync", "hubspot"], env=env)
    assert result.exit_code == 1, result.output
    assert "hubspot: run" in result.output and "success" in result.output
    assert "write-back 0 tasks created, 1 failed" in result.output
    assert "required scopes" in result.output
    result = CliRunner().invoke(main, ["writeback"], env=env)
    assert result.exit_code == 0, result.output
    assert "write-back 1 tasks created, 0 failed" in result.output
    assert task_row(synced, first).crm_sync_status == "synced"
    result = CliRunner().invoke(main, ["check", "hubspot"], env=env)
    assert result.exit_code == 0 and "hubspot: ok" in result.output
    bad = CliRunner().invoke(main, ["check", "hubspot"], env={**env, "HUBSPOT_ACCESS_TOKEN": "x"})
    assert bad.exit_code == 1 and "not authorised" in bad.output


@pytest.mark.parametrize("delay,status", [(0.0, 504), (1.5, 200)])
def test_a_create_whose_answer_is_lost_is_not_sent_twice(synced, client, auth, hubspot_fake,
                                                         hubspot, delay, status):
    """HubSpot creates the task but the answer is a 504 or never comes (read timeout): the
    create is not re-sent in the run, and the next run finds the task instead of making a
    second one."""
    task_id = new_task(client, auth, due_date=None)
    before = len(hubspot_fake.coll("tasks").objs)
    hubspot_fake.lose_answer("POST", r"/crm/v3/objects/tasks$", status=status, delay=delay)
    conn = hubspot(timeout=0.5)
    result = run_writeback(synced, conn)
    assert result["failed"] == 1 and conn.sleeps == []
    assert len(hubspot_fake.requests("POST", r"/crm/v3/objects/tasks$")) == 1
    assert len(hubspot_fake.coll("tasks").objs) == before + 1
    result = run_writeback(synced, hubspot())
    assert result["synced"] == 1
    assert len(hubspot_fake.coll("tasks").objs) == before + 1
    assert len(hubspot_fake.requests("POST", r"/crm/v3/objects/tasks$")) == 1
    row = task_row(synced, task_id)
    assert row.crm_sync_status == "synced" and row.crm_sync_attempts == 2
    (made,) = [o for o in hubspot_fake.coll("tasks").objs.values()
               if o.properties.get("hs_task_subject") == "Send renewal quote"
               and o.id == row.crm_id]
    assert made.assoc["companies"][0][0] == ACME


def test_a_create_that_never_connected_is_retried(synced, client, auth, hubspot):
    """A refused connection proves HubSpot never got the create: it is sent again."""
    from connectors.errors import TransientError
    from connectors.http import Retrier

    calls = []

    def attempt():
        calls.append(1)
        if len(calls) == 1:
            import urllib3

            raise TransientError("refused", unsent=True) from urllib3.exceptions.NewConnectionError(
                None, "refused")
        return "ok"

    r = Retrier("hubspot", sleep=lambda s: None)
    assert r.call(attempt, idempotent=False) == "ok" and len(calls) == 2
    calls.clear()

    def ambiguous():
        calls.append(1)
        raise TransientError("timed out")

    with pytest.raises(TransientError):
        r.call(ambiguous, idempotent=False)
    assert len(calls) == 1
