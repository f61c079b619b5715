"""A small HubSpot portal for the connector tests, shaped like shared/vendor-specs/hubspot."""

from __future__ import annotations

from datetime import datetime

from tests.connectors.fake_hubspot import FakeHubSpot


def ms(text: str) -> int:
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000)


T0 = ms("2025-06-01T08:00:00Z")
MIN = 60_000

OWNERS = [
    {"id": "64492917", "email": "dana@vendor.example", "firstName": "Dana", "lastName": "Reyes",
     "userId": 9001, "userIdIncludingInactive": 9001, "type": "PERSON",
     "createdAt": "2024-01-10T10:00:00.000Z", "updatedAt": "2025-01-10T10:00:00.000Z",
     "archived": False},
    {"id": "64492918", "email": "sam@vendor.example", "firstName": "Sam", "lastName": "Ode",
     "userId": 9002, "userIdIncludingInactive": 9002, "type": "PERSON",
     "createdAt": "2024-01-10T10:00:00.000Z", "updatedAt": "2025-03-01T10:00:00.000Z",
     "archived": True},
]


def _stage(sid: str, label: str, order: int, **meta: str) -> dict:
    return {"id": sid, "label": label, "displayOrder": order, "metadata": meta,
            "createdAt": "2024-01-01T00:00:00.000Z", "updatedAt": "2024-01-01T00:00:00.000Z",
            "archived": False, "writePermissions": "CRM_PERMISSIONS_ENFORCEMENT"}


PIPELINES = {
    "deals": [
        {"id": "default", "label": "Sales Pipeline", "displayOrder": 0, "archived": False,
         "createdAt": "2024-01-01T00:00:00.000Z", "updatedAt": "2024-01-01T00:00:00.000Z",
         "stages": [_stage("appointmentscheduled", "Appointment Scheduled", 0, isClosed="false",
                           probability="0.2"),
                    _stage("contractsent", "Contract Sent", 1, isClosed="false",
                           probability="0.8"),
                    _stage("closedwon", "Closed Won", 2, isClosed="true", probability="1.0"),
                    _stage("closedlost", "Closed Lost", 3, isClosed="true", probability="0.0")]},
        {"id": "7788", "label": "Renewals", "displayOrder": 1, "archived": False,
         "createdAt": "2024-01-01T00:00:00.000Z", "updatedAt": "2024-01-01T00:00:00.000Z",
         "stages": [_stage("101", "Renewal due", 0, isClosed="false", probability="0.5"),
                    _stage("102", "Renewed", 1, isClosed="true", probability="1.0"),
                    _stage("103", "Churned", 2, isClosed="true", probability="0.0")]},
    ],
    "tickets": [
        {"id": "0", "label": "Support Pipeline", "displayOrder": 0, "archived": False,
         "createdAt": "2024-01-01T00:00:00.000Z", "updatedAt": "2024-01-01T00:00:00.000Z",
         "stages": [_stage("1", "New", 0, ticketState="OPEN", isClosed="false"),
                    _stage("2", "Waiting on contact", 1, ticketState="OPEN", isClosed="false"),
                    _stage("3", "Waiting on us", 2, ticketState="OPEN", isClosed="false"),
                    _stage("4", "Closed", 3, ticketState="CLOSED", isClosed="true")]},
    ],
}

ACME, GLOBEX, INITECH = "18544961421", "18544961422", "18544961423"


