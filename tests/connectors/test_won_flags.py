"""The vendors' own closed/won flags decide a deal's status over the stage mapping."""

from __future__ import annotations


from connectors.hubspot.normalise import flag_status
from connectors.salesforce.normalise import opportunity_status
from server import models as m
from server.sync import run_sync
from tests.connectors.hubspot_portal import ACME, MIN, OWNERS, PIPELINES, T0


def portal(fake) -> None:
    fake.owners, fake.pipelines = OWNERS, PIPELINES
    fake.add("companies", ACME, {"name": "Acme", "domain": "acme.io"}, modified=T0)

    def deal(oid, minute, **props):
        fake.add("deals", oid, {"pipeline": "default", **props}, modified=T0 + minute * MIN,
                 companies=[ACME])

    deal(701, 1, dealname="Annual", amount="48000", dealstage="closedwon",
         dealtype="newbusiness", closedate="2025-01-15T00:00:00Z", hs_is_closed_won="true",
         hs_is_closed="true")
    # won by its flags although it sits in a stage the pipeline calls open
    deal(702, 2, dealname="Seats", amount="12000", dealstage="contractsent",
         dealtype="existingbusiness", closedate="2025-05-01T00:00:00Z",
         hs_is_closed_won="true", hs_is_closed="true")
    # closed and not won: lost, though its stage is open
    deal(703, 3, dealname="Add-on", amount="9000", dealstage="appointmentscheduled",
         dealtype="existingbusiness", closedate="2025-05-20T00:00:00Z",
         hs_is_closed_won="false", hs_is_closed="true")
    # reopened: the flags say open although the stage id reads closedwon
    deal(704, 4, dealname="Upsell", amount="5000", dealstage="closedwon",
         dealtype="newbusiness", closedate="2025-09-30T00:00:00Z", hs_is_closed_won="false",
         hs_is_closed="false")
    # no flags at all (an older export): the stage mapping decides
    deal(705, 5, dealname="Old", amount="3000", dealstage="closedlost",
         dealtype="existingbusiness", closedate="2025-02-01T00:00:00Z")


def test_hubspot_flags_decide_won_and_lost_and_so_the_arr(hubspot_fake, hubspot, app, client,
                                                          auth):
    portal(hubspot_fake)
    store = app.extensions["account360"].store
    report = run_sync(store, hubspot(), streams=["companies", "deals"])
    assert report["status"] == "success"
    with store.sessions() as s:
        got = {d.id: (d.status, d.stage) for d in s.query(m.Deal)}
    assert got == {"hubspot-701": ("won", "Closed Won"), "hubspot-702": ("won", "Contract Sent"),
                   "hubspot-703": ("lost", "Appointment Scheduled"),
                   "hubspot-704": ("open", "Closed Won"), "hubspot-705": ("lost", "Closed Lost")}
    search = hubspot_fake.requests("POST", r"/deals/search$")[0]["body"]
    assert {"hs_is_closed_won", "hs_is_closed", "hs_is_closed_lost"} <= set(search["properties"])
    body = client.get(f"/api/v1/accounts/hubspot-{ACME}/360?as_of=2025-07-10",
                      headers=auth).get_json()
    # 48000 (new, won) + 12000 (expansion won by its flags); 703 and 705 lost: no effect
    assert body["revenue"]["arr"] == 60000
    # the open upsell typed "new business" on this customer is its pipeline
    assert [(p["id"], p["kind"], p["amount"]) for p in body["revenue"]["pipeline"]] == [
        ("hubspot-704", "new", 5000)]


def test_hubspot_flag_status_table():
    assert flag_status({"hs_is_closed_won": "true", "hs_is_closed": "true"}) == "won"
    assert flag_status({"hs_is_closed_won": "false", "hs_is_closed": "true"}) == "lost"
    assert flag_status({"hs_is_closed_won": "false", "hs_is_closed": "false"}) == "open"
    assert flag_status({"hs_is_closed_lost": "true"}) == "lost"
    assert flag_status({"hs_is_closed_won": "false"}) is None  # not won: open or lost?
    assert flag_status({"hs_is_closed_won": None, "hs_is_closed": ""}) is None
    assert flag_status({}) is None


def test_salesforce_iswon_isclosed_over_the_stage_name():
    assert opportunity_status({"IsWon": True, "IsClosed": True, "StageName": "Negotiation"}) \
        == "won"
    assert opportunity_status({"IsWon": False, "IsClosed": True, "StageName": "Closed Won"}) \
        == "lost"
    assert opportunity_status({"IsWon": "false", "IsClosed": "false",
                               "StageName": "Closed Won"}) == "open"   # Bulk API strings
    assert opportunity_status({"IsWon": "true", "IsClosed": "true"}) == "won"
    # neither flag in the record: the stage name is the fallback
    assert opportunity_status({"StageName": "Closed Won"}) == "won"
    assert opportunity_status({"StageName": "Closed Lost"}) == "lost"
    assert opportunity_status({"StageName": "Prospecting"}) == "open"


def test_hubspot_company_lifecycle_stage_revenue_and_employees_land(store, hubspot_fake,
                                                                    hubspot):
    hubspot_fake.add("companies", ACME, {"name": "Acme", "domain": "acme.io",
                                         "lifecyclestage": "customer",
                                         "total_revenue": "84000", "numberofemployees": "240"},
                     modified=T0)
    hubspot_fake.add("companies", 18544961430, {"name": "Bare", "numberofemployees": "12.5",
                                                "total_revenue": ""}, modified=T0 + MIN)
    run_sync(store, hubspot(), streams=["companies"])
    with store.sessions() as s:
        acme = s.get(m.Account, f"hubspot-{ACME}").attributes
        bare = s.get(m.Account, "hubspot-18544961430").attributes
    assert {k: acme.get(k) for k in ("lifecycle_stage", "total_revenue", "employees")} == {
        "lifecycle_stage": "customer", "total_revenue": "84000.00", "employees": 240}
    assert not {"lifecycle_stage", "total_revenue", "employees"} & set(bare)
    search = hubspot_fake.requests("POST", r"/companies/search$")[0]["body"]
    assert {"lifecyclestage", "total_revenue", "numberofemployees"} <= set(search["properties"])
