"""Alembic environment: runs migrations on the connection handed over by server.db."""

from alembic import context
from sqlalchemy import create_engine

import server.extension_models  # noqa: F401  (aliases, refreshes, email templates)
import server.jobs.models  # noqa: F401  (the embedded job queue)
import server.rows.models  # noqa: F401  (account metrics rows)
import server.settings_models  # noqa: F401  (settings history)
import server.usage_month_models  # noqa: F401  (the North Star's month rollups)
import server.workspace_models  # noqa: F401  (saved views)
from server.models import Base

config = context.config
target_metadata = Base.metadata


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run_on(connection)
        return
    engine = create_engine(config.get_main_option("sqlalchemy.url"))
    with engine.begin() as conn:
        _run_on(conn)


def _run_on(connection) -> None:  # noqa: ANN001
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


run()
