"""The connector registry and the CLI commands it feeds."""

from __future__ import annotations

import pytest

from connectors import available_connectors, get_connector
from connectors.errors import ConfigError


def test_unknown_connector_lists_the_available_ones():
    with pytest.raises(ConfigError, match="unknown connector 'nope'"):
        get_connector("nope")


def test_cli_exposes_sync_check_writeback():
    from server.cli import main

    assert {"sync", "check", "writeback"} <= set(main.commands)


def test_registry_lists_registered_connectors():
    names = available_connectors()
    assert names == sorted(names)
