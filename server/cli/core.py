"""Core commands: serve, demo, import, token, db upgrade, check-settings, snapshot."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click

from server.cli.context import Context


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8360, show_default=True, type=int)
@click.pass_obj
def serve(ctx: Context, host: str, port: int) -> None:
    """Run the API service on the configured store (use gunicorn for teams, see README)."""
    ctx.upgrade()
    ctx.close()
    run_server(ctx, host, port)


def run_server(ctx: Context, host: str, port: int, banner: str = "") -> None:
    from werkzeug.serving import make_server

    app = ctx.app()
    httpd = make_server(host, port, app, threaded=True)
    click.echo(f"{banner}account360 listening on http://{host}:{httpd.server_port}", err=True)
    try:
        httpd.serve_forever()
    except KeyboardInterrupt:
        pass


@click.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, allow_dash=True))
@click.option("--source", default="import", show_default=True, help="Source name for freshness.")
@click.option("--show-errors", default=50, show_default=True, help="Rejected lines to print.")
@click.pass_obj
def import_cmd(ctx: Context, file: str, source: str, show_errors: int) -> None:
    """Load a JSON Lines file (see import-format); exits 1 if any line was rejected."""
    from tqdm import tqdm

    from server.importer import import_lines

    store = ctx.store
    stream = sys.stdin.buffer if file == "-" else open(file, "rb")  # noqa: SIM115
    total = None if file == "-" else os.path.getsize(file)
    bar = tqdm(total=total, unit="B", unit_scale=True, desc="import",
               disable=not sys.stderr.isatty())
    try:
        with stream, bar:
            report = import_lines(store, stream, source=source, progress=bar.update)
    finally:
        bar.close()
    for err in report.errors[:show_errors]:
        click.echo(f"line {err['line']}: {err['reason']}", err=True)
    if report.rejected > show_errors:
        click.echo(f"... and {report.rejected - show_errors} more rejected lines", err=True)
    kinds = ", ".join(f"{k} {v}" for k, v in sorted(report.by_type.items()))
    click.echo(f"loaded {report.loaded}, rejected {report.rejected}" + (f" ({kinds})" if kinds else ""))
    if report.rejected:
        sys.exit(1)


@click.group("token")
def token() -> None:
    """Create, list and revoke API tokens."""


@token.command("create")
@click.option("--name", required=True, help="Who or what uses the token.")
@click.option("--scope", "scopes", multiple=True, show_default=True, default=("admin",),
              help="read, write (tasks and notes), import or admin (everything); repeat or "
                   "comma-separate for several.")
@click.option("--expires", default=None,
              help="When the token stops working: a number of days (90d), hours (12h) or a "
                   "date (YYYY-MM-DD, UTC). Default: never.")
@click.pass_obj
def token_create(ctx: Context, name: str, scopes: tuple[str, ...], expires: str | None) -> None:
    """Create a token and print it once (only its hash is stored)."""
    from server.auth import create_token, parse_expiry, parse_scopes

    try:
        chosen = parse_scopes(" ".join(scopes))
        until = parse_expiry(expires)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc
    tok = create_token(ctx.store, name, scopes=chosen, expires_at=until)
    click.echo(f"token '{name}' created (scopes: {' '.join(chosen)}"
               + (f"; expires {until:%Y-%m-%d %H:%M} UTC" if until else "")
               + "); it is shown only once:", err=True)
    click.echo(tok)


@token.command("list")
@click.pass_obj
def token_list(ctx: Context) -> None:
    """List tokens with their scopes and last use."""
    from datetime import datetime, timezone

    from server.auth import list_tokens

    for t in list_tokens(ctx.store):
        state = "revoked" if t["revoked"] else "active"
        if state == "active" and t["expires_at"] and t["expires_at"] <= datetime.now(timezone.utc):
            state = "expired"
        click.echo(f"{t['id']}\t{t['name']}\t{t['prefix']}...\t{state}\t"
                   f"{','.join(t['scopes'])}\tlast used {t['last_used_at'] or 'never'}")


@token.command("revoke")
@click.argument("token_id", type=int)
@click.pass_obj
def token_revoke(ctx: Context, token_id: int) -> None:
    """Revoke a token by id."""
    from server.auth import revoke_token

    if not revoke_token(ctx.store, token_id):
        raise click.ClickException(f"no active token with id {token_id}")
    click.echo(f"token {token_id} revoked")


@click.group("db")
def db() -> None:
    """Database maintenance."""


@db.command("upgrade")
@click.pass_obj
def db_upgrade(ctx: Context) -> None:
    """Apply pending migrations (serve and demo also do; web workers never do)."""
    ctx.upgrade()
    click.echo("database is at the latest migration")


@click.command("check-settings")
@click.pass_obj
def check_settings(ctx: Context) -> None:
    """Validate the workspace settings file and print the effective values."""
    s = ctx.settings()
    click.echo(json.dumps({"source": s.source, "currency": s.currency,
                           "key_features": {k: sorted(v) for k, v in s.metrics.key_features.items()},
                           "first_value_event": s.metrics.first_value_event}, indent=2))


@click.command("snapshot")
@click.option("--day", default=None, help="Day to snapshot (YYYY-MM-DD, default today UTC).")
@click.pass_obj
def snapshot_cmd(ctx: Context, day: str | None) -> None:
    """Write every account's history row for a day (same as `metrics daily`)."""
    from datetime import date, datetime, timezone

    from server.services.account360 import snapshot

    when = date.fromisoformat(day) if day else datetime.now(timezone.utc).date()
    with ctx.store.session() as s:
        n = snapshot(s, when, ctx.settings())
    click.echo(f"snapshot of {n} accounts for {when}")


