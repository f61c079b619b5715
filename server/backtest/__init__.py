"""Backtest of the health model: did the score, band and signals predict what happened?

`outcomes` and `figures` are pure (plain inputs, no database, no Flask); `service` reads the
store (ARR timelines, the daily history, rebuilt by the bulk evaluation when missing) and
`preview` compares the current settings with a proposed settings file. The JSON keys are
documented in docs/backtest.md.
"""
