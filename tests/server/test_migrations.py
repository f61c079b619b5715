"""The Alembic migrations build exactly the schema the models describe."""

from __future__ import annotations

import importlib
import pkgutil

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import server
from server.models import Base


def test_migrated_schema_matches_the_models(store):
    for mod in pkgutil.walk_packages(server.__path__, "server."):  # every module's tables
        if not mod.name.startswith("server.migrations") and not mod.name.endswith("__main__"):
            importlib.import_module(mod.name)
    with store.engine.connect() as conn:
        # procrastinate's tables (PostgreSQL) are the job queue library's own schema
        ctx = MigrationContext.configure(conn, opts={"include_name": lambda name, kind, _: not (
            kind == "table" and name.startswith("procrastinate_"))})
        diff = compare_metadata(ctx, Base.metadata)
    assert diff == []