def seed(fake: FakeHubSpot) -> dict:
    """Three companies and their contacts, deals, tickets, tasks, calls, meetings and emails."""
    fake.owners = OWNERS
    fake.pipelines = PIPELINES
    t = iter(range(1, 1000))

    def at() -> int:
        return T0 + next(t) * MIN

    fake.add("companies", ACME, {"name": "Acme Analytics", "domain": "acme.io",
                                 "hs_additional_domains": "acme-analytics.com;bad domain",
                                 "hubspot_owner_id": "64492917", "seats": "120",
                                 "renewal_date": "2026-06-30", "annualrevenue": "1200000"},
             modified=at(), created=ms("2024-02-01T15:04:05.123Z"))
    fake.add("companies", GLOBEX, {"name": "Globex", "domain": "https://www.globex.com/",
                                   "hubspot_owner_id": "64492918"}, modified=at())
    fake.add("companies", INITECH, {"name": None, "domain": "initech.example"}, modified=at())
    fake.add("contacts", 501, {"email": "Jane@Acme.io", "firstname": "Jane", "lastname": "Doe",
                               "jobtitle": "VP Ops"}, modified=at(), companies=[ACME])
    fake.add("contacts", 502, {"email": "raj@globex.com", "firstname": "Raj"}, modified=at(),
             companies=[GLOBEX])
    fake.add("contacts", 503, {"email": None, "firstname": "No", "lastname": "Mail"},
             modified=at(), companies=[ACME])
    fake.add("contacts", 504, {"email": "solo@freelance.example"}, modified=at())
    fake.add("contacts", 505, {"email": "ops@acme.io"}, modified=at(), companies=[ACME, GLOBEX],
             primary=GLOBEX)
    fake.add("deals", 24001122334, {"dealname": "Acme Analytics - Annual", "amount": "48000",
                                    "dealstage": "closedwon", "dealtype": "newbusiness",
                                    "pipeline": "default", "closedate": "2025-01-15T00:00:00Z"},
             modified=at(), companies=[ACME])
    fake.add("deals", 24001122335, {"dealname": "Acme Analytics - Seat expansion",
                                    "amount": "12000", "dealstage": "contractsent",
                                    "dealtype": "existingbusiness", "pipeline": "default",
                                    "closedate": "2025-09-30T00:00:00Z"},
             modified=at(), companies=[ACME])
    fake.add("deals", 24001122336, {"dealname": "Globex pilot", "amount": None,
                                    "dealstage": "appointmentscheduled", "dealtype": None,
                                    "pipeline": "default", "closedate": None,
                                    "createdate": "2025-05-02T10:00:00Z"},
             modified=at(), companies=[GLOBEX])
    fake.add("deals", 24001122337, {"dealname": "Broken amount", "amount": "12k",
                                    "dealstage": "closedwon", "dealtype": "newbusiness",
                                    "pipeline": "default", "closedate": "2025-02-01T00:00:00Z"},
             modified=at(), companies=[GLOBEX])
    fake.add("deals", 24001122338, {"dealname": "Globex renewal", "amount": "30000",
                                    "dealstage": "102", "dealtype": "renewal",
                                    "pipeline": "7788", "closedate": "2025-03-01"},
             modified=at(), companies=[GLOBEX])
    fake.add("deals", 24001122339, {"dealname": "Orphan", "amount": "5", "dealstage": "closedwon",
                                    "pipeline": "default", "closedate": "2025-03-01"},
             modified=at())
    fake.add("tickets", 5120099881, {"subject": "CSV export failing", "hs_pipeline": "0",
                                     "hs_pipeline_stage": "2", "hs_ticket_priority": "HIGH",
                                     "createdate": "2025-07-02T14:01:22.000Z",
                                     "closed_date": None}, modified=at(), companies=[ACME])
    fake.add("tickets", 5120099882, {"subject": "SSO question", "hs_pipeline": "0",
                                     "hs_pipeline_stage": "4", "hs_ticket_priority": "LOW",
                                     "createdate": "2025-06-20T09:00:00.000Z",
                                     "closed_date": "2025-06-21T09:00:00.000Z"},
             modified=at(), companies=[ACME])
    fake.add("tasks", 71230045566, {"hs_task_subject": "QBR prep for Acme",
                                    "hs_task_body": "<p>Slides &amp; usage</p>",
                                    "hs_task_status": "NOT_STARTED", "hs_task_priority": "MEDIUM",
                                    "hs_task_type": "TODO",
                                    "hs_timestamp": "2025-07-08T16:00:00.000Z",
                                    "hubspot_owner_id": "64492917",
                                    "hs_createdate": "2025-07-01T09:00:00.000Z"},
             modified=at(), companies=[ACME])
    fake.add("calls", 880001, {"hs_timestamp": "2025-07-03T15:00:00.000Z",
                               "hs_call_title": "Check-in", "hs_call_direction": "OUTBOUND",
                               "hubspot_owner_id": "64492917"}, modified=at(), companies=[ACME])
    fake.add("meetings", 880002, {"hs_timestamp": "2025-07-04T15:00:00.000Z",
                                  "hs_meeting_title": "Acme QBR Q3",
                                  "hubspot_owner_id": "64492917"}, modified=at(),
             companies=[ACME])
    fake.add("emails", 880003, {"hs_timestamp": "1751814000000", "hs_email_subject": "Renewal",
                                "hs_email_direction": "EMAIL"}, modified=at(), companies=[ACME])
    return {"T": T0 + 1000 * MIN}
