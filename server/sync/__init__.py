"""The sync engine (`engine`), its run records and cursors (`runs`) and page prefetching.

`run_sync(store, connector)` is the entry point; the tables live in server.models.
"""

from server.sync.engine import run_sync
from server.sync.lookups import account_lookup, load_account_index, store_links
from server.sync.runs import (
    SyncBusyError,
    list_runs,
    load_state,
    reset_state,
    run_json,
    start_run,
    stream_states,
)

__all__ = ["SyncBusyError", "account_lookup", "list_runs", "load_account_index", "load_state",
           "reset_state", "run_json", "run_sync", "start_run", "store_links", "stream_states"]
