"""Connector commands: `account360 sync`, `check` and `writeback`."""

from __future__ import annotations

import sys
import typing as t

import click

from server.cli.context import Context


class TqdmProgress:
    """One progress bar per stream on a terminal (records landed)."""

    def __init__(self, connector: str, enabled: bool | None = None) -> None:
        self.connector = connector
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self.bar = None

    def __call__(self, event: str, stream: str, counts: dict) -> None:
        if not self.enabled:
            return
        from tqdm import tqdm

        if event == "start":
            self.bar = tqdm(desc=f"{self.connector}/{stream}", unit=" rec", leave=True)
        elif self.bar is not None:
            self.bar.n = counts["records"] + counts["skipped"]
            self.bar.set_postfix(skipped=counts["skipped"], deleted=counts["deleted"],
                                 refresh=False)
            self.bar.refresh()
            if event == "end":
                self.bar.close()
                self.bar = None


def _echo_report(report: dict) -> None:
    click.echo(f"{report['connector']}: run {report['id']} {report['status']}")
    for name, c in report["streams"].items():
        line = (f"  {name}: {c['status']}, {c['records']} records, {c['skipped']} skipped, "
                f"{c['deleted']} deleted")
        if c.get("unmapped"):
            line += f", {c['unmapped']} not matched to an account"
        if c.get("parked"):
            line += f", {c['parked']} parked until their account lands"
        if c.get("unparked"):
            line += f", {c['unparked']} landed from the park"
        click.echo(line)
        for item in c.get("skipped_samples", [])[:10]:
            click.echo(f"    skipped {item.get('type') or 'record'} {item.get('vendor_id')}: "
                       f"{item.get('reason')}")
        if c.get("unmapped_keys"):
            top = ", ".join(f"{k} ({v})" for k, v in list(c["unmapped_keys"].items())[:5])
            click.echo(f"    unmatched keys: {top}")
        for err in c.get("errors", []):
            click.echo(f"    error: {err.get('text') or err.get('message')}")
    waiting = report.get("parked") or {}
    if waiting:
        click.echo("  parked, waiting for their account: " + ", ".join(
            f"{n} {rtype}" for rtype, n in waiting.items()))


def _build(name: str, workspace: t.Any) -> t.Any:
    from connectors.errors import ConnectorError
    from connectors.registry import build_connector

    try:
        return build_connector(name, workspace)
    except ConnectorError as exc:
        raise click.ClickException(f"{name}: {exc}") from exc


@click.command("sync")
@click.argument("connector", required=False)
@click.option("--stream", "streams", multiple=True, help="Only this stream (repeatable).")
@click.option("--full", is_flag=True, help="Ignore saved cursors and re-read everything.")
@click.option("--no-writeback", is_flag=True, help="Do not write pending tasks back to the CRM.")
@click.pass_obj
def sync_cmd(ctx: Context, connector: str | None, streams: tuple[str, ...], full: bool,
             no_writeback: bool) -> None:
    """Sync CONNECTOR (default: every configured connector) into the store."""
    from connectors.errors import ConnectorError
    from connectors.registry import configured_connectors
    from server.sync import SyncBusyError, run_sync

    if streams and not connector:
        raise click.UsageError("--stream needs a CONNECTOR")
    names = [connector] if connector else configured_connectors()
    if not names:
        raise click.ClickException("no connector is configured (set e.g. HUBSPOT_ACCESS_TOKEN); "
                                   "see docs/connectors-crm.md")
    workspace = ctx.settings()
    ok = True
    for name in names:
        conn = _build(name, workspace)
        try:
            report = run_sync(ctx.store, conn, list(streams) or None, full=full,
                              progress=TqdmProgress(name))
            _echo_report(report)
            ok = ok and report["status"] == "success"
            if not no_writeback and hasattr(conn, "create_task"):
                ok = _writeback(ctx.store, conn) and ok
        except (ConnectorError, SyncBusyError) as exc:
            raise click.ClickException(str(exc)) from exc
        finally:
            conn.close()
    if not ok:
        sys.exit(1)


def _writeback(store: t.Any, conn: t.Any) -> bool:
    from server.services.writeback import run_writeback

    result = run_writeback(store, conn)
    if result["attempted"]:
        click.echo(f"{conn.name}: write-back {result['synced']} tasks created, "
                   f"{result['failed']} failed")
        for item in result["errors"][:10]:
            click.echo(f"    task {item['task_id']}: {item['error']}")
    return result["failed"] == 0


@click.command("writeback")
@click.argument("connector", required=False)
@click.pass_obj
def writeback_cmd(ctx: Context, connector: str | None) -> None:
    """Create pending and failed tasks in the CRM of their account (HubSpot, Salesforce)."""
    from connectors.registry import configured_connectors, get_connector

    names = [connector] if connector else [
        n for n in configured_connectors() if hasattr(get_connector(n), "create_task")]
    if not names:
        raise click.ClickException("no CRM connector is configured")
    ok = True
    for name in names:
        conn = _build(name, ctx.settings())
        if not hasattr(conn, "create_task"):
            raise click.ClickException(f"{name} does not take tasks")
        try:
            ok = _writeback(ctx.store, conn) and ok
        finally:
            conn.close()
    if not ok:
        sys.exit(1)


@click.command("check")
@click.argument("connector")
@click.pass_obj
def check_cmd(ctx: Context, connector: str) -> None:
    """Make one authenticated call to CONNECTOR and say whether it works; for HubSpot, also
    list the token's scopes and name the ones a stream needs that it lacks (exit 1)."""
    from connectors.errors import ConnectorError
    from connectors.registry import build_connector

    report = None
    try:
        conn = build_connector(connector, ctx.settings())
        try:
            conn.check()
            if hasattr(conn, "preflight"):
                report = conn.preflight()
        finally:
            conn.close()
    except ConnectorError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{connector}: ok")
    if report is not None:
        click.echo(f"{connector}: {len(report['granted'])} scopes granted "
                   f"({report['source']}): {', '.join(report['granted'])}")
        if report["missing"]:
            for stream, scopes in report["missing"].items():
                click.echo(f"{connector}: missing for {stream}: {', '.join(scopes)}")
            raise click.ClickException(
                f"{connector}: the token lacks scopes some streams read (above); those "
                "streams will fail until the app is granted them")
        click.echo(f"{connector}: every stream's scopes are granted")

