"""Amplitude Export API, processed file by file.

``GET /api/2/export?start=YYYYMMDDTHH&end=YYYYMMDDTHH`` answers a ZIP archive whose members
are gzip files of JSON Lines events (several per hour). The archive is spooled to a temporary
file as it downloads (a ZIP can only be read from its end); then each member is decompressed
and split into lines as a stream. Neither the archive nor a member is ever held in memory.

Windows select by ``server_upload_time``, hour by hour: from the hour after the cursor
(``through_hour``) up to ``now - delay_hours`` (Amplitude makes data exportable about two
hours after it arrives), ``window_hours`` at a time. Status 404 means "no data in range" (the
window still counts as done); 400 means the export is too large, and 504 that it timed out:
the window is halved and retried, down to one hour.
"""

from __future__ import annotations

import gzip
import io
import json
import logging
import tempfile
import zipfile
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import requests

from connectors.attribution import Attributor
from connectors.common import dig
from connectors.streaming import CHUNK, PageBuffer

log = logging.getLogger(__name__)
HOSTS = {"us": "https://amplitude.com", "eu": "https://analytics.eu.amplitude.com"}
EXPORT_PATH = "/api/2/export"
HOUR_FMT = "%Y%m%dT%H"
SPOOL_BYTES = 8 << 20


def hour_str(dt: datetime) -> str:
    return dt.strftime(HOUR_FMT)


def parse_hour(value: str) -> datetime:
    return datetime.strptime(value, HOUR_FMT).replace(tzinfo=timezone.utc)


def amplitude_time(value) -> str | None:
    """Amplitude's ``YYYY-MM-DD HH:MM:SS[.ffffff]`` (UTC, no zone) or ISO 8601 -> ISO with Z."""
    if not isinstance(value, str) or len(value) < 19:
        return None
    if value[10] == " ":
        value = value[:10] + "T" + value[11:]
    last = value[-1]
    if last == "Z" or (len(value) > 19 and ("+" in value[19:] or "-" in value[19:])):
        return value
    return value + "Z"


class EventNormaliser:
    """Turns one exported Amplitude event into import-format event records."""

    def __init__(self, attributor: Attributor, group_type: str | None,
                 account_property: str | None, email_property: str | None) -> None:
        self.attributor = attributor
        self.group_type = group_type
        self.account_path = tuple(account_property.split(".")) if account_property else None
        self.email_path = tuple(email_property.split(".")) if email_property else None

    def records(self, ev, buf: PageBuffer, where: str, line: int | None = None) -> None:
        # fast path: the export's usual shape, one group value, Amplitude's time format
        try:
            name = ev["event_type"]
            when = ev["event_time"]
            user = ev["user_id"]
            groups = ev["groups"]
        except (KeyError, TypeError):
            pass
        else:
            if (type(name) is str and name and type(when) is str and len(when) >= 19
                    and when[10] == " " and len(when) <= 26 and type(user) is str and user
                    and self.account_path is None and type(groups) is dict):
                keys = groups.get(self.group_type)
                if type(keys) is list and len(keys) == 1:
                    keys = keys[0]
                if type(keys) is str:
                    acc = self.attributor.key(keys)
                    if acc is not None:
                        rec = {"type": "event", "account_id": acc, "user_id": user,
                               "name": name, "time": f"{when[:10]}T{when[11:]}Z"}
                        session = ev.get("session_id")
                        if type(session) is int and session > 0:
                            rec["session_id"] = session
                        buf.records.append(rec)
                        return
        self._records(ev, buf, where if line is None else f"{where}:{line}")

    def _records(self, ev, buf: PageBuffer, where: str) -> None:
        if not isinstance(ev, dict):
            buf.skip(where, "not a JSON object")
            return
        name = ev.get("event_type")
        vid = ev.get("$insert_id") or ev.get("uuid") or where
        if not isinstance(name, str) or not name:
            buf.skip(vid, "missing 'event_type'")
            return
        when = amplitude_time(ev.get("event_time"))
        if when is None:
            buf.skip(vid, "missing or invalid 'event_time'")
            return
        user = ev.get("user_id")
        if user is None or user == "":
            amp = ev.get("amplitude_id")
            user = f"amplitude:{amp}" if amp is not None else ev.get("device_id")
            if user is None or user == "":
                buf.skip(vid, "no user_id, amplitude_id or device_id")
                return
        if self.account_path is not None:
            keys = dig(ev, self.account_path)
        else:
            groups = ev.get("groups")
            keys = groups.get(self.group_type) if isinstance(groups, dict) else None
        email = dig(ev, self.email_path) if self.email_path else None
        if not isinstance(email, str):
            email = user if isinstance(user, str) and "@" in user else None
        accounts = self.attributor.accounts(keys, email, buf.unmapped)
        if not accounts:
            return
        uid = user if isinstance(user, str) else str(user)
        session = ev.get("session_id")
        for acc in accounts:
            rec = {"type": "event", "account_id": acc, "user_id": uid, "name": name,
                   "time": when}
            if isinstance(session, int) and not isinstance(session, bool) and session > 0:
                rec["session_id"] = session
            buf.records.append(rec)


