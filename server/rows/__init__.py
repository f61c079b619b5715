"""Account-metrics rows: every account's current figures and its daily history, kept true.

`models` holds the tables, `build` turns an evaluation into a row, `refresh` keeps the rows
true on every write (same transaction, or a job right after a large one), `history` writes
the daily rows (daily job, backfill, stale history), and `read` answers the list, the
portfolio and the history series from the rows with indexed SQL.
"""
