"""Zendesk Support: incremental ticket export with ticket metrics (docs/connectors-usage.md)."""

from connectors.zendesk.connector import ZendeskConnector

__all__ = ["ZendeskConnector"]
