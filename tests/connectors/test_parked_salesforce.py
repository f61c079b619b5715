"""Salesforce records parked for an Account that arrives through an import under another id
(linked by its 15-character Account id) land on the imported account."""

from __future__ import annotations

from sqlalchemy import select

from server import models as m
from server.ingest import load_records
from server.sync import run_sync
from tests.connectors.salesforce_org import ACME
from tests.connectors.test_salesforce import org, salesforce  # noqa: F401 (fixtures)


def deals_of(store, account_id):
    with store.sessions() as s:
        return sorted(s.scalars(select(m.Deal.id).where(m.Deal.account_id == account_id)))


def test_opportunities_parked_for_an_account_imported_under_another_id(store, org, salesforce):
    report = run_sync(store, salesforce(), streams=["opportunities"])
    waiting = report["parked"]["deal"]
    assert waiting >= 3 and deals_of(store, f"salesforce-{ACME}") == []
    with store.session() as s:
        load_records(s, [{"type": "account", "id": "acme-imported", "name": "Acme",
                          "crm": {"system": "salesforce", "id": ACME[:15]}}])
    report = run_sync(store, salesforce(), streams=["contacts"])
    landed = deals_of(store, "acme-imported")
    assert report["streams"]["contacts"]["unparked"] == len(landed) >= 3
    assert "salesforce-0065g00000XyZ15AAF" in landed
    assert report["parked"].get("deal", 0) == waiting - len(landed)
    # a contact read after the import lands on the imported account directly (15-char link)
    assert report["streams"]["contacts"].get("parked", 0) == 0
    with store.sessions() as s:
        jane = s.scalars(select(m.Contact).where(m.Contact.email == "jane@acme.io")).one()
        assert jane.account_id == "acme-imported"
    with store.sessions() as s:
        assert s.get(m.Account, f"salesforce-{ACME}") is None
