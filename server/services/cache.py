"""The 360 cache shared by the request threads of one process."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Any

from cachetools import TTLCache


class SharedCache:
    """A TTL cache behind one lock: cachetools caches are not thread-safe.

    The 360 key carries the account's change stamp (`Account.updated_at`), so a write never
    has to find and drop stale entries: they are no longer asked for and age out.
    """

    def __init__(self, maxsize: int, ttl: float,
                 timer: Callable[[], float] = time.monotonic) -> None:
        self._data: TTLCache = TTLCache(maxsize=maxsize, ttl=ttl, timer=timer)
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Any:
        with self._lock:
            return self._data.get(key)

    def put(self, key: Hashable, value: Any) -> None:
        with self._lock:
            self._data[key] = value

    def clear(self) -> None:
        """Drop every entry (the workspace settings changed)."""
        with self._lock:
            self._data.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._data)
