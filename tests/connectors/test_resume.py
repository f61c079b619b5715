"""connectors.resume.Resumed: a streamed body that broke off is read again and each item is
handed over once; a body that changed meanwhile is read on from the first block that differs."""

from __future__ import annotations

import pytest
import requests

from connectors.http import Retrier
from connectors.resume import Resumed
from connectors.streaming import TruncatedBody


def opener(bodies: list[tuple[list, int | None, type[BaseException]]]):
    """Each open() serves the next (items, break after n items, exception) of `bodies`."""
    opened = []

    def open_body():
        items, cut, exc = bodies[min(len(opened), len(bodies) - 1)]
        opened.append(len(opened))
        for i, item in enumerate(items):
            if cut is not None and i == cut:
                raise exc("connection broken")
            yield str(item).encode(), item
    return open_body, opened


def retrier(sleeps):
    return Retrier("test", backoff_base=1.0, sleep=sleeps.append, jitter=lambda: 1.0)


@pytest.mark.parametrize("cut", [1, 255, 256, 300, 700])
def test_each_item_is_handed_over_once_after_a_break(cut):
    items = list(range(1000))
    open_body, opened = opener([(items, cut, requests.exceptions.ChunkedEncodingError),
                                (items, None, ValueError)])
    sleeps: list[float] = []
    body = Resumed(open_body, retrier(sleeps), "test body")
    assert list(body) == items
    assert (len(opened), body.retries, len(sleeps), body.changed) == (2, 1, 1, False)


def test_several_breaks_and_a_body_cut_short_are_read_on():
    items = list(range(600))
    open_body, opened = opener([(items, 100, requests.exceptions.ConnectionError),
                                (items, 400, TruncatedBody),
                                (items, 599, requests.exceptions.ChunkedEncodingError),
                                (items, None, ValueError)])
    sleeps: list[float] = []
    body = Resumed(open_body, retrier(sleeps), "test body")
    assert list(body) == items and body.retries == 3 and len(opened) == 4
    assert sleeps == [2.0, 4.0, 8.0]  # the client's backoff, doubling


def test_a_body_breaking_off_every_time_raises_after_the_bounded_attempts():
    items = list(range(50))
    open_body, opened = opener([(items, 10, requests.exceptions.ChunkedEncodingError)])
    got: list[int] = []
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        for item in Resumed(open_body, retrier([]), "test body", attempts=3):
            got.append(item)
    assert got == list(range(10)) and len(opened) == 4


def test_a_changed_body_is_read_on_from_the_first_block_that_differs():
    first = list(range(600))
    second = [*range(300), "changed", *range(301, 800)]
    open_body, _ = opener([(first, 600 - 1, requests.exceptions.ChunkedEncodingError),
                           (second, None, ValueError)])
    body = Resumed(open_body, retrier([]), "test body", block=256)
    got = list(body)
    # blocks [0, 256) match and are skipped; [256, 512) differs: read on from 256
    assert got == first[:599] + second[256:]
    assert body.changed


def test_other_errors_are_not_read_again():
    open_body, opened = opener([(list(range(5)), 2, KeyError)])
    with pytest.raises(KeyError):
        list(Resumed(open_body, retrier([]), "test body"))
    assert len(opened) == 1
