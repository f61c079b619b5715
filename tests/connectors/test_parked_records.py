"""Parked records: a HubSpot deal or ticket whose company is not in the store yet waits and
lands when the company does, in the same run or a later one, with the count visible."""

from __future__ import annotations

import time
from decimal import Decimal

from server import models as m
from server.ingest import load_records
from server.sync import run_sync
from tests.connectors.hubspot_portal import MIN, OWNERS, PIPELINES, T0

ACME, LATE = "18544961421", "18544961499"


def portal(fake) -> None:
    fake.owners, fake.pipelines = OWNERS, PIPELINES
    fake.add("companies", ACME, {"name": "Acme", "domain": "acme.io"}, modified=T0)
    fake.add("deals", 801, {"dealname": "Late renewal", "amount": "30000", "dealstage": "101",
                            "pipeline": "7788", "dealtype": "renewal",
                            "closedate": "2025-09-01T00:00:00Z"},
             modified=T0 + MIN, companies=[LATE])
    fake.add("deals", 802, {"dealname": "Acme annual", "amount": "48000",
                            "dealstage": "closedwon", "dealtype": "newbusiness",
                            "pipeline": "default", "closedate": "2025-01-15T00:00:00Z"},
             modified=T0 + 2 * MIN, companies=[ACME])
    fake.add("deals", 803, {"dealname": "No company", "amount": "5", "dealstage": "closedwon",
                            "pipeline": "default", "closedate": "2025-03-01"},
             modified=T0 + 3 * MIN)
    fake.add("tickets", 901, {"subject": "Login fails", "hs_pipeline": "0",
                              "hs_pipeline_stage": "1", "hs_ticket_priority": "HIGH",
                              "createdate": "2025-07-02T14:00:00.000Z"},
             modified=T0 + 4 * MIN, companies=[LATE])


def get(store, model, key):
    with store.sessions() as s:
        return s.get(model, key)


def parked_rows(store):
    with store.sessions() as s:
        return sorted((p.record_type, p.record_id, p.parent_id)
                      for p in s.query(m.ParkedRecord))


def test_parked_until_the_company_lands_in_a_later_run(store, hubspot_fake, hubspot, make_app):
    portal(hubspot_fake)
    report = run_sync(store, hubspot())
    st = report["streams"]
    # 801 and 901 name a company the store does not have: parked; 803 has no company: unmapped
    assert (st["deals"]["records"], st["deals"]["parked"], st["deals"]["skipped"],
            st["deals"]["unmapped"]) == (1, 1, 0, 1)
    assert st["deals"]["unmapped_keys"] == {"no company association": 1}
    assert (st["tickets"]["records"], st["tickets"]["parked"]) == (0, 1)
    assert report["status"] == "success"
    assert report["parked"] == {"deal": 1, "ticket": 1}
    assert report["totals"]["parked"] == 2 and report["totals"]["parked_waiting"] == 2
    assert parked_rows(store) == [("deal", "hubspot-801", f"hubspot-{LATE}"),
                                  ("ticket", "hubspot-901", f"hubspot-{LATE}")]
    assert get(store, m.Deal, "hubspot-801") is None

    # the cursor moved on, the deal changed meanwhile: the newer version replaces the parked one
    hubspot_fake.touch("deals", 801, T0 + 10 * MIN, amount="31000")
    report = run_sync(store, hubspot(), streams=["deals"])
    assert report["streams"]["deals"]["parked"] == 1 and report["parked"] == {"deal": 1,
                                                                            "ticket": 1}

    # the syncs API shows what waits
    from server.auth import create_token
    app = make_app()
    tok = create_token(app.extensions["account360"].store, "t")
    body = app.test_client().get("/api/v1/syncs", headers={"Authorization": f"Bearer {tok}"}
                                 ).get_json()
    assert body["parked"] == {"hubspot": {"deal": 1, "ticket": 1}}
    assert body["items"][0]["totals"]["parked_waiting"] == 2

    # the company arrives at HubSpot: the next run lands it, and the parked records with it
    hubspot_fake.add("companies", LATE, {"name": "Late Co", "domain": "late.example"},
                     modified=T0 + 20 * MIN)
    report = run_sync(store, hubspot())
    comp = report["streams"]["companies"]
    assert (comp["records"], comp["unparked"]) == (3, 2)  # the company, then deal and ticket
    assert comp["by_type"] == {"account": 1, "deal": 1, "ticket": 1}
    assert report["parked"] == {} and report["totals"]["parked_waiting"] == 0
    assert parked_rows(store) == []
    deal = get(store, m.Deal, "hubspot-801")
    assert (deal.account_id, deal.amount, deal.status, deal.kind) == (
        f"hubspot-{LATE}", Decimal("31000.00"), "open", "renewal")
    assert get(store, m.Ticket, "hubspot-901").account_id == f"hubspot-{LATE}"
    body = app.test_client().get("/api/v1/syncs", headers={"Authorization": f"Bearer {tok}"}
                                 ).get_json()
    assert body["parked"] == {}


