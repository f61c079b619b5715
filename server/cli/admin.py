"""Admin-app commands: `account360 admin create|list` and `account360 worker`."""

from __future__ import annotations

import logging
import signal
import sys
import threading

import click

from server.cli.context import Context


@click.group("admin")
def admin_group() -> None:
    """Admin-app users."""


@admin_group.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice(["admin", "lead", "csm"]), default="admin",
              show_default=True)
@click.option("--password-stdin", is_flag=True,
              help="Read the password from the first line of stdin instead of prompting.")
@click.pass_obj
def admin_create(ctx: Context, email: str, role: str, password_stdin: bool) -> None:
    """Create a user who signs in at http://<server>/ (prompts for the password)."""
    if password_stdin or not sys.stdin.isatty():
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    from server.services.users import UserError, create_user

    try:
        create_user(ctx.store, email, role, password=password)
    except UserError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{email.strip().lower()} created ({role}); sign in at the server's address")


@admin_group.command("list")
@click.pass_obj
def admin_list(ctx: Context) -> None:
    """List users."""
    from sqlalchemy import select

    from server.admin.models import User

    with ctx.store.sessions() as s:
        for u in s.scalars(select(User).order_by(User.email)):
            state = "disabled" if u.disabled else ("invited" if not u.password_hash else "active")
            click.echo(f"{u.id}\t{u.email}\t{u.role}\t{state}")


@click.command("worker")
@click.option("--once", is_flag=True, help="Run one pass (queued and due syncs), then exit.")
@click.option("--poll", default=5.0, show_default=True, help="Seconds between queue checks.")
@click.pass_obj
def worker_cmd(ctx: Context, once: bool, poll: float) -> None:
    """Run queued and scheduled connector syncs (set ACCOUNT360_SCHEDULER=off on the web
    processes when you run this)."""
    from server.admin import admin_state

    app = ctx.app()
    runner = admin_state(app).runner
    runner.poll_seconds = poll
    if once:
        for th in runner.tick():
            th.join()
        return
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    logging.getLogger(__name__).info("worker started")
    runner.start()
    try:
        while not stop.wait(1.0):
            pass
    except KeyboardInterrupt:
        pass
    runner.stop()

