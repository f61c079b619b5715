"""Pendo aggregation API: activity, feature and page usage by day per visitor and account.

``POST /api/v1/aggregation`` with a pipeline whose source is ``events`` (all activity),
``featureEvents`` (one tagged feature) or ``pageEvents`` (one tagged page) and a
``timeSeries`` of whole days. Rows carry ``visitorId``, ``accountId``, ``day`` (epoch ms),
``numEvents`` and ``numMinutes``. The ``results`` array is parsed incrementally from the body.

Normalisation into import-format ``event`` records (the store keeps per-day aggregates):

* an ``events`` row -> the activity event (``activity_event``, default ``Pendo activity``)
  at the start of its UTC day, plus the same event ``numMinutes`` later, both with the
  session id ``pendo-<day>``: each visitor-day becomes one session as long as Pendo's
  minutes of activity (Pendo's aggregation has no session ids);
* a ``featureEvents`` / ``pageEvents`` row -> an event named after the feature or page as
  configured (``PENDO_FEATURES`` / ``PENDO_PAGES``: id -> event name, e.g. the names of
  the workspace's key features) at the start of the day, in the same session.

Re-reading a day (windows overlap by ``lookback_days``) yields the same records, so the
store's deduplication keeps every figure exact; a longer ``numMinutes`` later in the day only
extends that day's session. An answer that breaks off is asked again within the run and read
on from the row after the last one handled.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime, timezone

from connectors.attribution import Attributor
from connectors.common import dig
from connectors.resume import Resumed
from connectors.streaming import CHUNK, DayWindows, PageBuffer, iter_json_array

HOSTS = {"us": "https://app.pendo.io", "eu": "https://app.eu.pendo.io",
         "us1": "https://us1.app.pendo.io", "jpn": "https://app.jpn.pendo.io",
         "au": "https://app.au.pendo.io"}
AGG_PATH = "/api/v1/aggregation"
DAY_MS = 86_400_000


def day_ms(d: date) -> int:
    return int(datetime(d.year, d.month, d.day, tzinfo=timezone.utc).timestamp()) * 1000


def iso_ms(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, timezone.utc).isoformat().replace("+00:00", "Z")


def body(source: dict, request_id: str, first: date | None = None, days: int | None = None,
         extra: list | None = None) -> dict:
    src = dict(source)
    if first is not None:
        src["timeSeries"] = {"period": "dayRange", "first": day_ms(first), "count": days}
    pipeline = [{"source": src}, *(extra or [])]
    return {"response": {"mimeType": "application/json"},
            "request": {"requestId": request_id, "pipeline": pipeline}}


def post_rows(http, payload: dict) -> Iterator:
    """POST one aggregation and yield its result rows as they are parsed. An answer that
    breaks off is asked again and read on from the row after the last one handled
    (connectors.resume)."""
    def open_rows():
        resp = http.request("POST", AGG_PATH, json=payload, stream=True,
                            idempotent=True)  # a query
        try:
            for row in iter_json_array(resp.iter_content(CHUNK), "results"):
                yield json.dumps(row, sort_keys=True, separators=(",", ":")).encode(), row
        finally:
            resp.close()

    return iter(Resumed(open_rows, http.retrier,
                        f"Pendo aggregation {payload['request']['requestId']}"))


def account_keys(http, field: str) -> dict[str, object]:
    """Pendo accountId -> the configured account field (e.g. metadata.custom.crm_id)."""
    path = tuple(field.split("."))
    out: dict[str, object] = {}
    for row in post_rows(http, body({"accounts": None}, "account360-accounts",
                                    extra=[{"sort": ["accountId"]}])):
        if isinstance(row, dict) and row.get("accountId") is not None:
            value = dig(row, path)
            if value not in (None, ""):
                out[str(row["accountId"])] = value
    return out


def visitor_emails(http) -> dict[str, str]:
    """Pendo visitorId -> the visitor's email (metadata.agent.email), for domain attribution."""
    out: dict[str, str] = {}
    for row in post_rows(http, body({"visitors": None}, "account360-visitors",
                                    extra=[{"sort": ["visitorId"]}])):
        if isinstance(row, dict):
            email = dig(row, ("metadata", "agent", "email"))
            if isinstance(email, str) and "@" in email and row.get("visitorId") is not None:
                out[str(row["visitorId"])] = email
    return out


class RowNormaliser:
    """Turns aggregation rows into import-format event records."""

    def __init__(self, attributor: Attributor, activity_event: str,
                 account_map: dict | None, emails: dict | None) -> None:
        self.attributor = attributor
        self.activity_event = activity_event
        self.account_map = account_map
        self.emails = emails or {}

    def records(self, row, name: str | None, buf: PageBuffer, where: str) -> None:
        """name None = an ``events`` (activity) row; else the feature/page event name."""
        if not isinstance(row, dict):
            buf.skip(where, "not a JSON object")
            return
        visitor = row.get("visitorId")
        day = row.get("day")
        vid = f"{where}:{visitor}:{day}"
        if visitor in (None, "") or isinstance(day, bool) or not isinstance(day, (int, float)):
            buf.skip(vid, "missing 'visitorId' or 'day'")
            return
        account = row.get("accountId")
        keys = account
        if self.account_map is not None and account not in (None, ""):
            keys = self.account_map.get(str(account), account)
        visitor = str(visitor)
        email = self.emails.get(visitor) or (visitor if "@" in visitor else None)
        accounts = self.attributor.accounts(keys, email, buf.unmapped)
        if not accounts:
            return
        start = int(day) - int(day) % DAY_MS
        session = f"pendo-{start // DAY_MS}"
        times = [iso_ms(start)]
        if name is None:
            minutes = row.get("numMinutes")
            if isinstance(minutes, (int, float)) and not isinstance(minutes, bool) and minutes > 0:
                times.append(iso_ms(start + min(int(minutes * 60_000), DAY_MS - 1000)))
        event = name or self.activity_event
        for acc in accounts:
            for t in times:
                buf.records.append({"type": "event", "account_id": acc, "user_id": visitor,
                                    "name": event, "time": t, "session_id": session})


def aggregation_pages(http, settings, state: dict | None, attributor: Attributor, make_page,
                      today: date, page_size: int = 5000) -> Iterator:
    """Every page of a Pendo events run from `state` (``{"through": "YYYY-MM-DD"}``)."""
    account_map = None
    if settings.account_field and settings.account_field != "accountId":
        account_map = account_keys(http, settings.account_field)
    emails = visitor_emails(http) if settings.visitor_emails else None
    norm = RowNormaliser(attributor, settings.activity_event, account_map, emails)
    buf = PageBuffer(make_page, page_size)
    bookmark = DayWindows(state, settings.start_date, today, settings.window_days,
                          settings.lookback_days)
    for lo, hi in bookmark:
        days = (hi - lo).days + 1
        sources: list[tuple[dict, str | None, str]] = [({"events": None}, None, "events")]
        sources += [({"featureEvents": {"featureId": fid}}, name, f"feature {fid}")
                    for fid, name in settings.features.items()]
        sources += [({"pageEvents": {"pageId": pid}}, name, f"page {pid}")
                    for pid, name in settings.pages.items()]
        for source, name, label in sources:
            payload = body(source, f"account360-{label}-{lo.isoformat()}", lo, days,
                           extra=[{"sort": ["day"]}])
            for row in post_rows(http, payload):
                norm.records(row, name, buf, label)
                if buf.full():
                    yield buf.take(bookmark.state)
        yield buf.take(bookmark.finish(hi))
