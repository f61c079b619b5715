"""Resuming a streamed export body that broke off, within the same run.

A Mixpanel export or a Pendo aggregation answer is read as it arrives. When the connection
drops or the body is cut short, the request is sent again (a bounded number of times, with
the client's backoff) and reading resumes at the item after the last one handed over: every
item reaches the connector once, so records, skipped lines and unmapped keys are counted
once, as in an unbroken read.

The position is the number of items handed over, checked on the new body before it is
skipped: the items already handed over are compared block by block (a digest per
`BLOCK` items, never the items themselves, so memory stays flat). Should the vendor answer
a different body the second time (events arrived meanwhile, another order), reading goes
on from the first block that differs and hands its items over again; the store's
deduplication of events keeps the figures exact then too.
"""

from __future__ import annotations

import hashlib
import logging
import typing as t
from collections.abc import Callable, Iterable, Iterator

import requests

from connectors.streaming import TruncatedBody

log = logging.getLogger(__name__)

#: Extra attempts at one body after it broke off, within the run.
BODY_RETRIES = 3
#: Items per verified block.
BLOCK = 256


#: Failures while a body streams that mean "it broke off": read it again.
BROKE_OFF: tuple[type[BaseException], ...] = (
    requests.exceptions.ChunkedEncodingError, requests.exceptions.ConnectionError,
    requests.exceptions.ContentDecodingError, requests.exceptions.Timeout, TruncatedBody)

#: open() -> the body's items as (bytes identifying the item, item).
Opener = Callable[[], Iterable[tuple[bytes, t.Any]]]


def _digest(raws: list[bytes]) -> bytes:
    return hashlib.blake2b(b"\x00".join(raws), digest_size=16).digest()


class Resumed:
    """The items of one streamed body, each handed over once across attempts.

    `open()` sends the request and yields `(raw, item)`: `raw` identifies the item (the
    line's bytes, a row's canonical JSON). `retrier` is the HTTP client's `Retrier` (its
    backoff and sleep). `retries` counts the attempts made after a break.
    """

    def __init__(self, open: Opener, retrier: t.Any, what: str,
                 attempts: int = BODY_RETRIES, block: int = BLOCK) -> None:
        self.open, self.retrier, self.what = open, retrier, what
        self.attempts, self.block = attempts, block
        self.handed = 0
        self.blocks: list[bytes] = []   # digest of each full block handed over
        self.current: list[bytes] = []  # the items of the partial block handed over
        self.retries = 0
        self.changed = False            # a later body differed from the one handed over

    def _expected(self, index: int) -> bytes:
        return self.blocks[index] if index < len(self.blocks) else _digest(self.current)

    def __iter__(self) -> Iterator[t.Any]:
        while True:
            try:
                yield from self._attempt()
                return
            except BROKE_OFF as exc:
                if self.retries >= self.attempts:
                    raise
                self.retries += 1
                wait = self.retrier.backoff(self.retries)
                log.warning("%s broke off after %d items (%s); reading it again from there "
                            "in %.1fs (attempt %d of %d)", self.what, self.handed,
                            type(exc).__name__, wait, self.retries, self.attempts)
                self.retrier.sleep(wait)

    def _attempt(self) -> Iterator[t.Any]:
        items = iter(self.open())
        yield from self._verify(items)
        block, current, blocks = self.block, self.current, self.blocks
        for raw, item in items:
            current.append(raw)
            self.handed += 1
            if len(current) == block:
                blocks.append(_digest(current))
                current.clear()
            yield item

    def _verify(self, items: Iterator[tuple[bytes, t.Any]]) -> Iterator[t.Any]:
        """Read the items already handed over again, comparing them block by block; from
        the first block that differs, hand its items over again (the body changed)."""
        skip = self.handed
        pos = 0
        held: list[tuple[bytes, t.Any]] = []
        while pos < skip:
            try:
                raw, item = next(items)
            except StopIteration:
                return   # the new body is shorter: nothing more to read
            pos += 1
            held.append((raw, item))
            if pos % self.block and pos != skip:
                continue
            index = (pos - 1) // self.block
            if _digest([r for r, _ in held]) == self._expected(index):
                held = []
                continue
            self.changed = True
            log.warning("%s: the body read again differs from the first answer at item %d; "
                        "the rest is read again (the store drops duplicates)", self.what,
                        index * self.block)
            self.handed = index * self.block
            del self.blocks[index:]
            self.current.clear()
            for raw, item in held:
                self.current.append(raw)
                self.handed += 1
                if len(self.current) == self.block:
                    self.blocks.append(_digest(self.current))
                    self.current.clear()
                yield item
            return
