"""`account360 messages ...`: the message policy's retention."""

from __future__ import annotations

import click

from server.cli.context import Context


@click.group("messages")
def messages() -> None:
    """Messages (emails, tickets, chats, calls, meetings, notes) and their stored text."""


@messages.command("purge")
@click.pass_obj
def purge_cmd(ctx: Context) -> None:
    """Erase the text the message policy no longer keeps (past `retention_days`, or all of it
    with `text = "none"`); scores stay. `metrics daily` runs this too."""
    from server.message_ingest import purge_text
    from server.models import utcnow

    with ctx.store.session() as s:
        n = purge_text(s, ctx.settings().messages, utcnow())
    click.echo(f"text erased from {n} messages")
