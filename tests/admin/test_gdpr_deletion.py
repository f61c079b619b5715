"""A contact deleted at HubSpot for privacy (GDPR) is erased from the store, not kept."""

from __future__ import annotations

import json

from server import models as m
from tests.admin.test_oauth import connect
from tests.admin.test_sync_and_webhooks import _post


def test_privacy_deletion_webhook_erases_the_contact_even_a_champion(app, admin_browser,
                                                                     oauth_fake, load):
    connect(admin_browser, oauth_fake)
    load([
        {"type": "account", "id": "hubspot-18544961421", "name": "Acme"},
        {"type": "contact", "id": "hubspot-501", "account_id": "hubspot-18544961421",
         "email": "jane@acme.io", "champion": True, "crm": {"system": "hubspot", "id": "501"}},
        {"type": "contact", "id": "hubspot-502", "account_id": "hubspot-18544961421",
         "email": "raj@acme.io", "crm": {"system": "hubspot", "id": "502"}},
        {"type": "message", "id": "m1", "account_id": "hubspot-18544961421",
         "at": "2026-11-20T09:00:00Z", "channel": "email", "direction": "in",
         "text": "Jane here: please call me back", "contact_email": "Jane@Acme.io"},
        {"type": "message", "id": "m2", "account_id": "hubspot-18544961421",
         "at": "2026-11-21T09:00:00Z", "channel": "email", "direction": "in",
         "text": "Raj: all good", "contact_email": "raj@acme.io"}])
    body = json.dumps([{"eventId": 9001, "subscriptionId": 250400, "portalId": 6205670,
                        "appId": 311290, "occurredAt": 1751900000999,
                        "subscriptionType": "contact.privacyDeletion", "attemptNumber": 0,
                        "objectId": 501, "changeSource": "GDPR"}]).encode()
    r = _post(app.test_client(), oauth_fake.client_secret, body)
    assert r.status_code == 200 and r.get_json() == {"queued": None, "erased": 1}
    store = app.extensions["account360"].store
    with store.sessions() as s:
        assert s.get(m.Contact, "hubspot-501") is None  # gone, though a champion
        assert s.get(m.Contact, "hubspot-502") is not None
        assert s.get(m.CrmLink, ("hubspot", "501")) is None
        assert s.get(m.CrmLink, ("hubspot", "502")) is not None
        # her messages go with her; the other contact's stay
        assert [x.id for x in s.query(m.Message).order_by(m.Message.id)] == ["m2"]
