"""The workspace the browser tests import: a handful of accounts built for the widget's states.

Dates are relative to today (UTC) so usage, renewal and ticket figures stay current.
CRM record ids are the ones the fixture pages show in their URLs.
"""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

OWN_DOMAIN = "ourco.com"
CSM = "jane@ourco.com"
XSS_NAME = "<img src=x onerror=alert(1)>"
XSS_TASK = "<script>alert(2)</script> call back"

# CRM ids used by the fixture pages (tests/extension/fixtures/*.html).
SF = {
    "acme_account": "001Hs00000AcmeCAAZ",
    "acme_contact": "003Hs00000BobAcAAZ",
    "acme_opportunity": "006Hs00000AcmeRAAZ",
    "acme_case": "500Hs00000AcmeTAAZ",
    "globex_account": "001Hs00000GlobxAAZ",
    "unknown_account": "001Hs00000NoneZAAZ",
    "vandelay_account": "001Hs00000VandlAAZ",
}
HS = {
    "acme_company": "9001",
    "acme_contact": "501",
    "acme_deal": "7001",
    "acme_ticket": "8001",
    "globex_company": "9002",
    "xss_company": "9666",
    "unknown_company": "9999",
    "hooli_company": "9100",
}


def _at(d: date, hour: int = 10) -> str:
    return datetime.combine(d, time(hour), tzinfo=timezone.utc).isoformat().replace("+00:00", "Z")


