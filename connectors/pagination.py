"""The one paging loop: `paginate(fetch, paginator)`, with loop detection.

A paginator holds the token of the next page. After a page arrives, `advance(page)` reads
the next token from it; the same token coming back twice means the vendor is looping and
raises ResponseError instead of paging forever. Every stream and vendor client pages
through `paginate`: the vendor declares how to fetch the page at a token and where the
next token is (a JSON path, or a function of the page).
"""

from __future__ import annotations

import typing as t
from collections.abc import Callable, Iterator

from connectors.common import dig
from connectors.errors import ResponseError

__all__ = ["CursorPaginator", "NextUrlPaginator", "Paginator", "dig", "paginate",
           "payload_of"]


def payload_of(page: t.Any) -> t.Any:
    """Decoded JSON of a page (a requests.Response is decoded)."""
    if hasattr(page, "json") and callable(page.json):
        return page.json()
    return page


class Paginator:
    """`token` is what to request next; `has_more()` until the last page.

    `next_token(page)` returns the token of the page after `page`, or None after the last
    one; subclasses read it from a JSON path instead.
    """

    def __init__(self, next_token: Callable[[t.Any], t.Any] | None = None, start: t.Any = None,
                 connector: str | None = None, stream: str | None = None) -> None:
        self._next_token = next_token
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

    def get_next(self, page: t.Any) -> t.Any:
        """The next token from a page, or None after the last page."""
        if self._next_token is None:
            raise NotImplementedError("give next_token or override get_next")
        return self._next_token(page)

    def peek(self, page: t.Any) -> t.Any:
        """The token that `advance(page)` would move to (None after the last page)."""
        nxt = self.get_next(page)
        return None if nxt is None or nxt == "" or nxt == [] else nxt

    def advance(self, page: t.Any) -> None:
        """Move to the next page; raises ResponseError if the vendor repeats a token."""
        self.pages += 1
        nxt = self.peek(page)
        if nxt is None:
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
    """An opaque cursor at a JSON path (HubSpot `paging.next.after`, Zendesk `after_cursor`).

    `done_path`, when given, ends paging when that value is truthy (e.g. `end_of_stream`),
    `more_path` ends it when that value is falsy (e.g. `meta.has_more`).
    """

    def __init__(self, path: str, start: t.Any = None, done_path: str | None = None,
                 more_path: str | None = None, **kwargs: t.Any) -> None:
        super().__init__(start=start, **kwargs)
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


def paginate(fetch: Callable[[t.Any], t.Any], paginator: Paginator
             ) -> Iterator[tuple[t.Any, t.Any]]:
    """Every page, in order: `fetch(token)` from the paginator's start token (None at first).

    Yields `(page, next_token)`, `next_token` None after the last page. The page is yielded
    before the paginator moves on, so a vendor that repeats a token fails after the pages
    before the repetition were handed over (ResponseError "pagination loop").
    """
    while paginator.has_more():
        page = fetch(paginator.token)
        yield page, paginator.peek(page)
        paginator.advance(page)
