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
@click.option("--once", is_flag=True, help="Run the jobs waiting now (and the periodic ones due), "
              "then exit (embedded queue), or until the queue is empty (procrastinate).")
@click.option("--poll", default=5.0, show_default=True,
              help="Seconds between queue checks (embedded queue).")
@click.option("--concurrency", type=click.IntRange(1, 64), default=None,
              help="Jobs run at a time [default: ACCOUNT360_WORKER_CONCURRENCY].")
@click.pass_obj
def worker_cmd(ctx: Context, once: bool, poll: float, concurrency: int | None) -> None:
    """Run background jobs: connector syncs (queued and scheduled), the daily metrics job,
    backfills, large imports. With ACCOUNT360_JOB_QUEUE=procrastinate run any number of
    these on any machines; with the embedded queue set ACCOUNT360_SCHEDULER=off on the web
    processes when you run this."""
    from server.admin import admin_state
    from server.jobs import run_worker

    app = ctx.app()
    rt = admin_state(app).runner.rt
    stop = threading.Event()
    if rt.store.job_queue == "embedded":
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
    logging.getLogger(__name__).info("worker started (%s queue)", rt.store.job_queue)
    run_worker(rt, concurrency or int(rt.cfg.get("WORKER_CONCURRENCY") or 4), poll_seconds=poll,
               once=once, stop=stop)
