"""The CRM connectors land the account's creation date (`created_date`: when the account
began, for the playbooks' `new_account`), from the vendors' documented payloads."""

from __future__ import annotations

import json
from pathlib import Path

from connectors.hubspot import normalise as hs
from connectors.hubspot.settings import HubSpotSettings
from connectors.salesforce import normalise as sf
from connectors.salesforce.settings import SalesforceSettings
from connectors.salesforce.streams import AccountsStream

SF = SalesforceSettings(instance_url="https://acme.my.salesforce.com", access_token="t")
SPECS = Path(__file__).resolve().parents[1] / "fixtures" / "vendor-specs"


def _json(path: str) -> dict:
    return json.loads((SPECS / path).read_text())


def test_hubspot_company_createdate_lands_as_created_date():
    page = _json("hubspot/companies_get_page.json")
    recs = [hs.company(obj, f"hubspot-{obj['id']}", None, HubSpotSettings(access_token="t"))
            for obj in page["results"]]
    assert [r.get("created_date") for r in recs] == ["2024-02-01", "2024-03-09"]


def test_salesforce_account_createddate_is_read_and_lands_as_created_date():
    assert "CreatedDate" in AccountsStream.fields
    row, = _json("salesforce/query_account.json")["records"]
    rec = sf.account(row, "sf-acme", None, SF)
    assert rec["created_date"] == "2024-02-01"
    del row["CreatedDate"]
    assert "created_date" not in sf.account(row, "sf-acme", None,
                                            SF)