def test_parked_records_land_in_the_same_run_when_the_company_comes_later(
        store, hubspot_fake, hubspot):
    portal(hubspot_fake)
    hubspot_fake.add("companies", LATE, {"name": "Late Co"}, modified=T0 + 20 * MIN)
    report = run_sync(store, hubspot(), streams=["deals", "tickets", "companies"])
    st = report["streams"]
    # no company was in the store when deals ran: 801 and 802 wait, then both land
    assert (st["deals"]["parked"], st["tickets"]["parked"], st["companies"]["unparked"]) == (
        2, 1, 3)
    assert st["companies"]["by_type"] == {"account": 2, "deal": 2, "ticket": 1}
    assert report["parked"] == {} and parked_rows(store) == []
    assert get(store, m.Deal, "hubspot-801").account_id == f"hubspot-{LATE}"


def test_a_company_loaded_another_way_releases_the_parked_records(store, hubspot_fake,
                                                                  hubspot):
    portal(hubspot_fake)
    run_sync(store, hubspot(), streams=["deals", "tickets"])
    assert len(parked_rows(store)) == 3  # 801, 901 (Late Co) and 802 (Acme): no company yet
    with store.session() as s:
        load_records(s, [{"type": "account", "id": f"hubspot-{LATE}", "name": "Late Co"}])
    report = run_sync(store, hubspot(), streams=["tickets"])  # nothing new at HubSpot
    t = report["streams"]["tickets"]
    assert (t["unparked"], t["by_type"]) == (2, {"deal": 1, "ticket": 1})
    assert report["parked"] == {"deal": 1}
    assert parked_rows(store) == [("deal", "hubspot-802", f"hubspot-{ACME}")]
    assert get(store, m.Deal, "hubspot-801").account_id == f"hubspot-{LATE}"


def test_a_record_deleted_at_the_vendor_leaves_the_park(store, hubspot_fake, hubspot):
    portal(hubspot_fake)
    run_sync(store, hubspot())
    hubspot_fake.archive("deals", 801, int(time.time() * 1000))
    report = run_sync(store, hubspot(), streams=["deals"])
    assert report["parked"] == {"ticket": 1}
    assert parked_rows(store) == [("ticket", "hubspot-901", f"hubspot-{LATE}")]


def test_a_company_imported_under_another_id_releases_the_parked_records(store, hubspot_fake,
                                                                         hubspot):
    """The deal waits for `hubspot-<LATE>`; the company arrives through an import as
    `late-co`, linked by its HubSpot company id: the next run lands the deal on `late-co`."""
    portal(hubspot_fake)
    run_sync(store, hubspot(), streams=["deals", "tickets"])
    with store.session() as s:
        load_records(s, [{"type": "account", "id": "late-co", "name": "Late Co",
                          "crm": {"system": "hubspot", "id": LATE}}])
    report = run_sync(store, hubspot(), streams=["tickets"])  # nothing new at HubSpot
    t = report["streams"]["tickets"]
    assert (t["unparked"], t["by_type"]) == (2, {"deal": 1, "ticket": 1})
    assert report["parked"] == {"deal": 1}  # 802 still waits for Acme
    deal = get(store, m.Deal, "hubspot-801")
    assert (deal.account_id, deal.amount) == ("late-co", Decimal("30000.00"))
    assert get(store, m.Ticket, "hubspot-901").account_id == "late-co"
    assert get(store, m.Account, f"hubspot-{LATE}") is None
    with store.sessions() as s:  # the deal's own link points at the imported account too
        assert s.get(m.CrmLink, ("hubspot", "801")).account_id == "late-co"


def test_a_company_synced_after_its_import_releases_the_parked_records(store, hubspot_fake,
                                                                       hubspot):
    """Record first, then the company imported with its link, then the company read from
    HubSpot: it updates the imported account, and the parked deal and ticket land on it."""
    portal(hubspot_fake)
    run_sync(store, hubspot(), streams=["deals", "tickets"])
    with store.session() as s:
        load_records(s, [{"type": "account", "id": "late-co", "name": "Late (imported)",
                          "crm": {"system": "hubspot", "id": LATE}}])
    hubspot_fake.add("companies", LATE, {"name": "Late Co", "domain": "late.example"},
                     modified=T0 + 20 * MIN)
    report = run_sync(store, hubspot(), streams=["companies"])
    comp = report["streams"]["companies"]
    # Acme lands as hubspot-<ACME> and takes 802; Late Co updates late-co and takes 801, 901
    assert (comp["unparked"], comp["by_type"]) == (3, {"account": 2, "deal": 2, "ticket": 1})
    assert report["parked"] == {} and parked_rows(store) == []
    assert get(store, m.Account, "late-co").name == "Late Co"
    assert get(store, m.Account, f"hubspot-{LATE}") is None
    assert get(store, m.Deal, "hubspot-801").account_id == "late-co"
    assert get(store, m.Deal, "hubspot-802").account_id == f"hubspot-{ACME}"
    assert get(store, m.Ticket, "hubspot-901").account_id == "late-co"
