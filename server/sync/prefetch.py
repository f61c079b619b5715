"""Fetching ahead: a stream's page generator runs in a thread, a few pages ahead."""

from __future__ import annotations

import copy
import queue
import threading
from collections import Counter
from collections.abc import Iterator

#: Pages a stream may fetch ahead of the one being landed.
PREFETCH_PAGES = 2


class Prefetch:
    """Runs a stream's page generator in a thread, `depth` pages ahead of the landing.

    Vendor calls (network waits, JSON decoding) overlap with the database work of the
    previous page. Each page is snapshotted when it is yielded, so a generator that
    reuses its state dict or record list between pages is seen exactly as the engine
    would see it without prefetching. A vendor error surfaces after the pages before it.
    """

    def __init__(self, pages: Iterator, depth: int = PREFETCH_PAGES) -> None:
        self.pages = pages
        self.queue: queue.Queue = queue.Queue(maxsize=depth)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._produce, name="sync-prefetch", daemon=True)
        self.thread.start()

    def _put(self, item: tuple) -> bool:
        while not self.stop.is_set():
            try:
                self.queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _produce(self) -> None:
        try:
            for page in self.pages:
                snap = type(page)(list(page.records), copy.deepcopy(page.state),
                                  list(page.deletions), list(page.skipped),
                                  Counter(page.unmapped), list(page.warnings))
                if not self._put(("page", snap)):
                    return
            self._put(("end", None))
        except BaseException as exc:  # handed to the consumer, raised there
            self._put(("error", exc))
        finally:
            close = getattr(self.pages, "close", None)
            if close is not None and self.stop.is_set():
                close()

    def __iter__(self) -> Iterator:
        while True:
            kind, value = self.queue.get()
            if kind == "page":
                yield value
            elif kind == "end":
                return
            else:
                raise value

    def close(self) -> None:
        self.stop.set()
        self.thread.join(timeout=30)
