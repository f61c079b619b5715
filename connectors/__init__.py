"""Connectors: vendor modules that turn CRM, usage and support data into import records."""

from connectors.errors import (
    AuthError,
    ConfigError,
    ConnectorError,
    RateLimitError,
    ResponseError,
    TransientError,
)
from connectors.registry import available_connectors, get_connector, register

__all__ = [
    "AuthError", "ConfigError", "ConnectorError", "RateLimitError", "ResponseError",
    "TransientError", "available_connectors", "get_connector", "register",
]
