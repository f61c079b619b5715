"""Pendo: aggregation API usage by day per visitor and account (see docs/connectors-usage.md)."""

from connectors.pendo.connector import PendoConnector

__all__ = ["PendoConnector"]
