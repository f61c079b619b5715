"""Connector settings from the environment: every problem at once, secrets masked."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from connectors.errors import ConfigError
from connectors.settings import Settings, setting


@dataclass(frozen=True)
class DemoSettings(Settings):
    subdomain: str = setting(help="The account subdomain.")
    api_token: str = setting(secret=True)
    page_size: int = setting(100)
    include_archived: bool = setting(False)
    streams: list[str] = setting(["a", "b"])
    extra: dict = setting({})


def test_from_env_parses_types_and_masks_secrets():
    s = DemoSettings.from_env("DEMO_", {"DEMO_SUBDOMAIN": "acme", "DEMO_API_TOKEN": "tok-123",
                                        "DEMO_PAGE_SIZE": "50", "DEMO_INCLUDE_ARCHIVED": "yes",
                                        "DEMO_STREAMS": "x, y", "DEMO_EXTRA": '{"k": 1}'})
    assert (s.subdomain, s.page_size, s.include_archived, s.streams, s.extra) == (
        "acme", 50, True, ["x", "y"], {"k": 1})
    assert "tok-123" not in repr(s) and "***" in repr(s) and "tok-123" not in str(s)


def test_all_missing_and_invalid_variables_are_reported_at_once():
    with pytest.raises(ConfigError) as info:
        DemoSettings.from_env("DEMO_", {"DEMO_PAGE_SIZE": "many"})
    msg = str(info.value)
    assert "DEMO_SUBDOMAIN" in msg and "DEMO_API_TOKEN" in msg and "DEMO_PAGE_SIZE" in msg


def test_from_dict_and_env_var_listing():
    s = DemoSettings.from_dict({"subdomain": "a", "api_token": "t", "page_size": 7})
    assert s.page_size == 7 and s.streams == ["a", "b"]
    names = {v["name"]: v for v in DemoSettings.env_vars("DEMO_")}
    assert names["DEMO_API_TOKEN"]["secret"] and names["DEMO_SUBDOMAIN"]["required"]
    assert not names["DEMO_PAGE_SIZE"]["required"]
    with pytest.raises(ConfigError, match="unknown settings nope"):
        DemoSettings.from_dict({"subdomain": "a", "api_token": "t", "nope": 1})