def _other_shell(cfg: dict) -> str:
    """How to run more commands on this workspace from another shell."""
    here = Path.cwd()
    data = Path(cfg["DATA_DIR"])
    venv = Path(sys.prefix)
    lines = ["in another shell:"]
    if sys.prefix != sys.base_prefix:
        lines.append(f"  source {venv / 'bin' / 'activate'}   # puts account360 on the PATH")
    if data == here / "data":
        lines.append(f"  cd {here}   # commands run here use {data}")
    else:
        lines.append(f"  export ACCOUNT360_DATA_DIR={data}")
    lines.append("  account360 token create --name maria")
    return "\n".join(lines) + "\n"


@click.command("demo")
@click.option("--accounts", default=240, show_default=True)
@click.option("--events", default=600_000, show_default=True)
@click.option("--seed", default=360, show_default=True)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8360, show_default=True, type=int)
@click.option("--no-serve", is_flag=True, help="Build the workspace and exit.")
@click.pass_obj
def demo(ctx: Context, accounts: int, events: int, seed: int, host: str, port: int,
         no_serve: bool) -> None:
    """Build a seeded synthetic workspace through the import path, print a token, serve."""
    from server.auth import create_token
    from server.demo import DEMO_SETTINGS, build_demo

    cfg = ctx.cfg()
    Path(cfg["DATA_DIR"]).mkdir(parents=True, exist_ok=True)
    if not cfg["SETTINGS"]:
        settings_path = Path(cfg["DATA_DIR"]) / "demo-settings.toml"
        settings_path.write_text(DEMO_SETTINGS)
        os.environ["ACCOUNT360_SETTINGS"] = str(settings_path)
        cfg["SETTINGS"] = str(settings_path)
    store = ctx.upgrade()
    report = build_demo(store, accounts=accounts, events=events, seed=seed,
                        data_dir=Path(cfg["DATA_DIR"]), echo=lambda line: click.echo(line, err=True))
    tok = create_token(store, "demo")
    banner = (f"demo workspace: {report}\n"
              f"API token: {tok}\n"
              f"try: curl -H 'Authorization: Bearer {tok}' "
              f"'http://{host}:{port}/api/v1/accounts?limit=5'\n"
              f"widget preview: http://{host}:{port}/preview?id=acc-0001#token={tok}\n"
              f"{_other_shell(cfg)}")
    if no_serve:
        click.echo(banner.rstrip())
        return
    run_server(ctx, host, port, banner=banner)

