"""The fake portal's token-info endpoints, shaped like HubSpot's documented answers:
`GET /oauth/v1/access-tokens/{token}` (OAuth access tokens) and
`POST /oauth/v2/private-apps/get/access-token-info` (private-app tokens)."""

from __future__ import annotations

import uuid
from typing import Any

#: What a fully granted app has (the fake's default).
ALL_SCOPES = ["oauth", "crm.objects.companies.read", "crm.objects.contacts.read",
              "crm.objects.contacts.write", "crm.objects.deals.read", "tickets",
              "crm.objects.owners.read", "sales-email-read"]
HUB_ID, APP_ID, USER_ID = 62515, 456789, 9001


def _not_found(message: str) -> tuple[int, Any, dict]:
    return 404, {"status": "error", "message": message, "correlationId": str(uuid.uuid4()),
                 "category": "OBJECT_NOT_FOUND"}, {}


def token_info(fake: Any, method: str, path: str, body: Any) -> tuple[int, Any, dict] | None:
    """The answer of a token-info request, None for any other request."""
    granted = list(ALL_SCOPES if fake.scopes is None else fake.scopes)
    if method == "GET" and path.startswith("/oauth/v1/access-tokens/"):
        token = path.rsplit("/", 1)[1]
        if token not in fake.valid_tokens or token.startswith("pat-"):
            return _not_found("The access token was not found or is expired")
        return 200, {"token": token, "user": "dana@vendor.example",
                     "hub_domain": "demo-62515.hubspot.com", "scopes": granted,
                     "hub_id": HUB_ID, "app_id": APP_ID, "expires_in": 1754,
                     "user_id": USER_ID, "token_type": "access",
                     "is_private_distribution": False}, {}
    if method == "POST" and path == "/oauth/v2/private-apps/get/access-token-info":
        token = (body or {}).get("tokenKey") if isinstance(body, dict) else None
        if token not in fake.valid_tokens or not str(token).startswith("pat-"):
            return _not_found("No private app access token found for the tokenKey")
        return 200, {"userId": USER_ID, "hubId": HUB_ID, "appId": APP_ID,
                     "scopes": granted}, {}
    return None
