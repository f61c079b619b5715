"""`account360 settings ...`: settings as code (apply a file, history, roll back, preview)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from server.cli.context import Context


def _who(ctx: Context, by: str | None, token_stdin: bool) -> str:
    """The acting admin (--by EMAIL of an admin user, or an admin API token on stdin)."""
    from server.services.users import NotAdmin, acting_admin

    token = sys.stdin.readline() if token_stdin else None
    try:
        return acting_admin(ctx.store, by, token)
    except NotAdmin as exc:
        raise click.ClickException(f"{exc} (nothing was changed)") from None


def _actor_options(fn):
    fn = click.option("--token-stdin", is_flag=True,
                      help="Read an admin API token from stdin: it names who acts.")(fn)
    return click.option("--by", default=None, metavar="EMAIL",
                        help="The admin user who acts (an enabled admin of this workspace).")(fn)


def _show(value) -> str:
    return "(default)" if value is None else json.dumps(value)


def diff_lines(changes: list[dict]) -> list[str]:
    """One line per changed key: `key: before -> after`."""
    return [f"  {c['key']}: {_show(c['before'])} -> {_show(c['after'])}" for c in changes] \
        or ["  (no change in the effective values)"]


@click.group("settings")
def settings_group() -> None:
    """Workspace settings as code: apply a file, history, roll back, preview."""


def _done(ctx: Context, row, new, verb: str) -> None:
    if row is None:
        click.echo("unchanged: these settings are already the current version")
        return
    from server.backtest.stored import request_default

    ctx.use_settings(new)
    with ctx.store.session() as s:      # the health model page's backtest with them
        request_default(s, ctx.store, new, row.applied_by,
                        int(ctx.cfg()["PREVIEW_INLINE_ACCOUNTS"]))
    click.echo(f"{verb} settings version {row.id} (digest {row.digest}) by {row.applied_by}")
    click.echo("\n".join(diff_lines(row.diff)))
    click.echo("metrics rows are recomputed with it on their next read "
               "(or now: account360 metrics refresh)")


@settings_group.command("apply")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@_actor_options
@click.pass_obj
def apply_cmd(ctx: Context, file: Path, by: str | None, token_stdin: bool) -> None:
    """Validate FILE and make it the new settings version (who, when and the diff recorded).

    Only an admin applies settings: --by EMAIL of an admin user, or --token-stdin with an
    admin API token. A bad file is refused with the key named, and nothing changes.
    """
    from server.settings import SettingsError
    from server.settings_history import apply

    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise click.ClickException(f"settings: cannot read {file}: {exc}") from exc
    who = _who(ctx, by, token_stdin)
    current = ctx.settings()
    try:
        with ctx.store.session() as s:
            row, new = apply(s, text, who, "cli", current)
    except SettingsError as exc:
        raise click.ClickException(f"{exc} (nothing was changed)") from exc
    _done(ctx, row, new, "applied")


@settings_group.command("rollback")
@click.argument("version", type=int)
@_actor_options
@click.pass_obj
def rollback_cmd(ctx: Context, version: int, by: str | None, token_stdin: bool) -> None:
    """Make an earlier version current again (recorded as a new version); admins only, as
    for apply."""
    from server.settings import SettingsError
    from server.settings_history import rollback

    who = _who(ctx, by, token_stdin)
    current = ctx.settings()
    try:
        with ctx.store.session() as s:
            row, new = rollback(s, version, who, current)
    except SettingsError as exc:
        raise click.ClickException(f"{exc} (nothing was changed)") from exc
    _done(ctx, row, new, f"restored version {version} as")


@settings_group.command("history")
@click.option("--json", "as_json", is_flag=True, help="Print the versions as JSON.")
@click.pass_obj
def history_cmd(ctx: Context, as_json: bool) -> None:
    """Every applied settings version, newest first: who, when, what changed."""
    from server.backtest.report import to_json
    from server.settings_history import history

    with ctx.store.session() as s:
        items = history(s)
    if as_json:
        click.echo(to_json(items))
        return
    if not items:
        click.echo(f"no settings version applied yet: the settings come from "
                   f"{ctx.settings().source or 'the defaults'}")
        return
    for v in items:
        how = f"rollback to version {v['restored']}" if v["restored"] else v["source"]
        click.echo(f"version {v['version']}  {v['applied_at'].isoformat(timespec='seconds')}  {v['applied_by']}  "
                   f"{how}  digest {v['digest']}")
        click.echo("\n".join(diff_lines(v["diff"])))


@settings_group.command("preview")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--start", default=None, help="Backtest from (default: 364 days before --end).")
@click.option("--end", default=None, help="Backtest until (default: today).")
@click.option("--horizon", default=90, show_default=True, type=int)
@click.option("--json", "as_json", is_flag=True, help="Print the preview as JSON.")
@click.pass_obj
def preview_cmd(ctx: Context, file: Path, start: str | None, end: str | None, horizon: int,
                as_json: bool) -> None:
    """What FILE would change, saving nothing: band moves, signals, backtests side by side."""
    from server.backtest.preview import default_period, preview
    from server.backtest.report import preview_text, to_json
    from server.backtest.service import BacktestError
    from server.cli.health import period, progress_line
    from server.models import utcnow
    from server.settings import SettingsError
    from server.settings_history import parse_text

    try:
        proposed = parse_text(file.read_text(encoding="utf-8"), str(file))
    except (OSError, UnicodeDecodeError) as exc:
        raise click.ClickException(f"settings: cannot read {file}: {exc}") from exc
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from exc
    today = utcnow().date()
    first, last = period(start, end, default_period(today))
    try:
        with ctx.store.session() as s:
            result = preview(s, ctx.settings(), proposed, first, last, horizon, today,
                             progress=progress_line())
    except BacktestError as exc:
        raise click.BadParameter(str(exc), param_hint=f"--{exc.field}") from None
    click.echo(to_json(result) if as_json else preview_text(result))
