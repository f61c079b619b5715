"""The cyclic garbage collector in a serving process.

What exists when a process serves its first request (the modules, the app, SQLAlchemy's
metadata, the store) lives as long as the process, yet every full collection walks it again:
about 156k objects, 50-120 ms of CPU on the 2-core reference machine, spent inside whichever
request happens to trigger the collection (a p99 sample of the portfolio, bench/README.md).
Before its first request a process freezes them (`gc.freeze`): the collector's generations
then hold only what was allocated since. Not under tests (many apps in one process, each
meant to be collected)."""

from __future__ import annotations

import gc
import threading

from flask import Flask

_lock = threading.Lock()
_frozen = False


def init_app(app: Flask) -> None:
    @app.before_request
    def _freeze_startup_objects() -> None:
        if _frozen or app.testing:
            return
        freeze()


def freeze() -> None:
    """Move every object tracked so far out of the collector's generations, once."""
    global _frozen
    with _lock:
        if not _frozen:
            gc.freeze()
            _frozen = True
