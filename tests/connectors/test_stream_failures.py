"""One failing stream never stops the others; error texts name the vendor, the object and
the endpoint; a truncated answer is retried like a 5xx (HubSpot over real HTTP)."""

from __future__ import annotations

from sqlalchemy import func, select

from server import models as m
from server.sync import load_state, run_sync
from server.sync.engine import run_status
from tests.connectors.fake_hubspot_store import cut_answer
from tests.connectors.hubspot_portal import seed

#: HubSpot's answer to a call the app has no scope for (category MISSING_SCOPES).
MISSING_DEALS_SCOPE = {
    "status": "error",
    "message": "This app hasn't been granted all required scopes to make this call. Read more "
               "about required scopes here: https://developers.hubspot.com/scopes.",
    "correlationId": "0b6e2a9c-54f7-4f0c-9a57-2d3c5e1f7a10",
    "errors": [{"message": "One or more of the following scopes are required.",
                "context": {"requiredGranularScopes": ["crm.objects.deals.read"]}}],
    "links": {"scopes": "https://developers.hubspot.com/scopes"},
    "category": "MISSING_SCOPES"}


def count(store, model):
    with store.sessions() as s:
        return s.scalar(select(func.count()).select_from(model))


def test_a_403_on_deals_leaves_every_other_stream_running(store, hubspot_fake, hubspot):
    seed(hubspot_fake)
    hubspot_fake.fail("POST", r"/deals/search$", 403, MISSING_DEALS_SCOPE, times=99)
    report = run_sync(store, hubspot())
    st = report["streams"]
    assert report["status"] == "partial"
    assert {k: (v["status"], v["records"]) for k, v in st.items()} == {
        "companies": ("success", 3), "contacts": ("success", 3), "deals": ("failed", 0),
        "tickets": ("success", 2), "tasks": ("success", 1), "calls": ("success", 1),
        "meetings": ("success", 1), "emails": ("success", 1),
        "notes": ("success", 0)}
    err = st["deals"]["errors"][0]
    assert (err["type"], err["status"], err["object"], err["endpoint"]) == (
        "AuthError", 403, "deals", "POST /crm/v3/objects/deals/search")
    assert err["missing_scopes"] == ["crm.objects.deals.read"]
    assert err["text"] == (
        "HubSpot deals: 403 not authorised: missing scope crm.objects.deals.read: This app "
        "hasn't been granted all required scopes to make this call. Read more about required "
        "scopes here: https://developers.hubspot.com/scopes. "
        "(POST /crm/v3/objects/deals/search)")
    assert report["error"] == f"deals: {err['text']}"
    assert hubspot_fake.requests("POST", r"/deals/search$").__len__() == 1  # a 403 is final
    assert count(store, m.Deal) == 0 and count(store, m.Ticket) == 2
    assert load_state(store, "hubspot", "deals") is None  # the next run reads deals whole


def test_a_401_still_stops_the_run_and_the_run_failed_only_when_nothing_landed(
        store, hubspot_fake, hubspot):
    seed(hubspot_fake)
    hubspot_fake.fail("POST", r"/contacts/search$", 401, {
        "status": "error", "message": "Authentication credentials not found.",
        "category": "INVALID_AUTHENTICATION"})
    report = run_sync(store, hubspot())
    st = report["streams"]
    assert (st["companies"]["status"], st["contacts"]["status"], st["deals"]["status"]) == (
        "success", "failed", "not_run")
    assert report["status"] == "partial"  # the companies landed
    assert report["error"] == ("HubSpot contacts: 401 not authorised: Authentication "
                               "credentials not found. (POST /crm/v3/objects/contacts/search)")


def test_run_status_follows_what_landed():
    def c(status, records=0, deleted=0):
        return {"status": status, "records": records, "deleted": deleted}

    assert run_status({"a": c("success"), "b": c("success")}) == "success"
    assert run_status({"a": c("failed"), "b": c("not_run")}) == "failed"
    assert run_status({"a": c("failed"), "b": c("success")}) == "partial"
    assert run_status({"a": c("failed", records=2)}) == "partial"  # pages landed, then it broke
    assert run_status({"a": c("failed", deleted=1)}) == "partial"
    assert run_status({"a": c("partial")}) == "partial"


def test_a_truncated_answer_is_retried_like_a_5xx(store, hubspot_fake, hubspot):
    seed(hubspot_fake)
    # the body stops half way although Content-Length announced all of it
    cut_answer(hubspot_fake, "POST", r"/companies/search$")
    # a JSON document cut short (the length matches what is sent)
    cut_answer(hubspot_fake, "POST", r"/contacts/search$", honest_length=True)
    conn = hubspot()
    conn.client.retrier.jitter = lambda: 1.0
    report = run_sync(store, conn, streams=["companies", "contacts"])
    assert report["status"] == "success"
    assert conn.sleeps == [0.5, 0.5]  # one backoff per broken answer
    assert count(store, m.Account) == 3 and count(store, m.Contact) == 3


def test_a_search_that_keeps_breaking_off_fails_its_stream_with_the_endpoint(
        store, hubspot_fake, hubspot):
    seed(hubspot_fake)
    cut_answer(hubspot_fake, "POST", r"/tickets/search$", honest_length=True, times=99)
    report = run_sync(store, hubspot(max_retries=2), streams=["companies", "tickets"])
    err = report["streams"]["tickets"]["errors"][0]
    assert report["status"] == "partial"
    assert err["type"] == "TransientError" and err["text"] == (
        "HubSpot tickets: the answer broke off (truncated JSON) "
        "(POST /crm/v3/objects/tickets/search)")
    assert len(hubspot_fake.requests("POST", r"/tickets/search$")) == 3  # 1 + 2 retries
