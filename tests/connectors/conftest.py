"""Fixtures of the CRM connector tests: fake vendor servers and connectors pointed at them."""

from __future__ import annotations

import pytest

from tests.connectors.fake_hubspot import FakeHubSpot


@pytest.fixture
def hubspot_fake():
    """A fake HubSpot portal on a local port (the SDK speaks urllib3: no `responses`)."""
    fake = FakeHubSpot()
    fake.url = fake.start()
    yield fake
    fake.stop()


@pytest.fixture
def hubspot(hubspot_fake):
    """Build a HubSpotConnector against the fake; settings overrides as keyword arguments."""
    from connectors.hubspot import HubSpotConnector, HubSpotSettings

    made = []

    def make(workspace=None, **overrides):
        cfg = {"access_token": "pat-test-token", "base_url": hubspot_fake.url, "page_size": 2,
               "search_lag_seconds": 0, **overrides}
        sleeps: list[float] = []
        conn = HubSpotConnector(HubSpotSettings.from_dict(cfg), workspace=workspace,
                                sleep=sleeps.append)
        conn.sleeps = sleeps
        made.append(conn)
        return conn

    yield make
    for conn in made:
        conn.close()
