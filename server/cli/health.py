"""`account360 backtest`: did the health model predict churn? (and the settings history)"""

from __future__ import annotations

from datetime import date

import click

from server.cli.context import Context


def _day(name: str, value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)",
                                 param_hint=f"--{name}") from None


def progress_line():
    """A `progress(stage, done, total)` writing one updating line to stderr on a terminal."""
    import sys

    if not sys.stderr.isatty():
        return None

    def show(stage: str, done: int, total: int) -> None:
        click.echo(f"\r{stage}: {done:,}/{total:,} accounts observed", err=True,
                   nl=done >= total)
    return show


def period(start: str | None, end: str | None, default: tuple[date, date]) -> tuple[date, date]:
    """--start and --end as days (each defaulting to the given period's)."""
    return (_day("start", start) if start else default[0], _day("end", end) if end else default[1])


@click.command("backtest")
@click.option("--start", required=True, help="First day of the period (YYYY-MM-DD).")
@click.option("--end", required=True, help="Last day of the period (YYYY-MM-DD, not after today).")
@click.option("--horizon", default=90, show_default=True, type=int,
              help="Read the health this many days before each outcome.")
@click.option("--json", "as_json", is_flag=True, help="Print every figure as JSON.")
@click.option("--store", "keep", is_flag=True,
              help="Also store the result for the health model page (/app/health-model).")
@click.pass_obj
def backtest_cmd(ctx: Context, start: str, end: str, horizon: int, as_json: bool,
                 keep: bool) -> None:
    """Backtest the health model: outcomes vs the score, band and signals before them.

    Missing daily history is rebuilt first (and kept). Keys: docs/backtest.md.
    """
    from server.backtest import stored
    from server.backtest.report import text, to_json
    from server.backtest.service import BacktestError, backtest

    first, last = _day("start", start), _day("end", end)
    try:
        with ctx.store.session() as s:
            show = progress_line()
            data = stored.stamp(s)
            result = backtest(s, ctx.settings(), first, last, horizon,
                              progress=(lambda d, t: show("backtest", d, t)) if show else None)
            if keep:
                stored.save(s, ctx.settings(), first, last, horizon, result, data, "cli")
    except BacktestError as exc:
        raise click.BadParameter(str(exc), param_hint=f"--{exc.field}") from None
    click.echo(to_json(result) if as_json else text(result))
