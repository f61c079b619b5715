"""CLI commands the service attaches: `account360 sync`, `check` and `writeback`."""

from __future__ import annotations

import sys
import typing as t

import click


def _ctx_obj() -> t.Any:
    ctx = click.get_current_context()
    root = ctx.find_root()
    if root.obj is None:
        from server.cli import Context

        root.obj = Context()
    return root.obj


def build_connector(name: str, workspace: t.Any = None) -> t.Any:
    """Instantiate a registered connector from its environment variables."""
    from connectors.registry import get_connector

    return get_connector(name).from_env(workspace=workspace)


CRM_FIRST = ("hubspot", "salesforce")


def configured_connectors() -> list[str]:
    """Connectors with at least one of their environment variables set."""
    from connectors.registry import available_connectors, get_connector

    names = [n for n in available_connectors() if get_connector(n).configured()]
    # CRMs first: they load the accounts the usage and support connectors attribute to
    return sorted(names, key=lambda n: (n not in CRM_FIRST, n))


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
        click.echo(line)
        for item in c.get("skipped_samples", [])[:10]:
            click.echo(f"    skipped {item.get('type') or 'record'} {item.get('vendor_id')}: "
                       f"{item.get('reason')}")
        if c.get("unmapped_keys"):
            top = ", ".join(f"{k} ({v})" for k, v in list(c["unmapped_keys"].items())[:5])
            click.echo(f"    unmatched keys: {top}")
        for err in c.get("errors", []):
            click.echo(f"    error: {err.get('message')}")


@click.command("sync")
@click.argument("connector", required=False)
@click.option("--stream", "streams", multiple=True, help="Only this stream (repeatable).")
@click.option("--full", is_flag=True, help="Ignore saved cursors and re-read everything.")
@click.option("--no-writeback", is_flag=True, help="Do not write pending tasks back to the CRM.")
def sync_cmd(connector: str | None, streams: tuple[str, ...], full: bool,
             no_writeback: bool) -> None:
    """Sync CONNECTOR (default: every configured connector) into the store."""
    from connectors.errors import ConnectorError
    from server.sync import SyncBusyError, run_sync

    obj = _ctx_obj()
    if streams and not connector:
        raise click.UsageError("--stream needs a CONNECTOR")
    names = [connector] if connector else configured_connectors()
    if not names:
        raise click.ClickException("no connector is configured (set e.g. HUBSPOT_ACCESS_TOKEN); "
                                   "see docs/connectors-crm.md")
    workspace = obj.settings()
    ok = True
    for name in names:
        try:
            conn = build_connector(name, workspace)
        except ConnectorError as exc:
            raise click.ClickException(f"{name}: {exc}") from exc
        try:
            report = run_sync(obj.store, conn, list(streams) or None, full=full,
                              progress=TqdmProgress(name))
            _echo_report(report)
            ok = ok and report["status"] == "success"
            if not no_writeback and hasattr(conn, "create_task"):
                ok = _writeback(obj.store, conn) and ok
        except (ConnectorError, SyncBusyError) as exc:
            raise click.ClickException(str(exc)) from exc
        finally:
            conn.close()
    if not ok:
        sys.exit(1)


def _writeback(store: t.Any, conn: t.Any) -> bool:
    from connectors.writeback import run_writeback

    result = run_writeback(store, conn)
    if result["attempted"]:
        click.echo(f"{conn.name}: write-back {result['synced']} tasks created, "
                   f"{result['failed']} failed")
        for item in result["errors"][:10]:
            click.echo(f"    task {item['task_id']}: {item['error']}")
    return result["failed"] == 0


@click.command("writeback")
@click.argument("connector", required=False)
def writeback_cmd(connector: str | None) -> None:
    """Create pending and failed tasks in the CRM of their account (HubSpot, Salesforce)."""
    from connectors.errors import ConnectorError
    from connectors.registry import get_connector

    obj = _ctx_obj()
    names = [connector] if connector else [
        n for n in configured_connectors() if hasattr(get_connector(n), "create_task")]
    if not names:
        raise click.ClickException("no CRM connector is configured")
    ok = True
    for name in names:
        try:
            conn = build_connector(name, obj.settings())
        except ConnectorError as exc:
            raise click.ClickException(f"{name}: {exc}") from exc
        if not hasattr(conn, "create_task"):
            raise click.ClickException(f"{name} does not take tasks")
        try:
            ok = _writeback(obj.store, conn) and ok
        finally:
            conn.close()
    if not ok:
        sys.exit(1)


@click.command("check")
@click.argument("connector")
def check_cmd(connector: str) -> None:
    """Make one authenticated call to CONNECTOR and say whether it works."""
    from connectors.errors import ConnectorError

    obj = _ctx_obj()
    try:
        conn = build_connector(connector, obj.settings())
        try:
            conn.check()
        finally:
            conn.close()
    except ConnectorError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{connector}: ok")


def commands() -> list[click.Command]:
    """The commands server.cli attaches to `account360`."""
    return [sync_cmd, check_cmd, writeback_cmd]
