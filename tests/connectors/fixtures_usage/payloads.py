"""Vendor payloads in the documented formats, built from the samples beside this file.

Every builder starts from a vendor sample (copied from shared/vendor-specs) and overrides the
fields a test needs, so the shapes stay the vendors' own.
"""

from __future__ import annotations

import copy
import gzip
import io
import json
import zipfile
from datetime import datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _lines(name: str) -> list[dict]:
    return [json.loads(x) for x in (HERE / name).read_text().splitlines() if x.strip()]


def _json(name: str):
    return json.loads((HERE / name).read_text())


def ts(value: str) -> int:
    """'2025-07-01T10:00:00Z' -> epoch seconds."""
    return int(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp())


# -- Mixpanel ---------------------------------------------------------------------------
MP_SAMPLE = _lines("mixpanel_export_sample.jsonl")


def mp_event(name: str, user: str, when: str, company=None, email=None, ms: bool = True,
             insert_id: str | None = None, **props) -> dict:
    ev = copy.deepcopy(MP_SAMPLE[0])
    p = ev["properties"]
    for k in ("company_id", "$email", "format"):
        p.pop(k, None)
    ev["event"] = name
    p["time"] = ts(when) * 1000 if ms else ts(when)
    p["distinct_id"] = user
    p["$insert_id"] = insert_id or f"{user}-{name}-{when}"
    p["mp_processing_time_ms"] = ts(when) * 1000 + 3120
    if company is not None:
        p["company_id"] = company
    if email is not None:
        p["$email"] = email
    p.update(props)
    return ev


def jsonl(events, malformed: list[bytes] | None = None) -> bytes:
    lines = [json.dumps(e).encode() for e in events] + list(malformed or [])
    return b"\n".join(lines) + b"\n"


# -- Amplitude --------------------------------------------------------------------------
AMP_SAMPLE = _lines("amplitude_events_sample.jsonl")


def amp_event(name: str, user: str | None, when: str, company=None, session_id: int = -1,
              uploaded: str | None = None, **fields) -> dict:
    ev = copy.deepcopy(AMP_SAMPLE[0])
    t = when.replace("T", " ").replace("Z", "")
    if "." not in t:
        t += ".000000"
    ev.update({"event_type": name, "user_id": user, "event_time": t, "client_event_time": t,
               "session_id": session_id,
               "server_upload_time": (uploaded or t), "server_received_time": (uploaded or t),
               "$insert_id": f"{user}-{name}-{when}", "uuid": f"uuid-{user}-{name}-{when}",
               "groups": {} if company is None else {"company": company}})
    ev.update(fields)
    return ev


def amp_zip(files: dict[str, list[dict] | bytes]) -> bytes:
    """A real Export API archive: a ZIP of gzip files of JSON Lines, one per name."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as zf:
        for name, events in files.items():
            raw = events if isinstance(events, bytes) else b"".join(
                json.dumps(e).encode() + b"\n" for e in events)
            zf.writestr(name, gzip.compress(raw))
    return out.getvalue()


def amp_member(project: int, day: str, hour: int, n: int = 0) -> str:
    return f"{project}/{project}_{day}_{hour}#{n}.json.gz"


# -- Pendo ------------------------------------------------------------------------------
PENDO_EVENT = _json("pendo_aggregation_events_response.json")["results"][0]
PENDO_ACCOUNT = _json("pendo_aggregation_accounts_response.json")["results"][0]
PENDO_VISITOR = _json("pendo_aggregation_visitors_response.json")["results"][0]


def day_ms(day: str) -> int:
    return ts(day + "T00:00:00Z") * 1000


def pendo_row(visitor: str, account: str | None, day: str, minutes: int = 10,
              events: int = 5, **extra) -> dict:
    row = copy.deepcopy(PENDO_EVENT)
    row.update({"visitorId": visitor, "accountId": account, "day": day_ms(day),
                "numEvents": events, "numMinutes": minutes, **extra})
    return row


def pendo_account(account_id: str, **custom) -> dict:
    row = copy.deepcopy(PENDO_ACCOUNT)
    row["accountId"] = account_id
    row["metadata"]["auto"]["id"] = account_id
    row["metadata"]["custom"] = dict(custom)
    return row


def pendo_visitor(visitor_id: str, email: str | None) -> dict:
    row = copy.deepcopy(PENDO_VISITOR)
    row["visitorId"] = visitor_id
    row["metadata"]["auto"]["id"] = visitor_id
    row["metadata"]["agent"] = {"email": email} if email else {}
    return row


# -- Zendesk ----------------------------------------------------------------------------
ZD_PAGE = _json("zendesk_incremental_tickets_cursor_page.json")


def zd_ticket(tid: int, org: int | None, status: str, priority: str | None, created: str,
              subject: str = "Help", requester: int = 20978392, updated: str | None = None
              ) -> dict:
    t = copy.deepcopy(ZD_PAGE["tickets"][0])
    t.update({"id": tid, "url": f"https://acme-support.zendesk.com/api/v2/tickets/{tid}.json",
              "organization_id": org, "status": status, "priority": priority,
              "created_at": created, "updated_at": updated or created, "subject": subject,
              "requester_id": requester,
              "generated_timestamp": ts(updated or created)})
    return t


def zd_metric(tid: int, created: str, reply_minutes: int | None = None,
              full_resolution_minutes: int | None = None, solved_at: str | None = None) -> dict:
    def mins(v):
        return {"calendar": v, "business": v} if v is not None else {"calendar": None,
                                                                      "business": None}
    return {"id": tid * 10, "ticket_id": tid, "url": "https://acme-support.zendesk.com/api/v2/"
            f"ticket_metrics/{tid * 10}.json", "created_at": created, "updated_at": created,
            "group_stations": 1, "assignee_stations": 1, "reopens": 0, "replies": 1,
            "assignee_updated_at": None, "requester_updated_at": created,
            "status_updated_at": created, "initially_assigned_at": created,
            "assigned_at": created, "solved_at": solved_at, "latest_comment_added_at": created,
            "first_resolution_time_in_minutes": mins(full_resolution_minutes),
            "reply_time_in_minutes": mins(reply_minutes),
            "full_resolution_time_in_minutes": mins(full_resolution_minutes),
            "agent_wait_time_in_minutes": mins(0), "requester_wait_time_in_minutes": mins(0),
            "on_hold_time_in_minutes": mins(0)}


def zd_page(tickets, metrics=(), users=(), after_cursor: str | None = None,
            end: bool = True, base: str = "https://acme-support.zendesk.com") -> dict:
    page = copy.deepcopy(ZD_PAGE)
    page["tickets"] = list(tickets)
    page["metric_sets"] = list(metrics)
    page["users"] = list(users)
    page["after_cursor"] = after_cursor
    page["after_url"] = (f"{base}/api/v2/incremental/tickets/cursor.json?cursor={after_cursor}"
                         if after_cursor else None)
    page["end_of_stream"] = end
    return page


def zd_org(oid: int, name: str, domains=(), external_id=None) -> dict:
    return {"id": oid, "url": f"https://acme-support.zendesk.com/api/v2/organizations/{oid}.json",
            "name": name, "domain_names": list(domains), "external_id": external_id,
            "created_at": "2024-01-01T00:00:00Z", "updated_at": "2024-01-01T00:00:00Z",
            "details": "", "notes": "", "group_id": None, "shared_tickets": False,
            "shared_comments": False, "tags": [], "organization_fields": {}}


def zd_user(uid: int, email: str) -> dict:
    return {"id": uid, "name": email.split("@")[0], "email": email, "role": "end-user"}