def records(today: date | None = None) -> list[dict]:
    """All import records, in an order the importer accepts (accounts first)."""
    t = today or datetime.now(timezone.utc).date()
    day = lambda n: (t + timedelta(days=n)).isoformat()  # noqa: E731
    out: list[dict] = []
    add = out.append

    # -- accounts -------------------------------------------------------------------------
    add({"type": "account", "id": "acme", "name": "Acme Corp", "domains": ["acme.com"],
         "owner": CSM, "seats": 40, "segment": "Enterprise", "renewal_date": day(53),
         "onboarding_start": day(-420),
         "crm": [{"system": "hubspot", "id": HS["acme_company"]},
                 {"system": "salesforce", "id": SF["acme_account"]}]})
    add({"type": "account", "id": "globex", "name": "Globex Corporation",
         "domains": ["globex.com"], "owner": CSM, "seats": 25, "segment": "Mid-market",
         "renewal_date": day(200), "onboarding_start": day(-300),
         "crm": [{"system": "hubspot", "id": HS["globex_company"]},
                 {"system": "salesforce", "id": SF["globex_account"]}]})
    add({"type": "account", "id": "xss", "name": XSS_NAME, "domains": ["evil-example.com"],
         "owner": CSM, "seats": 5, "segment": "SMB", "renewal_date": day(120),
         "crm": {"system": "hubspot", "id": HS["xss_company"]}})
    add({"type": "account", "id": "initech-us", "name": "Initech US", "domains": ["initech.com"],
         "owner": "raj@ourco.com", "seats": 30, "renewal_date": day(150)})
    add({"type": "account", "id": "initech-eu", "name": "Initech EU",
         "domains": ["initech.com", "initech.eu"], "owner": CSM, "seats": 12,
         "renewal_date": day(90)})
    add({"type": "account", "id": "umbrella", "name": "Umbrella Health",
         "domains": ["umbrella.io"], "owner": CSM, "seats": 20, "renewal_date": day(300),
         "onboarding_start": day(-60)})
    # Refreshed from the fake HubSpot portal on open (test_extension_refresh.py) only.
    add({"type": "account", "id": "hooli", "name": "Hooli XYZ", "domains": ["hooli.xyz"],
         "owner": CSM, "seats": 10, "renewal_date": day(210),
         "crm": {"system": "hubspot", "id": HS["hooli_company"]}})
    # Refreshed from the fake Salesforce org on open (test_extension_salesforce_refresh.py) only.
    add({"type": "account", "id": "vandelay", "name": "Vandelay Industries",
         "domains": ["vandelay.com"], "owner": CSM, "seats": 15, "renewal_date": day(180),
         "crm": {"system": "salesforce", "id": SF["vandelay_account"]}})
    # The CSM's own company as an account: a Gmail thread must never resolve to it.
    add({"type": "account", "id": "ourco", "name": "Ourco (internal)", "domains": [OWN_DOMAIN],
         "owner": CSM})

    # -- contacts -------------------------------------------------------------------------
    add({"type": "contact", "id": "c-bob", "account_id": "acme", "email": "bob@acme.com",
         "name": "Bob Stone", "title": "VP Operations", "champion": True,
         "crm": [{"system": "hubspot", "id": HS["acme_contact"]},
                 {"system": "salesforce", "id": SF["acme_contact"]}]})
    add({"type": "contact", "id": "c-alice", "account_id": "acme", "email": "alice@acme.com",
         "name": "Alice Wu"})
    add({"type": "contact", "id": "c-pat", "account_id": "globex", "email": "pat@globex.com",
         "name": "Pat Lee"})
    add({"type": "contact", "id": "c-mallory", "account_id": "xss",
         "email": "mallory@evil-example.com", "name": "<b>Mallory</b>"})
    add({"type": "contact", "id": "c-carol", "account_id": "umbrella",
         "email": "carol.umbrella@gmail.com", "name": "Carol (personal address)"})
    add({"type": "contact", "id": "c-dana", "account_id": "umbrella", "email": "dana@umbrella.io",
         "name": "Dana Ray"})

    # -- deals ----------------------------------------------------------------------------
    add({"type": "deal", "id": "d-acme-new", "account_id": "acme", "kind": "new", "status": "won",
         "amount": 100000, "close_date": day(-420), "name": "Acme initial"})
    add({"type": "deal", "id": "d-acme-exp", "account_id": "acme", "kind": "expansion",
         "status": "won", "amount": 20000, "close_date": day(-100), "name": "Acme +10 seats",
         "expansion_type": "upsell"})
    add({"type": "deal", "id": "d-acme-ren", "account_id": "acme", "kind": "renewal",
         "status": "open", "amount": 125000, "close_date": day(50), "stage": "Negotiation",
         "name": "Acme renewal 2027",
         "crm": [{"system": "hubspot", "id": HS["acme_deal"]},
                 {"system": "salesforce", "id": SF["acme_opportunity"]}]})
    add({"type": "deal", "id": "d-acme-up", "account_id": "acme", "kind": "expansion",
         "status": "open", "amount": 15000, "close_date": day(80), "stage": "Discovery",
         "name": "Acme analytics add-on", "expansion_type": "cross_sell"})
    add({"type": "deal", "id": "d-globex-new", "account_id": "globex", "kind": "new",
         "status": "won", "amount": 60000, "close_date": day(-300), "name": "Globex initial"})
    add({"type": "deal", "id": "d-xss", "account_id": "xss", "kind": "new", "status": "won",
         "amount": 5000, "close_date": day(-245), "name": "<i>deal</i>"})
    add({"type": "deal", "id": "d-initech-us", "account_id": "initech-us", "kind": "new",
         "status": "won", "amount": 30000, "close_date": day(-215)})
    add({"type": "deal", "id": "d-initech-eu", "account_id": "initech-eu", "kind": "new",
         "status": "won", "amount": 18000, "close_date": day(-275)})
    add({"type": "deal", "id": "d-umbrella", "account_id": "umbrella", "kind": "new",
         "status": "won", "amount": 24000, "close_date": day(-60)})

    # -- product events: Acme's usage drops in the last 30 days --------------------------
    for n in range(60):
        d = t - timedelta(days=n)
        users = (6 + (n % 4)) if n < 30 else (14 + (n % 5))
        for u in range(users):
            add({"type": "event", "account_id": "acme", "user_id": f"acme-u{u}",
                 "name": "report_viewed" if u % 2 else "dashboard_opened",
                 "time": _at(d, 9 + u % 8), "session_id": f"s-{n}-{u}"})
    for n in range(40):
        d = t - timedelta(days=n)
        for u in range(8 + n % 3):
            add({"type": "event", "account_id": "globex", "user_id": f"globex-u{u}",
                 "name": "dashboard_opened", "time": _at(d, 11)})
    for n in range(0, 30, 3):
        add({"type": "event", "account_id": "umbrella", "user_id": "umb-u1",
             "name": "dashboard_opened", "time": _at(t - timedelta(days=n), 12)})

    # -- tickets --------------------------------------------------------------------------
    add({"type": "ticket", "id": "tk-acme-1", "account_id": "acme", "status": "open",
         "priority": "urgent", "created_at": _at(t - timedelta(days=6)),
         "subject": "Exports failing", "crm": [{"system": "hubspot", "id": HS["acme_ticket"]},
                                               {"system": "salesforce", "id": SF["acme_case"]}]})
    add({"type": "ticket", "id": "tk-acme-2", "account_id": "acme", "status": "pending",
         "priority": "high", "created_at": _at(t - timedelta(days=2)), "subject": "SSO setup"})
    add({"type": "ticket", "id": "tk-acme-3", "account_id": "acme", "status": "open",
         "priority": "normal", "created_at": _at(t - timedelta(days=1)), "subject": "Question"})
    add({"type": "ticket", "id": "tk-acme-4", "account_id": "acme", "status": "solved",
         "priority": "normal", "created_at": _at(t - timedelta(days=20)),
         "first_response_at": _at(t - timedelta(days=20), 14),
         "solved_at": _at(t - timedelta(days=18))})
    add({"type": "ticket", "id": "tk-xss", "account_id": "xss", "status": "open",
         "priority": "low", "created_at": _at(t - timedelta(days=3)),
         "subject": "<svg onload=alert(3)>"})

    # -- tasks, touchpoints, NPS ----------------------------------------------------------
    add({"type": "task", "id": "task-acme-1", "account_id": "acme",
         "subject": "Send QBR deck", "status": "open", "due_date": day(7), "owner": CSM})
    add({"type": "task", "id": "task-acme-2", "account_id": "acme",
         "subject": "Kickoff call", "status": "done", "due_date": day(-30), "owner": CSM})
    add({"type": "task", "id": "task-xss", "account_id": "xss", "subject": XSS_TASK,
         "status": "open", "owner": CSM})
    add({"type": "touchpoint", "id": "tp-acme-1", "account_id": "acme", "kind": "meeting",
         "date": day(-20), "owner": CSM})
    add({"type": "touchpoint", "id": "tp-globex-1", "account_id": "globex", "kind": "call",
         "date": day(-5), "owner": CSM})
    add({"type": "nps", "id": "nps-acme-1", "account_id": "acme", "score": 6, "date": day(-12),
         "contact_email": "bob@acme.com", "comment": "Exports keep failing"})
    add({"type": "nps", "id": "nps-globex-1", "account_id": "globex", "score": 9,
         "date": day(-40), "contact_email": "pat@globex.com"})
    # -- messages (sentiment, stakeholders) ---------------------------------------------
    for mid, n, hour, direction, text in (
            ("m-umb-1", -9, 9, "in", "The rollout is going great, the team loves it. Thank you!"),
            ("m-umb-2", -9, 11, "out", "Glad to hear it, talk on Friday."),
            ("m-umb-3", -2, 8, "in", "SSO login keeps failing and we are really frustrated.")):
        add({"type": "message", "id": mid, "account_id": "umbrella", "at": _at(t + timedelta(
            days=n), hour), "channel": "email", "direction": direction, "thread_id": "umb-t1",
            "contact_email": "dana@umbrella.io", "text": text})
    return out


def write(path: Path, today: date | None = None) -> Path:
    """Write the workspace as JSON Lines."""
    with path.open("w", encoding="utf-8") as fh:
        for rec in records(today):
            fh.write(json.dumps(rec) + "\n")
    return path
