"""Streaming building blocks shared by the usage/support connectors.

* :func:`iter_lines` splits a stream of byte chunks into lines without holding the body;
* :func:`iter_json_array` yields the items of one top-level JSON array (Pendo's
  ``{"results": [...]}``) from byte chunks, one item at a time;
* :class:`PageBuffer` groups normalised records into bounded pages with their skipped
  items and unmapped counts, so a connector's memory stays flat whatever the export size;
* :func:`windows` cuts a day range into export windows; epoch times become ISO 8601.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime, timedelta, timezone

CHUNK = 1 << 16
MAX_SKIPPED_PER_PAGE = 200


class TruncatedBody(ValueError):
    """The body ended before its last item was complete (JSON cut short): it broke off."""


def iter_lines(chunks: Iterable[bytes], max_line: int = 16 << 20) -> Iterator[bytes]:
    """Yield newline-separated lines (without the newline) from byte chunks.

    A line longer than `max_line` is yielded truncated to `max_line` bytes (so it fails to
    parse and is counted as malformed) and the rest of it is discarded.
    """
    chunks = iter(chunks)
    tail = b""
    for chunk in chunks:
        if not chunk:
            continue
        if tail:
            chunk = tail + chunk
        parts = chunk.split(b"\n")
        tail = parts.pop()
        yield from parts
        if len(tail) > max_line:
            yield tail[:max_line]
            tail = b""
            # skip to the end of this over-long line
            for rest in chunks:
                nl = rest.find(b"\n")
                if nl >= 0:
                    tail = rest[nl + 1:]
                    parts = tail.split(b"\n")
                    tail = parts.pop()
                    yield from parts
                    break
    if tail.strip():
        yield tail


def iter_json_array(chunks: Iterable[bytes], key: str = "results") -> Iterator:
    """Yield the items of the array under `key` of a top-level JSON object, incrementally.

    Only one item (plus one read chunk) is held at a time. Raises ValueError when the body is
    not such an object. An absent key or a `null` value yields nothing.
    """
    dec = json.JSONDecoder()
    it = iter(chunks)
    buf = ""
    pending = b""
    eof = False

    def more() -> bool:
        nonlocal buf, pending, eof
        if eof:
            return False
        for chunk in it:
            if not chunk:
                continue
            data = pending + chunk
            try:
                text = data.decode("utf-8")
                pending = b""
            except UnicodeDecodeError as exc:  # a multi-byte character split across chunks
                if exc.start < len(data) - 3:
                    raise ValueError(f"response is not UTF-8: {exc}") from exc
                text = data[:exc.start].decode("utf-8")
                pending = data[exc.start:]
            buf += text
            return True
        eof = True
        return False

    def skip_ws(pos: int) -> int:
        while True:
            while pos < len(buf) and buf[pos] in " \t\r\n":
                pos += 1
            if pos < len(buf) or not more():
                return pos

    def expect(pos: int, ch: str) -> int:
        pos = skip_ws(pos)
        if pos >= len(buf) or buf[pos] != ch:
            if pos >= len(buf):
                raise TruncatedBody(f"expected {ch!r} in JSON body, got end of body")
            raise ValueError(f"expected {ch!r} in JSON body, got {buf[pos:pos + 20]!r}")
        return pos + 1

    def value_end(pos: int):
        """Decode one JSON value at pos, reading more chunks until it is complete."""
        nonlocal buf
        while True:
            pos = skip_ws(pos)
            try:
                val, end = dec.raw_decode(buf, pos)
            except json.JSONDecodeError:
                if not more():
                    raise TruncatedBody("truncated JSON body") from None
                continue
            # a number at the buffer end may continue in the next chunk
            if end == len(buf) and not isinstance(val, (dict, list, str)) and more():
                continue
            return val, end

    pos = expect(0, "{")
    pos = skip_ws(pos)
    if pos < len(buf) and buf[pos] == "}":
        return
    while True:
        name, pos = value_end(pos)
        if not isinstance(name, str):
            raise ValueError("object key expected in JSON body")
        pos = expect(pos, ":")
        pos = skip_ws(pos)
        if name == key and pos < len(buf) and buf[pos] == "[":
            pos += 1
            pos = skip_ws(pos)
            if pos < len(buf) and buf[pos] == "]":
                return
            while True:
                item, pos = value_end(pos)
                yield item
                buf = buf[pos:]
                pos = skip_ws(0)
                if pos >= len(buf):
                    raise TruncatedBody("truncated JSON body")
                if buf[pos] == ",":
                    pos += 1
                    continue
                if buf[pos] == "]":
                    return
                raise ValueError(f"expected ',' or ']' in {key!r}, got {buf[pos]!r}")
        _, pos = value_end(pos)
        buf = buf[pos:]
        pos = skip_ws(0)
        if pos >= len(buf):
            raise TruncatedBody("truncated JSON body")
        if buf[pos] == "}":
            return
        if buf[pos] != ",":
            raise ValueError(f"expected ',' or '}}' in JSON body, got {buf[pos]!r}")
        pos += 1


class PageBuffer:
    """Collects records, skipped items and unmapped counts into bounded pages.

    `make_page(records, state, skipped, unmapped, deletions)` builds the framework's page.
    """

    def __init__(self, make_page: Callable, size: int = 5000) -> None:
        self.make_page = make_page
        self.size = size
        self.records: list[dict] = []
        self.skipped: list[dict] = []
        self.unmapped: Counter = Counter()
        self.skipped_total = 0
        self._extra_skips: dict[str, int] = {}

    def skip(self, vendor_id, reason: str) -> None:
        self.skipped_total += 1
        if len(self.skipped) < MAX_SKIPPED_PER_PAGE:
            self.skipped.append({"vendor_id": None if vendor_id is None else str(vendor_id),
                                 "reason": reason})
        else:
            # keep the page bounded: fold the rest into one summary entry per reason
            self._extra_skips[reason] = self._extra_skips.get(reason, 0) + 1

    def full(self) -> bool:
        return len(self.records) >= self.size

    def empty(self) -> bool:
        return not (self.records or self.skipped or self.unmapped or self._extra_skips)

    def take(self, state, deletions=None):
        """A page of everything collected so far, with `state` as the cursor after it."""
        skipped = self.skipped
        for reason, n in self._extra_skips.items():
            skipped.append({"vendor_id": None, "reason": f"{reason} ({n} more like this)"})
        page = self.make_page(records=self.records, state=state, skipped=skipped,
                              unmapped=self.unmapped, deletions=list(deletions or ()))
        self.records = []
        self.skipped = []
        self.unmapped = Counter()
        self._extra_skips = {}
        return page


# -- time helpers --------------------------------------------------------------------
def windows(start: date, end: date, size: int) -> Iterator[tuple[date, date]]:
    """Consecutive [from, to] day windows (both inclusive) of `size` days covering start..end."""
    d = start
    while d <= end:
        hi = min(end, d + timedelta(days=size - 1))
        yield d, hi
        d = hi + timedelta(days=1)


class DayWindows:
    """The bookmark of a day-window export (Mixpanel, Pendo): ``{"through": "YYYY-MM-DD"}``.

    The first run starts at `start`; a later one the day after `through`, less
    `lookback_days` (never before `start`). `state` is the bookmark to save with a page
    read inside a window; `finish(hi)` moves it past a finished window (never beyond
    yesterday, never backwards) and returns it.
    """

    def __init__(self, state: dict | None, start: date, today: date, size: int,
                 lookback_days: int) -> None:
        raw = state.get("through") if state else None
        self.through = date.fromisoformat(raw) if raw else None
        if self.through is not None:
            start = max(start, self.through + timedelta(days=1 - lookback_days))
        self.start, self.today, self.size = start, today, size
        self.state = dict(state) if state else None

    def __iter__(self) -> Iterator[tuple[date, date]]:
        return windows(self.start, self.today, self.size)

    def finish(self, hi: date) -> dict:
        final = min(hi, self.today - timedelta(days=1))
        if self.through is None or final > self.through:
            self.through = final
        self.state = {"through": self.through.isoformat()}
        return self.state


EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def epoch_to_iso(value) -> str:
    """Epoch seconds or milliseconds (numbers above 1e11 are taken as ms) -> ISO 8601 UTC."""
    t = float(value)
    if t > 1e11:
        t /= 1000.0
    dt = EPOCH + timedelta(seconds=t)
    return dt.isoformat().replace("+00:00", "Z")


class EpochFormatter:
    """Fast epoch (s or ms) -> ISO 8601 UTC text, caching the minute prefix.

    ``2025-07-01T10:00:05Z`` for whole seconds, ``...05.123Z`` with milliseconds.
    """

    def __init__(self) -> None:
        self._minutes: dict[int, str] = {}

    def __call__(self, value) -> str:
        if type(value) is not int:
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            else:
                return epoch_to_iso(value)
        if value > 100_000_000_000:
            sec, ms = divmod(value, 1000)
        else:
            sec, ms = value, 0
        minute, s = divmod(sec, 60)
        prefix = self._minutes.get(minute)
        if prefix is None:
            if len(self._minutes) > 200_000:
                self._minutes.clear()
            prefix = (EPOCH + timedelta(minutes=minute)).strftime("%Y-%m-%dT%H:%M:")
            self._minutes[minute] = prefix
        if ms:
            return f"{prefix}{s:02d}.{ms:03d}Z"
        return f"{prefix}{s:02d}Z"
