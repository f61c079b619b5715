"""Start-up: the app never migrates; an un-migrated database is a clear error."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect

from server import create_app
from server.db import SchemaNotCurrent, Store


def test_create_app_refuses_an_unmigrated_database_and_leaves_it_untouched(tmp_path):
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    with pytest.raises(SchemaNotCurrent, match=r"run `account360 db upgrade`"):
        create_app({"DATABASE_URL": url, "SECRET_KEY": "k", "DATA_DIR": str(tmp_path)})
    store = Store(url)
    assert inspect(store.engine).get_table_names() == []     # nothing was migrated
    store.upgrade()
    store.dispose()
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "k", "DATA_DIR": str(tmp_path)})
    assert app.test_client().get("/healthz").status_code == 200
    app.extensions["account360"].store.dispose()


def test_opening_a_store_does_not_migrate(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'x.db'}")
    with pytest.raises(SchemaNotCurrent, match="empty database"):
        store.check_current()
    store.upgrade()
    store.check_current()
    assert "accounts" in inspect(store.engine).get_table_names()
    store.dispose()
