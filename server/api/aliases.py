"""Aliases: POST/GET/DELETE /api/v1/aliases. An email or a domain pointed at an account for
the whole team (the extension's "Wrong account?" and "Link to an account"); every change is
audit-logged with who made it and the account before and after."""

from __future__ import annotations

from flask import g, jsonify, request

from server.api.common import bp, json_body, state
from server.auth import require_token
from server.errors import ApiError
from server.services import actor
from server.services import aliases as svc


def _email(value):
    return svc.normalise("email", value)


def _domain(value):
    return svc.normalise("domain", value)


def _account_id(value):
    if not isinstance(value, str) or not value.strip() or len(value) > 200:
        raise ValueError("must be an account id")
    return value.strip()


@bp.post("/aliases")
@require_token
def create_alias():
    """Point an email or a domain at an account (201 new, 200 re-pointed or unchanged)."""
    body = json_body({"email": _email, "domain": _domain, "account_id": _account_id},
                     required=("account_id",))
    kinds = [k for k in ("email", "domain") if k in body]
    if len(kinds) != 1:
        raise ApiError(400, "validation_error", "Give exactly one of email or domain",
                       {"email|domain": "exactly one is required"})
    kind = kinds[0]
    if kind == "domain" and body["domain"] in state().settings.freemail_domains:
        raise ApiError(400, "validation_error", "A free email domain cannot be aliased as a whole",
                       {"domain": "a free email domain: alias the address instead"})
    with state().store.session() as s:
        out, created = svc.set_alias(s, kind, body[kind], body["account_id"],
                                     actor.label(s, g.token))
    return jsonify(out), 201 if created else 200


@bp.get("/aliases")
@require_token
def list_aliases():
    """Every alias, newest first; ?account_id= for one account's, ?q= to search."""
    with state().store.sessions() as s:
        return jsonify({"items": svc.list_aliases(s, account_id=request.args.get("account_id"),
                                                  q=request.args.get("q"))})


@bp.get("/aliases/changes")
@require_token
def alias_changes():
    """The audit log of alias changes, newest first."""
    with state().store.sessions() as s:
        return jsonify({"items": svc.changes(s)})


@bp.delete("/aliases/<int:alias_id>")
@require_token
def delete_alias(alias_id: int):
    """Remove an alias: lookups fall back to contacts and domains."""
    with state().store.session() as s:
        out = svc.delete_alias(s, alias_id, actor.label(s, g.token))
    return jsonify(out)
