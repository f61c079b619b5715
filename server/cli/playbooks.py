"""`account360 playbooks ...`: preview, run, the daily digest and the stored secrets."""

from __future__ import annotations

import json
import sys
from datetime import date

import click

from server.cli.context import Context


def _day(value: str | None) -> date:
    from server.rows.refresh import today

    if not value:
        return today()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"not a date YYYY-MM-DD: {value!r}") from None


def _env(ctx: Context):
    from server.playbooks.service import Env
    from server.secrets import Vault

    return Env(ctx.store, ctx.cfg(), Vault.from_config(ctx.cfg()))


def _file(ctx: Context, path: str | None):
    """The named file (a draft: read only), else the workspace's file (an edit on disk is
    recorded as a version)."""
    from pathlib import Path

    from server.playbooks.spec import PlaybookFileError, load
    from server.playbooks.store import load_file
    from server.secrets import Vault

    configured = ctx.cfg().get("PLAYBOOKS")
    path = path or configured
    if not path:
        raise click.ClickException("no playbooks file: set ACCOUNT360_PLAYBOOKS or name one")
    try:
        if configured and Path(path).resolve() == Path(configured).resolve():
            return load_file(ctx.store, Vault.from_config(ctx.cfg()), path)
        return load(path)
    except PlaybookFileError as exc:
        raise click.ClickException("the playbooks file is invalid, nothing runs:\n  "
                                   + "\n  ".join(exc.errors)) from None


@click.group("playbooks")
def playbooks() -> None:
    """Playbooks: early warnings turned into tasks, Slack and email, once per episode."""


@playbooks.command("preview")
@click.argument("file", required=False, type=click.Path(dir_okay=False))
@click.option("--as-of", "as_of", default=None, help="Day (YYYY-MM-DD, default today UTC).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def preview_cmd(ctx: Context, file: str | None, as_of: str | None, as_json: bool) -> None:
    """List the accounts each playbook fires on and the actions `run` would take; changes
    nothing."""
    from server.playbooks.service import preview

    pf = _file(ctx, file)
    items = preview(_env(ctx), pf, _day(as_of))
    if as_json:
        click.echo(json.dumps(items, default=str, indent=2))
        return
    for it in items:
        state = "would act" if it["acts"] else "already acted"
        click.echo(f"{it['playbook']}\t{it['account_id']}\t{it['account_name']}\t"
                   f"episode since {it['episode_start']}\t{state}")
        for a in it["actions"]:
            what = a.get("subject") or a.get("text") or ""
            to = a.get("target") or ", ".join(a.get("to") or []) or a.get("owner") or ""
            click.echo(f"  {a['index'] + 1}. {a['kind']}{' (done)' if a['done'] else ''}: "
                       f"{what}" + (f" -> {to}" if to else ""))
    acts = sum(1 for it in items if it["acts"])
    click.echo(f"{len(items)} firings, {acts} would act", err=True)


@playbooks.command("run")
@click.option("--as-of", "as_of", default=None, help="Day (YYYY-MM-DD, default today UTC).")
@click.pass_obj
def run_cmd(ctx: Context, as_of: str | None) -> None:
    """Fire every playbook once per episode (idempotent: safe to run often and in parallel)."""
    from server.playbooks.service import run

    pf = _file(ctx, None)
    out = run(_env(ctx), pf, _day(as_of), trigger="cli")
    c = out["counts"]
    for it in out["acted"]:
        click.echo(f"{it['playbook']}\t{it['account_id']}\tepisode since "
                   f"{it['episode_start']}\tactions {','.join(str(i + 1) for i in it['actions'])}")
    click.echo(f"run {out['run_id']} as of {out['as_of']}: {c['firings']} firings, "
               f"{c['new_episodes']} new episodes, {c['actions']} actions ({c['sent']} sent, "
               f"{c['retrying']} to retry, {c['failed']} failed), {c['retried']} retried")


@playbooks.command("digest")
@click.option("--as-of", "as_of", default=None, help="Day (YYYY-MM-DD, default today UTC).")
@click.option("--dry-run", is_flag=True, help="Print the digests; send nothing.")
@click.pass_obj
def digest_cmd(ctx: Context, as_of: str | None, dry_run: bool) -> None:
    """The daily digest per CSM (new signals, renewals in 90 days, overdue tasks)."""
    from server.playbooks.digest import send

    pf = _file(ctx, None)
    for item in send(_env(ctx), pf, _day(as_of), dry_run=dry_run):
        click.echo(item["text"])
        for channel, state in item["channels"].items():
            click.echo(f"  {channel}: {state}", err=True)


@playbooks.group("secret")
def secret() -> None:
    """Secrets the playbooks file names as secret:NAME (stored encrypted)."""


@secret.command("set")
@click.argument("name")
@click.pass_obj
def secret_set(ctx: Context, name: str) -> None:
    """Store a secret read from the first line of stdin (or a hidden prompt)."""
    from server.playbooks.store import set_secret
    from server.secrets import Vault

    value = (sys.stdin.readline().rstrip("\r\n") if not sys.stdin.isatty()
             else click.prompt("Value", hide_input=True))
    try:
        with ctx.store.session() as s:
            set_secret(s, Vault.from_config(ctx.cfg()), name, value, "cli")
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"secret {name} stored (use secret:{name} in the playbooks file)")


@secret.command("list")
@click.pass_obj
def secret_list(ctx: Context) -> None:
    """Names of the stored secrets (never their values)."""
    from server.playbooks.store import secret_names

    with ctx.store.sessions() as s:
        for item in secret_names(s):
            click.echo(f"{item['name']}\t{item['updated_by']}\t{item['updated_at']:%Y-%m-%d %H:%M}")


@secret.command("delete")
@click.argument("name")
@click.pass_obj
def secret_delete(ctx: Context, name: str) -> None:
    from server.playbooks.store import delete_secret

    with ctx.store.session() as s:
        if not delete_secret(s, name):
            raise click.ClickException(f"no stored secret named {name}")
    click.echo(f"secret {name} deleted")
