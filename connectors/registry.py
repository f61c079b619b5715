"""The connector registry: an explicit list of vendor modules, each registering its class."""

from __future__ import annotations

import importlib
import logging
import threading

from connectors.base import Connector
from connectors.errors import ConfigError

log = logging.getLogger(__name__)

#: Every vendor module, imported on first use. A module not present yet is skipped.
VENDOR_MODULES = (
    "connectors.hubspot",
    "connectors.salesforce",
    "connectors.mixpanel",
    "connectors.amplitude",
    "connectors.pendo",
    "connectors.zendesk",
)

_REGISTRY: dict[str, type[Connector]] = {}
_LOCK = threading.Lock()
_LOADED = False


def register(cls: type[Connector]) -> type[Connector]:
    """Class decorator: make a connector available under `cls.name`."""
    existing = _REGISTRY.get(cls.name)
    if existing is not None and existing is not cls:
        raise RuntimeError(f"two connectors are named {cls.name!r}")
    _REGISTRY[cls.name] = cls
    return cls


def _load() -> None:
    global _LOADED
    if _LOADED:
        return
    with _LOCK:
        if _LOADED:
            return
        for module in VENDOR_MODULES:
            try:
                importlib.import_module(module)
            except ModuleNotFoundError as exc:
                if exc.name != module:
                    raise
                log.debug("connector module %s is not installed", module)
        _LOADED = True


def get_connector(name: str) -> type[Connector]:
    """The connector class registered as `name`; ConfigError lists the known ones."""
    _load()
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ConfigError(f"unknown connector '{name}'; available: "
                          f"{', '.join(available_connectors()) or 'none'}") from None


def available_connectors() -> list[str]:
    """Names of every registered connector, sorted."""
    _load()
    return sorted(_REGISTRY)


def build_connector(name: str, workspace: object = None) -> Connector:
    """Instantiate a registered connector from its environment variables."""
    return get_connector(name).from_env(workspace=workspace)


#: CRMs sync first: they load the accounts the usage and support connectors attribute to.
CRM_FIRST = ("hubspot", "salesforce")


def configured_connectors() -> list[str]:
    """Connectors with at least one of their environment variables set, CRMs first."""
    names = [n for n in available_connectors() if get_connector(n).configured()]
    return sorted(names, key=lambda n: (n not in CRM_FIRST, n))
