"""A small Salesforce org for the connector tests, built from shared/vendor-specs/salesforce."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

from tests.connectors.fake_salesforce import FakeSalesforce

SPECS = Path(__file__).resolve().parents[1] / "fixtures" / "vendor-specs" / "salesforce"
ACME = "0015g00000AbC12AAF"
GLOBEX = "0015g00000AbC13AAF"  # referenced by query_opportunity_page2.json
T0 = datetime(2025, 7, 3, 12, 0, tzinfo=timezone.utc)


def sample(name: str) -> list[dict]:
    return json.loads((SPECS / name).read_text())["records"]


def seed(org: FakeSalesforce) -> None:
    """The vendor samples verbatim, plus the rows they refer to."""
    for row in sample("query_account.json"):
        org.add(row)
    org.new("Account", GLOBEX, T0, Name="Globex", Website="globex.com", OwnerId=None)
    for row in sample("query_opportunity_page1.json") + sample("query_opportunity_page2.json"):
        org.add(row)
    for row in sample("query_case.json") + sample("query_task.json"):
        org.add(row)
    org.new("User", "0055g00000AbCdEAAV", T0, Email="dana@vendor.example", IsActive=True)
    org.new("User", "0055g00000AbCdFAAV", T0, Email="sam@vendor.example", IsActive=False)
    org.new("Contact", "0035g00000MnOpQAAV", T0, AccountId=ACME, Email="Jane@Acme.io",
            FirstName="Jane", LastName="Doe", Title="VP Ops")
    org.new("Contact", "0035g00000MnOpRAAV", T0 + timedelta(seconds=1), AccountId=ACME,
            Email=None, FirstName="No", LastName="Mail", Title=None)
    org.new("Contact", "0035g00000MnOpSAAV", T0 + timedelta(seconds=2), AccountId=None,
            Email="lead@freelance.example", FirstName=None, LastName="Solo", Title=None)
    org.new("Opportunity", "0065g00000XyZ15AAF", T0 + timedelta(seconds=3), Name="Acme renewal",
            AccountId=ACME, Amount=50000.0, StageName="Closed Lost", CloseDate="2025-06-15",
            IsClosed=True, IsWon=False, Type="Renewal", OwnerId="0055g00000AbCdEAAV")
    org.new("Opportunity", "0065g00000XyZ16AAF", T0 + timedelta(seconds=4), Name="Odd type",
            AccountId=ACME, Amount=1.0, StageName="Closed Won", CloseDate="2025-06-15",
            IsClosed=True, IsWon=True, Type="Partner Resale", OwnerId=None)
    org.new("Task", "00T5g00000RsTuWEAV", T0 + timedelta(seconds=5), Subject="Call with Jane",
            Status="Completed", Priority="Normal", ActivityDate="2025-07-02", WhatId=ACME,
            AccountId=ACME, IsClosed=True, OwnerId="0055g00000AbCdEAAV", TaskSubtype="Call",
            Description=None, CreatedDate="2025-07-02T10:00:00.000+0000")
    org.new("Event", "00U5g00000EvT01AAA", T0 + timedelta(seconds=6), Subject="Acme QBR",
            ActivityDate="2025-07-04", StartDateTime="2025-07-04T15:00:00.000+0000",
            WhatId=ACME, AccountId=ACME, OwnerId="0055g00000AbCdEAAV")
