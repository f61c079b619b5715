"""POST /api/v1/accounts/<id>/refresh: fetch one account from its CRM when its data is older
than REFRESH_MAX_AGE_MINUTES (the extension calls it when the account is opened); the fetch
is an `account.refresh` job (server.services.refresh_queue)."""

from __future__ import annotations

from datetime import timedelta

from flask import jsonify

from server.api.common import bp, state
from server.auth import require_token
from server.errors import ApiError
from server.services import refresh_queue as queue


def _connector_for(name: str):
    from server.admin import admin_state
    from server.admin.connections import build

    adm = admin_state()
    return build(adm.cfg, adm.credentials, name, state().settings)


@bp.post("/accounts/<path:account_id>/refresh")
@require_token(scope="read")  # opening an account is a read; the CRM stays the source
def refresh_account(account_id: str):
    """Refresh the account (and its contacts, deals, tickets, tasks) from HubSpot or
    Salesforce when stale, as a job (one per account at a time, shared by concurrent
    callers); waits up to REFRESH_WAIT_SECONDS for it, else 202 "queued"."""
    from server.admin import admin_state

    st = state()
    cfg = st.config
    adm = admin_state()
    kick = adm.runner.wake if adm.runner.running else None
    out, code = queue.request(st.store, account_id, _connector_for,
                              timedelta(minutes=float(cfg["REFRESH_MAX_AGE_MINUTES"])),
                              float(cfg["REFRESH_WAIT_SECONDS"]), kick)
    if out["status"] == "failed" and out["error"]:
        raise ApiError(502, "crm_unavailable",
                       f"Could not refresh from {out['system']}: {out['error']}", out)
    return jsonify(out), code
