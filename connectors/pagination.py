"""Paginators: each vendor picks one instead of writing its own loop.

A paginator holds the token of the next page. After a page arrives, `advance(page)` reads
the next token from it; the same token coming back twice means the vendor is looping and
raises ResponseError instead of paging forever. Pages may be decoded JSON or a
`requests.Response`.
"""

from __future__ import annotations

import typing as t
from abc import ABC, abstractmethod
from datetime import date, datetime, timedelta

from connectors.errors import ResponseError


def payload_of(page: t.Any) -> t.Any:
    """Decoded JSON of a page (a requests.Response is decoded)."""
    if hasattr(page, "json") and callable(page.json):
        return page.json()
    return page


def dig(obj: t.Any, path: str | tuple[str, ...]) -> t.Any:
    """Follow a dotted path ("paging.next.after") through nested dicts; None if absent."""
    keys = path.split(".") if isinstance(path, str) else path
    for key in keys:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj


class Paginator(ABC):
    """Base paginator: `token` is what to request next; `has_more()` until the last page."""

    def __init__(self, start: t.Any = None, connector: str | None = None,
                 stream: str | None = None) -> None:
        self.token = start
        self.pages = 0
        self.connector = connector
        self.stream = stream
        self._done = False
        self._seen: set[t.Any] = set()
        if start is not None:
            self._seen.add(self._key(start))

    def has_more(self) -> bool:
        return not self._done

    @abstractmethod
    def get_next(self, page: t.Any) -> t.Any:
        """The next token from a page, or None after the last page."""

    def advance(self, page: t.Any) -> None:
        """Move to the next page; raises ResponseError if the vendor repeats a token."""
        self.pages += 1
        nxt = self.get_next(page)
        if nxt is None or nxt == "" or nxt == []:
            self._done = True
            return
        key = self._key(nxt)
        if key in self._seen:
            raise ResponseError(
                f"pagination loop: the vendor returned the page token {str(nxt)[:80]!r} twice",
                connector=self.connector, stream=self.stream)
        self._seen.add(key)
        self.token = nxt

    @staticmethod
    def _key(token: t.Any) -> t.Any:
        try:
            hash(token)
            return token
        except TypeError:
            return repr(token)


class CursorPaginator(Paginator):
    """An opaque cursor at a JSON path (HubSpot `paging.next.after`, Zendesk `meta.after_cursor`).

    `done_path`, when given, ends paging when that value is truthy (e.g. `end_of_stream`),
    `more_path` ends it when that value is falsy (e.g. `meta.has_more`).
    """

    def __init__(self, path: str, start: t.Any = None, done_path: str | None = None,
                 more_path: str | None = None, **kwargs: t.Any) -> None:
        super().__init__(start, **kwargs)
        self.path = path
        self.done_path = done_path
        self.more_path = more_path

    def get_next(self, page: t.Any) -> t.Any:
        data = payload_of(page)
        if self.done_path and dig(data, self.done_path):
            return None
        if self.more_path and not dig(data, self.more_path):
            return None
        return dig(data, self.path)


class NextUrlPaginator(CursorPaginator):
    """A next-page URL or path in the body (Salesforce `nextRecordsUrl` with `done`)."""

    def __init__(self, path: str = "next", start: t.Any = None, done_path: str | None = None,
                 **kwargs: t.Any) -> None:
        super().__init__(path, start=start, done_path=done_path, **kwargs)


class HeaderLinkPaginator(Paginator):
    """RFC 8288 `Link: <...>; rel="next"` headers (needs a requests.Response)."""

    def get_next(self, page: t.Any) -> t.Any:
        links = getattr(page, "links", None) or {}
        return (links.get("next") or {}).get("url")


class OffsetPaginator(Paginator):
    """Offset/limit paging; the last page is the one with fewer than `page_size` records."""

    def __init__(self, page_size: int, records_path: str | None = None, start: int = 0,
                 **kwargs: t.Any) -> None:
        super().__init__(start, **kwargs)
        self.page_size = page_size
        self.records_path = records_path

    def _count(self, page: t.Any) -> int:
        data = payload_of(page)
        records = dig(data, self.records_path) if self.records_path else data
        return len(records or [])

    def get_next(self, page: t.Any) -> t.Any:
        if self._count(page) < self.page_size:
            return None
        return (self.token or 0) + self.page_size


class PageNumberPaginator(OffsetPaginator):
    """Page-number paging (1, 2, 3...); ends on a short page."""

    def __init__(self, page_size: int, records_path: str | None = None, start: int = 1,
                 **kwargs: t.Any) -> None:
        super().__init__(page_size, records_path, start=start, **kwargs)

    def get_next(self, page: t.Any) -> t.Any:
        if self._count(page) < self.page_size:
            return None
        return (self.token or 0) + 1


class DateWindowPaginator(Paginator):
    """Consecutive [start, end) windows of `step` up to `until` (Mixpanel days, Amplitude hours).

    The token is the (window_start, window_end) pair; `get_next` ignores the page.
    """

    def __init__(self, start: date | datetime, until: date | datetime, step: timedelta,
                 **kwargs: t.Any) -> None:
        if step <= timedelta(0):
            raise ValueError("step must be positive")
        self.until = until
        self.step = step
        first = (start, min(start + step, until)) if start < until else None
        super().__init__(first, **kwargs)
        if first is None:
            self._done = True

    def get_next(self, page: t.Any = None) -> t.Any:
        _, end = self.token
        if end >= self.until:
            return None
        return (end, min(end + self.step, self.until))


class SinglePagePaginator(Paginator):
    """One page, no paging."""

    def get_next(self, page: t.Any) -> t.Any:
        return None
