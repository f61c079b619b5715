"""Mixpanel: raw event export, streamed, attributed to accounts (see docs/connectors-usage.md).

This package also holds the attribution and streaming helpers shared by the Amplitude,
Pendo and Zendesk connectors (``attribution``, ``streaming``).
"""

from connectors.mixpanel.connector import MixpanelConnector

__all__ = ["MixpanelConnector"]
