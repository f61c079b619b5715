"""The paging loop, its paginators and their loop detection; day windows."""

from __future__ import annotations

from datetime import date

import pytest

from connectors.errors import ResponseError
from connectors.pagination import CursorPaginator, NextUrlPaginator, Paginator, paginate
from connectors.streaming import DayWindows, windows


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


def test_paginate_fetches_from_the_start_token_until_the_last_page():
    pages = {None: {"items": [1], "next": "b"}, "b": {"items": [2], "next": "c"},
             "c": {"items": [3]}}
    fetched = []

    def fetch(token):
        fetched.append(token)
        return pages[token]

    out = list(paginate(fetch, CursorPaginator("next")))
    assert fetched == [None, "b", "c"]
    assert [(p["items"], nxt) for p, nxt in out] == [([1], "b"), ([2], "c"), ([3], None)]


def test_paginate_hands_over_the_pages_before_a_loop():
    pages = {None: {"n": 1, "next": "b"}, "b": {"n": 2, "next": "c"}, "c": {"n": 3, "next": "b"}}
    got = []
    with pytest.raises(ResponseError, match="pagination loop") as info:
        for page, _ in paginate(pages.__getitem__,
                                Paginator(lambda p: p.get("next"), stream="tickets")):
            got.append(page["n"])
    assert got == [1, 2, 3]
    assert info.value.stream == "tickets"


def test_day_windows_cover_the_range_exactly_once():
    assert list(windows(date(2025, 1, 1), date(2025, 1, 8), 3)) == [
        (date(2025, 1, 1), date(2025, 1, 3)), (date(2025, 1, 4), date(2025, 1, 6)),
        (date(2025, 1, 7), date(2025, 1, 8))]
    assert list(windows(date(2025, 1, 4), date(2025, 1, 3), 1)) == []


def test_day_windows_resume_after_the_bookmark_less_the_lookback_and_never_move_back():
    first = DayWindows(None, date(2025, 1, 1), date(2025, 1, 10), 7, 2)
    assert list(first) == [(date(2025, 1, 1), date(2025, 1, 7)),
                           (date(2025, 1, 8), date(2025, 1, 10))]
    assert first.state is None
    assert first.finish(date(2025, 1, 7)) == {"through": "2025-01-07"}
    assert first.finish(date(2025, 1, 10)) == {"through": "2025-01-09"}   # not past yesterday
    later = DayWindows({"through": "2025-01-09"}, date(2025, 1, 1), date(2025, 1, 12), 7, 2)
    assert list(later) == [(date(2025, 1, 8), date(2025, 1, 12))]
    assert later.state == {"through": "2025-01-09"}
    assert later.finish(date(2025, 1, 8)) == {"through": "2025-01-09"}    # never backwards
