"""`account360 metrics ...`: the daily job, the history backfill and a full refresh."""

from __future__ import annotations

import sys
from datetime import date

import click

from server.cli.context import Context


@click.group("metrics")
def metrics() -> None:
    """The account-metrics rows: daily history, backfill, refresh."""


def _queue(ctx: Context, name: str, **kwargs) -> None:
    from server.jobs.queue import defer

    with ctx.store.session() as s:
        jid = defer(s, name, store=ctx.store, **kwargs)
    click.echo(f"{name}: queued as job {jid}" if jid else f"{name}: already queued")


@metrics.command("daily")
@click.option("--day", default=None, help="Day (YYYY-MM-DD, default today UTC).")
@click.option("--background", is_flag=True,
              help="Queue it as a job for the workers instead of running it here.")
@click.pass_obj
def daily_cmd(ctx: Context, day: str | None, background: bool) -> None:
    """Write the day's history row of every account (idempotent). The job queue runs it
    every day (ACCOUNT360_METRICS_DAILY_CRON); run it by hand to redo a day.

    Stale history (late data about past days) is rebuilt first; for today every account's
    current row is refreshed too.
    """
    from server.message_ingest import purge_text
    from server.models import utcnow
    from server.rows.history import daily

    if background:
        _queue(ctx, "metrics.daily", day=day)
        return

    when = date.fromisoformat(day) if day else None
    settings = ctx.settings()
    with ctx.store.session() as s:
        erased = purge_text(s, settings.messages, utcnow())
        n = daily(s, settings, when)
    click.echo(f"history rows of {n} accounts for {when or 'today'}"
               + (f"; text erased from {erased} messages past retention" if erased else ""))


@metrics.command("backfill")
@click.option("--days", required=True, type=click.IntRange(1, 3660),
              help="How many days back from --end (included).")
@click.option("--end", default=None, help="Last day (YYYY-MM-DD, default today UTC).")
@click.option("--restart", is_flag=True, help="Start over instead of resuming.")
@click.option("--background", is_flag=True,
              help="Queue it as a job for the workers instead of running it here.")
@click.pass_obj
def backfill_cmd(ctx: Context, days: int, end: str | None, restart: bool,
                 background: bool) -> None:
    """Rebuild the daily history of every account from the stored records (resumable)."""
    from tqdm import tqdm

    if background:
        _queue(ctx, "metrics.backfill", days=days, end=end, restart=restart)
        return

    from server.rows.history import backfill

    bar = tqdm(unit="accounts", desc="backfill", disable=not sys.stderr.isatty())

    def progress(done: int, total: int) -> None:
        bar.total = total
        bar.n = done
        bar.refresh()

    try:
        state = backfill(ctx.store, ctx.settings(), days,
                         date.fromisoformat(end) if end else None, progress, restart)
    finally:
        bar.close()
    click.echo(f"backfill {state['first']}..{state['last']}: {state['rows']} history rows")


@metrics.command("refresh")
@click.pass_obj
def refresh_cmd(ctx: Context) -> None:
    """Recompute every account's current row now."""
    from server.rows.refresh import refresh

    with ctx.store.session() as s:
        n = refresh(s, None, ctx.settings())
    click.echo(f"refreshed {n} accounts")