def iter_archive(fileobj, buf: PageBuffer) -> Iterator[tuple[str, int, bytes]]:
    """(member name, line number, line) for every line of every gzip member, in name order.

    A member that is not a valid gzip file is counted as skipped (once) and the lines read
    from it before the damage are kept.
    """
    with zipfile.ZipFile(fileobj) as zf:
        for info in sorted(zf.infolist(), key=lambda i: i.filename):
            if info.is_dir():
                continue
            n = 0
            try:
                with zf.open(info) as raw, gzip.GzipFile(fileobj=raw) as gz:
                    for line in io.BufferedReader(gz, CHUNK):
                        n += 1
                        yield info.filename, n, line
            except (OSError, EOFError, zipfile.BadZipFile) as exc:
                buf.skip(info.filename, f"unreadable archive member after line {n}: {exc}")


class TooLarge(Exception):
    """The export of a window is too large or timed out (HTTP 400 / 504)."""


def download(http, params: dict, is_too_large, is_empty):
    """Spool one export archive to a temporary file; None when there is no data (404).

    A download that breaks off (a truncated answer) is sent again like a 5xx, with the
    client's backoff and retry budget."""
    retrier = http.retrier
    tries = 0
    while True:
        try:
            return _download(http, params, is_too_large, is_empty)
        except requests.RequestException as exc:
            if tries >= retrier.max_retries:
                raise
            wait = retrier.backoff(tries)
            tries += 1
            retrier.retries += 1
            log.warning("amplitude: the export download broke off (%s); retrying in %.1fs "
                        "(retry %d/%d)", type(exc).__name__, wait, tries, retrier.max_retries)
            retrier.sleep(wait)


def _download(http, params: dict, is_too_large, is_empty):
    try:
        resp = http.request("GET", EXPORT_PATH, params=params, stream=True)
    except Exception as exc:  # the framework raises typed errors; classify by status
        if is_empty(exc):
            return None
        if is_too_large(exc):
            raise TooLarge(str(exc)) from exc
        raise
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)
    try:
        for chunk in resp.iter_content(CHUNK):
            spool.write(chunk)
    except BaseException:
        spool.close()
        raise
    finally:
        resp.close()
    spool.seek(0)
    return spool


def export_pages(http, settings, state: dict | None, attributor: Attributor, make_page,
                 now: datetime, is_too_large, is_empty, page_size: int = 5000) -> Iterator:
    """Every page of an Amplitude export run from `state` (``{"through_hour": ...}``)."""
    if state and state.get("through_hour"):
        nxt = parse_hour(state["through_hour"]) + timedelta(hours=1)
    else:
        nxt = datetime(settings.start_date.year, settings.start_date.month,
                       settings.start_date.day, tzinfo=timezone.utc)
    last = (now - timedelta(hours=settings.delay_hours)).replace(minute=0, second=0,
                                                                 microsecond=0)
    last -= timedelta(hours=1)  # the current hour is still filling up
    normaliser = EventNormaliser(attributor, settings.group_type, settings.account_property,
                                 settings.email_property)
    buf = PageBuffer(make_page, page_size)
    current = dict(state) if state else None
    size = settings.window_hours
    while nxt <= last:
        hi = min(last, nxt + timedelta(hours=size - 1))
        params = {"start": hour_str(nxt), "end": hour_str(hi)}
        try:
            spool = download(http, params, is_too_large, is_empty)
        except TooLarge:
            span = int((hi - nxt).total_seconds() // 3600) + 1
            if span <= 1:
                raise
            size = max(1, span // 2)
            continue
        if spool is not None:
            with spool:
                decode = json.JSONDecoder().decode
                records = normaliser.records
                for member, n, line in iter_archive(spool, buf):
                    try:
                        ev = decode(line.decode("utf-8"))
                    except ValueError:
                        if line.strip():
                            buf.skip(f"{member}:{n}", "malformed JSON line")
                        continue
                    records(ev, buf, member, n)
                    if len(buf.records) >= buf.size:
                        yield buf.take(current)
        current = {"through_hour": hour_str(hi)}
        yield buf.take(current)
        nxt = hi + timedelta(hours=1)
        size = min(settings.window_hours, size * 2)
