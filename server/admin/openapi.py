"""OpenAPI entries of the admin app. HTML pages are documented too, marked
`x-html: true` with a text/html response; they use the session cookie, not a bearer token."""

from __future__ import annotations

from typing import Any


def _p(name: str, desc: str, kind: str = "string") -> dict:
    return {"name": name, "in": "path", "required": True, "description": desc,
            "schema": {"type": kind}}


NAME = _p("name", "Connector name (hubspot, salesforce, mixpanel, amplitude, pendo, zendesk)")
COOKIE = [{"session": []}]


def _html(summary: str, params: list | None = None, form: bool = False) -> dict:
    op: dict[str, Any] = {"summary": summary + " (HTML page)", "x-html": True,
                          "parameters": params or [], "security": COOKIE,
                          "responses": {"200": {"description": "HTML",
                                                "content": {"text/html": {}}},
                                        "302": {"description": "Redirect"}}}
    if form:
        op["requestBody"] = {"required": True, "content": {
            "application/x-www-form-urlencoded": {"schema": {
                "type": "object", "required": ["csrf_token"],
                "properties": {"csrf_token": {"type": "string"}}}}}}
    return op


def _json(summary: str, body: bool = False, auth: list | None = None) -> dict:
    op: dict[str, Any] = {"summary": summary, "parameters": [], "security": auth or COOKIE,
                          "responses": {"200": {"description": "OK"},
                                        "default": {"description": "Error envelope"}}}
    if body:
        op["requestBody"] = {"required": True, "content": {"application/json": {
            "schema": {"type": "object"}}}}
    return op


def paths() -> dict:
    return {
        "/": {"get": _html("Redirects to the admin app", [])},
        "/admin/": {"get": _html("Admin home: Connectors for admins, tokens for CSMs and leads")},
        "/admin/static/{filename}": {"get": _html("Stylesheet and scripts of the admin app",
                                                  [_p("filename", "File")])},
        "/admin/login": {"get": _html("Sign-in form"),
                         "post": _html("Sign in (rate limited: 5 attempts per 15 minutes "
                                       "per address and email, counted before the password "
                                       "is checked; a success starts afresh)", form=True)},
        "/admin/logout": {"post": _html("Sign out", form=True)},
        "/admin/invite/{secret}": {
            "get": _html("Invitation: choose a password", [_p("secret", "Invite secret")]),
            "post": _html("Set the password and sign in", [_p("secret", "Invite secret")],
                          form=True)},
        "/admin/users": {"get": _html("Users (admins only)"),
                         "post": _html("Invite a user: email, role admin|lead|csm", form=True)},
        "/admin/users/{user_id}/disable": {"post": _html(
            "Disable a user and revoke their tokens", [_p("user_id", "User id", "integer")],
            form=True)},
        "/admin/me": {"get": _html("My API tokens and the extension pairing button")},
        "/admin/me/tokens": {"post": _html("Create a personal API token (shown once)",
                                           form=True)},
        "/admin/tokens/{token_id}/revoke": {"post": _html(
            "Revoke a token (own tokens; admins: any)", [_p("token_id", "Token id", "integer")],
            form=True)},
        "/admin/extension/token": {"post": _json(
            "A fresh token and the server URL for the browser extension (X-CSRF-Token header)",
            body=True)},
        "/admin/playbooks": {"get": _html("Playbooks (admins): the file, today's preview, "
                                          "firings with outcomes, versions, secrets"),
                             "post": _html("Validate and save the playbooks file (a bad file "
                                           "is refused, nothing written)", form=True)},
        "/admin/playbooks/versions/{version_id}": {"get": _html(
            "One stored version of the playbooks file", [_p("version_id", "Version", "integer")])},
        "/admin/playbooks/secrets": {"post": _html(
            "Store a secret the file names as secret:NAME (encrypted)", form=True)},
        "/admin/playbooks/secrets/{name}/delete": {"post": _html(
            "Delete a stored secret", [_p("name", "Secret name")], form=True)},
        "/admin/templates": {"get": _html("Email templates: list and new"),
                             "post": _html("Save a new template (unknown variables refused)",
                                           form=True)},
        "/admin/templates/{template_id}": {
            "get": _html("Edit a template, with a preview on an account (?account=)",
                         [_p("template_id", "Template id", "integer")]),
            "post": _html("Save a template", [_p("template_id", "Template id", "integer")],
                          form=True)},
        "/admin/templates/{template_id}/delete": {"post": _html(
            "Delete a template", [_p("template_id", "Template id", "integer")], form=True)},
        "/admin/aliases": {"get": _html("Aliases set from the extension and their audit log")},
        "/admin/aliases/{alias_id}/delete": {"post": _html(
            "Remove an alias (logged)", [_p("alias_id", "Alias id", "integer")], form=True)},
        "/admin/connectors": {"get": _html("Connector cards (admins only)")},
        "/admin/api/connectors": {"get": _json(
            "Connector status and per-stream progress of the latest sync (admins only)")},
        "/admin/connectors/{name}/sync": {"post": _html("Queue a sync now", [NAME], form=True)},
        "/admin/connectors/{name}/schedule": {"post": _html(
            "Set the sync schedule in minutes (0 = off)", [NAME], form=True)},
        "/admin/connectors/{name}/disconnect": {"post": _html(
            "Remove the credentials (OAuth tokens are revoked at the vendor)", [NAME],
            form=True)},
        "/admin/connectors/{name}/settings": {
            "get": _html("Key form of a usage/support connector", [NAME]),
            "post": _html("Test connection, or test and save the keys", [NAME], form=True)},
        "/admin/connectors/{name}/connect": {"post": _html(
            "Start the OAuth authorization-code flow (redirects to the vendor)", [NAME],
            form=True)},
        "/admin/connectors/{name}/oauth-app": {"post": _html(
            "Save the CRM's OAuth app (client_id, client_secret; sealed; a blank secret keeps "
            "the saved one); refused while the environment sets it", [NAME], form=True)},
        "/admin/oauth/{name}/callback": {"get": _html(
            "OAuth redirect URI: checks the single-use state, exchanges the code", [NAME])},
        "/webhooks/hubspot": {"post": _json(
            "HubSpot webhook batch; X-HubSpot-Signature-v3 checked (401 when bad or older "
            "than 5 minutes); queues an incremental sync", body=True, auth=[])},
    }
