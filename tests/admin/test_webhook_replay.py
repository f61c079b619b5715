"""A correctly signed HubSpot webhook replayed within its 5-minute window changes nothing;
events HubSpot redelivers under a new signature are dropped by their eventId."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tests.admin.test_oauth import connect
from tests.admin.test_sync_and_webhooks import _post, _requests

BATCH = (Path(__file__).resolve().parents[1] / "fixtures" / "vendor-specs" / "hubspot"
         / "webhook_batch.json").read_bytes()


def test_a_replayed_delivery_is_not_accepted_again(app, admin_browser, oauth_fake):
    connect(admin_browser, oauth_fake)
    c = app.test_client()
    ts = int(time.time() * 1000)
    first = _post(c, oauth_fake.client_secret, BATCH, ts=ts)
    assert first.status_code == 202
    again = _post(c, oauth_fake.client_secret, BATCH, ts=ts)
    assert again.status_code == 200 and again.get_json() == {"queued": None, "duplicate": True}
    assert len(_requests(app)) == 1


def test_redelivered_events_are_dropped_by_event_id(app, admin_browser, oauth_fake):
    connect(admin_browser, oauth_fake)
    c = app.test_client()
    events = json.loads(BATCH)
    assert _post(c, oauth_fake.client_secret, json.dumps(events[:1]).encode()).status_code == 202
    # HubSpot's retry of both events, signed again a millisecond later: only the new one counts
    r = _post(c, oauth_fake.client_secret, json.dumps(events).encode(),
              ts=int(time.time() * 1000) + 1)
    assert r.status_code == 202 and r.get_json()["streams"] == ["companies"]
    r = _post(c, oauth_fake.client_secret, json.dumps(events).encode(),
              ts=int(time.time() * 1000) + 2)
    assert r.status_code == 200 and r.get_json()["queued"] is None
    assert sorted(req.streams[0] for req in _requests(app)) == ["companies", "deals"]


def test_parallel_replays_are_accepted_once(app, admin_browser, oauth_fake):
    connect(admin_browser, oauth_fake)
    ts = int(time.time() * 1000)

    def send(_):
        return _post(app.test_client(), oauth_fake.client_secret, BATCH, ts=ts).status_code

    with ThreadPoolExecutor(8) as pool:
        codes = list(pool.map(send, range(16)))
    assert sorted(codes) == [200] * 15 + [202]
    assert len(_requests(app)) == 1
