"""Mixpanel raw event export, processed as a stream.

``GET /api/2.0/export?from_date=&to_date=`` answers JSON Lines (one event per line). The body
is read in chunks and split into lines as it arrives; each line is parsed, attributed to an
account and normalised into an import-format ``event`` record, and records leave in bounded
pages. Nothing holds the whole body.

Windows: whole UTC days, ``window_days`` at a time, from the stream's cursor (``through``, the
last day treated as final) minus ``lookback_days`` (late events) up to today. Pages inside a
window carry the cursor from before the window; the window's last page moves it. A crash
re-exports the window: the store deduplicates events on (account, user, name, time), so
nothing is counted twice. A body that breaks off (connection dropped, body cut short) is
requested again within the run and read on from the line after the last one handled.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date

from connectors.attribution import Attributor
from connectors.resume import Resumed
from connectors.streaming import (
    CHUNK,
    DayWindows,
    EpochFormatter,
    PageBuffer,
    TruncatedBody,
    iter_lines,
)

HOSTS = {"us": "https://data.mixpanel.com", "eu": "https://data-eu.mixpanel.com",
         "in": "https://data-in.mixpanel.com"}
EXPORT_PATH = "/api/2.0/export"


class EventNormaliser:
    """Turns one exported Mixpanel event (a dict) into import-format event records."""

    def __init__(self, attributor: Attributor, account_property: str | None,
                 email_property: str | None, session_property: str | None,
                 profile_keys: dict | None = None, profile_emails: dict | None = None) -> None:
        self.attributor = attributor
        self.profile_keys = profile_keys or {}
        self.profile_emails = profile_emails or {}
        self.account_property = account_property
        self.email_property = email_property
        self.session_property = session_property
        self.iso = EpochFormatter()

    def records(self, obj, buf: PageBuffer, line_no: int) -> None:
        # fast path: the documented shape with one account key and no session property
        try:
            props = obj["properties"]
            name = obj["event"]
            t = props["time"]
            user = props["distinct_id"]
        except (KeyError, TypeError):
            pass
        else:
            if (type(name) is str and name and type(t) is int and type(user) is str and user
                    and not self.session_property):
                keys = props.get(self.account_property) if self.account_property else None
                if type(keys) is list and len(keys) == 1:
                    keys = keys[0]
                if type(keys) is str:
                    acc = self.attributor.key(keys)
                    if acc is not None:
                        buf.records.append({"type": "event", "account_id": acc,
                                            "user_id": user, "name": name,
                                            "time": self.iso(t)})
                        return
        self._records(obj, buf, line_no)

    def _records(self, obj, buf: PageBuffer, line_no: int) -> None:
        if not isinstance(obj, dict):
            buf.skip(f"line {line_no}", "not a JSON object")
            return
        props = obj.get("properties")
        name = obj.get("event")
        if not isinstance(props, dict) or not isinstance(name, str) or not name:
            buf.skip(f"line {line_no}", "missing 'event' or 'properties'")
            return
        vid = props.get("$insert_id") or f"line {line_no}"
        t = props.get("time")
        if isinstance(t, bool) or not isinstance(t, (int, float)):
            buf.skip(vid, "missing or invalid 'properties.time'")
            return
        user = props.get("distinct_id")
        if user is None or user == "" or isinstance(user, (dict, list, bool)):
            user = props.get("$user_id") or props.get("$device_id")
            if user is None or user == "":
                buf.skip(vid, "missing 'properties.distinct_id'")
                return
        keys = props.get(self.account_property) if self.account_property else None
        if keys in (None, "", []) and self.profile_keys:
            keys = self.profile_keys.get(str(user))
        email = props.get(self.email_property) if self.email_property else None
        if not isinstance(email, str):
            email = self.profile_emails.get(str(user))
        if not isinstance(email, str):
            email = user if isinstance(user, str) and "@" in user else None
        accounts = self.attributor.accounts(keys, email, buf.unmapped)
        if not accounts:
            return
        when = self.iso(t)
        uid = user if isinstance(user, str) else str(user)
        session = props.get(self.session_property) if self.session_property else None
        for acc in accounts:
            rec = {"type": "event", "account_id": acc, "user_id": uid, "name": name,
                   "time": when}
            if isinstance(session, (str, int)) and not isinstance(session, bool):
                rec["session_id"] = session
            buf.records.append(rec)


def body_lines(resp) -> Iterator[tuple[bytes, bytes]]:
    """The lines of an export body as (line, line). A last line without its newline that is
    not JSON is a body cut short (TruncatedBody), not a malformed line."""
    last, done = b"", False

    def chunks():
        nonlocal last, done
        for chunk in resp.iter_content(CHUNK):
            if chunk:
                last = chunk
            yield chunk
        done = True

    try:
        for line in iter_lines(chunks()):
            if done and not last.endswith(b"\n"):  # the unterminated tail of the body
                try:
                    json.loads(line)
                except ValueError:
                    raise TruncatedBody("the last line of the export is cut short") from None
            yield line, line
    finally:
        resp.close()


def export_window(http, params: dict, normaliser: EventNormaliser, buf: PageBuffer,
                  state) -> Iterator:
    """Stream one export request; yield full pages (state = the cursor before the window).

    A body that breaks off is requested again and read on from the line after the last one
    handled (connectors.resume), up to BODY_RETRIES times."""
    def open_body():
        return body_lines(http.request("GET", EXPORT_PATH, params=params, stream=True,
                                       headers={"Accept-Encoding": "gzip",
                                                "Accept": "text/plain"}))

    what = f"Mixpanel export {params['from_date']}..{params['to_date']}"
    line_no = 0
    decode = json.JSONDecoder().decode
    records = normaliser.records
    for line in Resumed(open_body, http.retrier, what):
        line_no += 1
        try:
            obj = decode(line.decode("utf-8"))
        except ValueError:
            if not line.strip():
                continue
            buf.skip(f"line {line_no}", "malformed JSON line")
            continue
        records(obj, buf, line_no)
        if len(buf.records) >= buf.size:
            yield buf.take(state)


def export_pages(http, settings, state: dict | None, attributor: Attributor, make_page,
                 today: date, page_size: int = 5000) -> Iterator:
    """Every page of a Mixpanel export run from `state` (``{"through": "YYYY-MM-DD"}``)."""
    normaliser = EventNormaliser(attributor, settings.account_property,
                                 settings.email_property, settings.session_property,
                                 getattr(settings, "profile_keys", None),
                                 getattr(settings, "profile_emails", None))
    buf = PageBuffer(make_page, page_size)
    bookmark = DayWindows(state, settings.start_date, today, settings.window_days,
                          settings.lookback_days)
    for lo, hi in bookmark:
        params = {"from_date": lo.isoformat(), "to_date": hi.isoformat(), "time_in_ms": "true"}
        if settings.project_id:
            params["project_id"] = settings.project_id
        if settings.events:
            params["event"] = json.dumps(settings.events)
        yield from export_window(http, params, normaliser, buf, bookmark.state)
        yield buf.take(bookmark.finish(hi))
