"""The hand-built backtest workspace (tests/backtest/workspace.py) loaded into the app."""

from __future__ import annotations

import pytest

from tests.backtest.workspace import records


@pytest.fixture
def known(app, load):
    load(records())
    return app.extensions["account360"]


from tests.admin.conftest import browser, make_user  # noqa: E402,F401
