"""Amplitude: Export API archives streamed file by file (see docs/connectors-usage.md)."""

from connectors.amplitude.connector import AmplitudeConnector

__all__ = ["AmplitudeConnector"]
