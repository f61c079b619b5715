"""The import's fast path for event lines: decoded and type-checked in one compiled pass.

A JSONL usage export is almost only event lines. `decode_event` reads such a line straight
into a typed struct with msgspec (the JSON parse, the field types and the id lengths are
checked in C, unknown fields are skipped); the remaining checks (known account, time with a
zone and in range, session id form) are a few comparisons in `Loader.add_event_line`.
Anything the fast path does not accept exactly as the full checks would (another record
type, a bad field, invalid JSON, a number session id out of 64-bit range) returns None and
goes through the general path (`orjson` + `Loader.add`), which gives the line's reason.
So the fast path changes speed only: the same lines load, with the same values.
"""

from __future__ import annotations

import hashlib
import sys
from datetime import datetime
from typing import Annotated

import msgspec

from server import records as r
from server.records import RecordError

_fromiso = datetime.fromisoformat
_blake2b = hashlib.blake2b
_from_bytes = int.from_bytes
_intern = sys.intern

_Id = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
_Int64 = Annotated[int, msgspec.Meta(ge=-(2**63), le=2**63 - 1)]


class EventLine(msgspec.Struct, tag_field="type", tag="event", gc=False):
    """An import-format event as the fast path accepts it (see docs/import-format.md)."""

    account_id: str
    user_id: _Id
    name: _Id
    time: str
    session_id: str | _Int64 | None = None
    properties: dict[str, msgspec.Raw] | None = None


#: the line as a typed event; raises one of DECODE_ERRORS when the general path must read it
decode = msgspec.json.Decoder(EventLine).decode
DECODE_ERRORS = (msgspec.DecodeError, RecursionError, ValueError)


def decode_event(raw: bytes | str) -> EventLine | None:
    """The line as a typed event, or None when the general path must read it."""
    try:
        return decode(raw)
    except DECODE_ERRORS:
        return None


class EventRecords:
    """The event checks of the Loader (a mixin: it holds `_known`, `_events` and counters)."""

    def add_event_line(self, ev: EventLine) -> bool:
        """Buffer an event from `decode_event`; False when it needs the full checks instead
        (then nothing was buffered)."""
        account_id = ev.account_id
        if account_id not in (self._known if self._known is not None else self.known_accounts()):
            return False
        raw_time = ev.time
        try:
            when = _fromiso(raw_time) if raw_time[4:5] == "-" else None
        except ValueError:
            return False
        if when is None or when.tzinfo is None or not 1900 < when.year < 2999:
            return False
        session_id = ev.session_id
        if session_id is not None and type(session_id) is not str:
            session_id = None if session_id == -1 else str(session_id)
        elif session_id == "":
            session_id = None
        # EventWriter.add, inlined: the identity digest of server.usage_ingest.event_digest
        epoch_us = int(when.timestamp() * 1_000_000)
        # the buffered tuple keeps one string per user and per event name (a batch holds
        # 100,000 events of a few names and users: ~10 MB of the import's peak RSS)
        user_id, name = _intern(ev.user_id), _intern(ev.name)
        digest = _from_bytes(_blake2b(f"{account_id}\x1f{user_id}\x1f{name}\x1f{epoch_us}"
                                      .encode(), digest_size=8).digest(), "big", signed=True)
        ts = epoch_us // 1_000_000
        key = (account_id, ts // 86400)
        groups = self._events.groups
        group = groups.get(key)
        if group is None:
            group = groups[key] = {}
        group[digest] = (user_id, name, ts, session_id)
        self.loaded["event"] += 1
        self.pending += 1
        if self.pending >= self.batch_size:
            self.flush()
        return True

    def _add_event(self, rec: dict) -> None:
        # The same checks as the helpers in server.records, inlined for the common case.
        account_id = rec.get("account_id")
        known = self._known if self._known is not None else self.known_accounts()
        if not isinstance(account_id, str) or account_id not in known:
            account_id = self._account_ref(rec)
        user_id, name = rec.get("user_id"), rec.get("name")
        if not isinstance(user_id, str) or not user_id or len(user_id) > 200:
            user_id = r.text(rec, "user_id", required=True, max_len=200)
        if not isinstance(name, str) or not name or len(name) > 200:
            name = r.text(rec, "name", required=True, max_len=200)
        raw_time = rec.get("time")
        try:
            when = _fromiso(raw_time) if type(raw_time) is str and raw_time[4:5] == "-" else None
        except ValueError:
            when = None
        if when is None or when.tzinfo is None or not 1900 < when.year < 2999:  # full checks
            when = r.instant(rec, "time", required=True)
        session_id = rec.get("session_id")
        if session_id is not None and type(session_id) is not str:
            if isinstance(session_id, bool) or not isinstance(session_id, int):
                raise RecordError("'session_id' must be a string or an integer", "session_id")
            session_id = None if session_id == -1 else str(session_id)
        elif session_id == "":
            session_id = None
        props = rec.get("properties")
        if props is not None and not isinstance(props, dict):
            raise RecordError("'properties' must be an object", "properties")
        self._events.add(account_id, user_id, name, when, session_id)
