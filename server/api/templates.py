"""Email templates (Gmail compose) and "Log as touchpoint": GET/POST /api/v1/templates,
PUT/DELETE /api/v1/templates/<id>, GET /api/v1/templates/<id>/render, and
POST /api/v1/accounts/<id>/touchpoints."""

from __future__ import annotations

from datetime import datetime, timezone

from flask import g, jsonify, request

from server.api.common import bp, json_body, state
from server.api.idempotency import idempotent
from server.auth import require_token
from server.errors import ApiError
from server.records import RecordError
from server.services import actor, touchpoints
from server.services import templates as svc


def _str(max_len: int):
    def check(value):
        if value is None:
            return None
        if not isinstance(value, str) or len(value) > max_len:
            raise ValueError(f"must be text of at most {max_len} characters")
        return value
    return check


FIELDS = {"name": _str(200), "subject": _str(500), "body": _str(20_000)}


@bp.get("/templates")
@require_token
def list_templates():
    """Every template, by name, and the variables a template may use."""
    with state().store.sessions() as s:
        return jsonify({"items": svc.list_templates(s), "variables": svc.VARIABLES})


@bp.post("/templates")
@require_token
def create_template():
    """Save a template; 400 names any unknown {{ variable }}."""
    body = json_body(FIELDS, required=("name", "body"))
    with state().store.session() as s:
        out = svc.save(s, body["name"], body.get("subject"), body["body"],
                       actor.label(s, g.token))
    return jsonify(out), 201


@bp.put("/templates/<int:template_id>")
@require_token
def update_template(template_id: int):
    body = json_body(FIELDS, required=("name", "body"))
    with state().store.session() as s:
        out = svc.save(s, body["name"], body.get("subject"), body["body"],
                       actor.label(s, g.token), template_id=template_id)
    return jsonify(out)


@bp.delete("/templates/<int:template_id>")
@require_token
def delete_template(template_id: int):
    with state().store.session() as s:
        if not svc.delete(s, template_id):
            raise ApiError(404, "not_found", f"No template {template_id}", {"id": template_id})
    return jsonify({"deleted": template_id})


@bp.get("/templates/<int:template_id>/render")
@require_token
def render_template(template_id: int):
    """The template filled with an account's figures (?account_id=, optional ?email= for the
    contact's first name)."""
    account_id = request.args.get("account_id")
    if not account_id:
        raise ApiError(400, "invalid_parameter", "'account_id' is required",
                       {"account_id": "required"})
    st = state()
    with st.store.sessions() as s:
        return jsonify(svc.render(s, st, template_id, account_id, request.args.get("email")))


def _direction(value):
    if value not in (None, "in", "out"):
        raise ValueError("must be in or out")
    return value


def _instant(value):
    if value is None:
        return None
    try:
        at = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise ValueError("must be an ISO 8601 date-time") from None
    return at if at.tzinfo else at.replace(tzinfo=timezone.utc)


def _kind(value):
    if value != "email":
        raise ValueError("must be email")
    return value


@bp.post("/accounts/<path:account_id>/touchpoints")
@require_token
@idempotent
def log_touchpoint(account_id: str):
    """Record an email touchpoint (Gmail "Log as touchpoint"), owned by the token's user, its
    message (channel email: `direction`, `text`, `at`, `thread_id`, text kept per the message
    policy) and a done task with its subject written back to the linked CRM like other
    tasks (server.services.touchpoints)."""
    body = json_body({"kind": _kind, "subject": _str(500), "email": _str(320),
                      "direction": _direction, "text": _str(20_000), "at": _instant,
                      "thread_id": _str(200)}, required=("kind",))
    with state().store.session() as s:
        who = actor.user_email(s, g.token)
        try:
            out = touchpoints.log_email(
                s, account_id, who=who, logged_by=who or g.token.name,
                subject=body.get("subject"), email=body.get("email"),
                direction=body.get("direction"), text=body.get("text"), at=body.get("at"),
                thread_id=body.get("thread_id"))
        except touchpoints.UnknownAccount:
            raise ApiError(404, "not_found", f"No account with id {account_id}",
                           {"account_id": account_id}) from None
        except RecordError as exc:
            raise ApiError(400, "invalid_body", f"The email is not valid: {exc.reason}",
                           {exc.field or "body": exc.reason}) from None
    return jsonify(out), 201
