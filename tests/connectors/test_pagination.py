"""Paginators and their loop detection."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from connectors.errors import ResponseError
from connectors.pagination import (
    CursorPaginator,
    DateWindowPaginator,
    NextUrlPaginator,
    OffsetPaginator,
    PageNumberPaginator,
)


def test_cursor_paginator_follows_hubspot_after_until_paging_is_absent():
    p = CursorPaginator("paging.next.after")
    p.advance({"results": [1], "paging": {"next": {"after": "100"}}})
    assert p.token == "100" and p.has_more()
    p.advance({"results": [2]})
    assert not p.has_more() and p.pages == 2


def test_same_token_twice_is_a_loop():
    p = CursorPaginator("paging.next.after", connector="hubspot", stream="deals")
    p.advance({"paging": {"next": {"after": "100"}}})
    p.advance({"paging": {"next": {"after": "200"}}})
    with pytest.raises(ResponseError, match="pagination loop") as info:
        p.advance({"paging": {"next": {"after": "100"}}})
    assert info.value.stream == "deals"


def test_start_token_counts_as_seen():
    p = CursorPaginator("next", start="abc")
    with pytest.raises(ResponseError):
        p.advance({"next": "abc"})


def test_next_url_paginator_with_done_flag():
    p = NextUrlPaginator("nextRecordsUrl", done_path="done")
    p.advance({"done": False, "nextRecordsUrl": "/q/01g-2000"})
    assert p.token == "/q/01g-2000"
    p.advance({"done": True, "nextRecordsUrl": "/q/01g-4000"})
    assert not p.has_more()


def test_cursor_paginator_end_of_stream_and_has_more():
    p = CursorPaginator("after_cursor", done_path="end_of_stream")
    p.advance({"after_cursor": "x", "end_of_stream": False})
    assert p.token == "x"
    p.advance({"after_cursor": "y", "end_of_stream": True})
    assert not p.has_more()
    q = CursorPaginator("meta.after_cursor", more_path="meta.has_more")
    q.advance({"meta": {"after_cursor": "z", "has_more": False}})
    assert not q.has_more()


def test_offset_and_page_number_stop_on_a_short_page():
    o = OffsetPaginator(2, records_path="results")
    o.advance({"results": [1, 2]})
    assert o.token == 2
    o.advance({"results": [3]})
    assert not o.has_more()
    p = PageNumberPaginator(2)
    p.advance([1, 2])
    assert p.token == 2
    p.advance([])
    assert not p.has_more()


def test_date_windows_cover_the_range_exactly_once():
    p = DateWindowPaginator(date(2025, 1, 1), date(2025, 1, 4), timedelta(days=1))
    windows = []
    while p.has_more():
        windows.append(p.token)
        p.advance(None)
    assert windows == [(date(2025, 1, 1), date(2025, 1, 2)), (date(2025, 1, 2), date(2025, 1, 3)),
                       (date(2025, 1, 3), date(2025, 1, 4))]
    assert not DateWindowPaginator(date(2025, 1, 4), date(2025, 1, 4),
                                   timedelta(days=1)).has_more()
