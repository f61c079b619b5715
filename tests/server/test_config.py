"""One configuration table: every ACCOUNT360_* variable is declared once in server/config.py,
the README's tables are generated from it, and values resolve defaults < env < overrides."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from server.config import (
    ConfigError,
    Settings,
    declared_names,
    load_config,
    markdown_table,
    markdown_test_table,
)

ROOT = Path(__file__).resolve().parents[2]
NAME = re.compile(r"ACCOUNT360_[A-Z][A-Z0-9_]*[A-Z0-9]")
SCANNED = ("server", "connectors", "tests", "scripts", "bench", "docs", "extension", ".ci")


def _block(text: str, marker: str) -> str:
    found = re.search(rf"<!-- {marker} -->\n(.*?)\n<!-- /{marker} -->", text, re.S)
    assert found, f"README has no {marker} block"
    return found.group(1)


def test_readme_tables_are_the_declaration():
    readme = (ROOT / "README.md").read_text()
    assert _block(readme, "config-table") == markdown_table(), \
        "README configuration table is stale: paste the output of `python -m server.config`"
    assert _block(readme, "test-config-table") == markdown_test_table()
    documented = set(NAME.findall(_block(readme, "config-table")))
    assert documented == {f"ACCOUNT360_{n}" for n in Settings.model_fields}


def test_every_variable_the_project_names_is_declared():
    seen: dict[str, str] = {}
    paths = [ROOT / "README.md"] + [p for d in SCANNED if (ROOT / d).exists()
                                    for p in (ROOT / d).rglob("*") if p.is_file()]
    for path in paths:
        if path.suffix not in (".py", ".md", ".sh", ".js", ".json", ".toml", "") or \
                "__pycache__" in path.parts:
            continue
        for name in NAME.findall(path.read_text(errors="ignore")):
            seen.setdefault(name, str(path.relative_to(ROOT)))
    undeclared = {n: p for n, p in seen.items() if n not in declared_names()}
    assert not undeclared, f"declare these in server/config.py: {undeclared}"


def test_defaults_environment_and_overrides(monkeypatch, tmp_path):
    cfg = load_config({"DATA_DIR": str(tmp_path)})
    assert cfg["DATABASE_URL"] == f"sqlite:///{tmp_path / 'account360.db'}"
    assert (cfg["CACHE_TTL"], cfg["CACHE_SIZE"], cfg["SCHEDULER"]) == (300, 2048, "web")
    assert cfg["EXTENSION_ORIGINS"] == [] and cfg["TRUSTED_PROXIES"] == 0
    monkeypatch.setenv("ACCOUNT360_CACHE_TTL", "60")
    monkeypatch.setenv("ACCOUNT360_SYNC_POLL_SECONDS", "0.5")
    monkeypatch.setenv("ACCOUNT360_EXTENSION_ORIGINS", "chrome-extension://abc, https://x.test")
    monkeypatch.setenv("ACCOUNT360_HUBSPOT_CLIENT_ID", "from-env")
    monkeypatch.setenv("ACCOUNT360_PUBLIC_URL", "")  # empty means unset
    cfg = load_config({"DATA_DIR": str(tmp_path), "CACHE_SIZE": 5, "TESTING_FLAG": "kept"})
    assert cfg["CACHE_TTL"] == 60 and cfg["CACHE_SIZE"] == 5
    assert cfg["SYNC_POLL_SECONDS"] == 0.5
    assert cfg["EXTENSION_ORIGINS"] == ["chrome-extension://abc", "https://x.test"]
    assert cfg["HUBSPOT_CLIENT_ID"] == "from-env" and cfg["PUBLIC_URL"] is None
    assert cfg["TESTING_FLAG"] == "kept"
    assert load_config({"DATA_DIR": str(tmp_path), "CACHE_TTL": 7})["CACHE_TTL"] == 7


def test_a_bad_value_names_the_variable(monkeypatch, tmp_path):
    monkeypatch.setenv("ACCOUNT360_CACHE_SIZE", "lots")
    with pytest.raises(ConfigError, match="ACCOUNT360_CACHE_SIZE"):
        load_config({"DATA_DIR": str(tmp_path)})


def test_derived_defaults_shown_in_the_readme_hold(tmp_path):
    from server.admin.connections import option, provider

    cfg = load_config({"DATA_DIR": str(tmp_path)})
    hub = provider(cfg, "hubspot")
    assert hub.token_url == "https://api.hubapi.com/oauth/v1/token"
    assert hub.authorize_url == Settings.model_fields["HUBSPOT_AUTHORIZE_URL"].default
    moved = provider(load_config({"DATA_DIR": str(tmp_path),
                                  "HUBSPOT_API_URL": "https://hub.test"}), "hubspot")
    assert moved.token_url == "https://hub.test/oauth/v1/token"
    assert option({}, "SALESFORCE_SCOPES") == "api refresh_token"  # the declared default
