"""The `account360` command line: every command is registered here, explicitly.

Commands live by area in `server/cli/<area>.py` and share one `Context` (configuration,
store, settings, app) set on the root command. Importing this package loads no plugin,
opens no database and runs no migration.
"""

from __future__ import annotations

import logging

import click

from server.cli import admin, connectors, core, health, messages, metrics, playbooks, settings
from server.cli.context import Context


@click.group()
@click.option("-v", "--verbose", is_flag=True, help="Log at DEBUG level.")
@click.pass_context
def main(ctx: click.Context, verbose: bool) -> None:
    """account360: the customer 360 for Customer Success teams."""
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if not verbose:
        logging.getLogger("alembic").setLevel(logging.WARNING)
    ctx.obj = Context()
    ctx.call_on_close(ctx.obj.close)


#: Every command of `account360`, in help order.
COMMANDS = (
    core.serve, core.demo, core.import_cmd, core.token, core.db, core.check_settings,
    core.snapshot_cmd, metrics.metrics, health.backtest_cmd, messages.messages,
    settings.settings_group, playbooks.playbooks,
    admin.admin_group, admin.worker_cmd,
    connectors.sync_cmd, connectors.check_cmd, connectors.writeback_cmd,
)
for _command in COMMANDS:
    main.add_command(_command)

__all__ = ["Context", "main"]
