"""Account routes: lookup, the 360, search and list."""

from __future__ import annotations

from flask import Response, current_app, jsonify, request

from server.api.common import as_of_param, bp, state
from server.auth import require_token
from server.errors import ApiError
from server.services import account360, lookup, search


@bp.get("/accounts/lookup")
@require_token(session=True)
def lookup_account(db):
    """Find the account behind an email, a domain or a CRM record, and answer its 360."""
    as_of = as_of_param()
    st = state()
    result = lookup.find(db, st.settings, email=request.args.get("email"),
                         domain=request.args.get("domain"), crm=request.args.get("crm"),
                         record_id=request.args.get("record_id"))
    if result.candidates:
        return jsonify({"match": result.match, "candidates": result.candidates})
    payload = account360.cached_360(st, db, result.account_id, as_of)
    # the cached 360 is an object: prepend the match without decoding it
    head = current_app.json.dumps({"match": result.match}).encode()
    return _json_bytes(head[:-1] + b", " + payload[1:])


@bp.get("/accounts/<path:account_id>/360")
@require_token(session=True, first_read=account360.stamp_of)
def account_360(account_id: str, db, first):
    """The customer 360 of one account as of a day. Its change stamp is read in the token
    check's statement: a warm 360 is one statement, as the trivial route."""
    return _json_bytes(account360.cached_360(state(), db, account_id, as_of_param(),
                                             stamp=first))


def _json_bytes(body: bytes) -> Response:
    return Response(body, mimetype="application/json")


@bp.get("/accounts")
@require_token
def list_accounts():
    """Search and list accounts with their headline figures."""
    args = request.args
    try:
        limit = min(max(int(args.get("limit", 50)), 1), 500)
    except ValueError:
        raise ApiError(400, "invalid_parameter", "'limit' must be a number",
                       {"limit": "not a number"}) from None
    st = state()
    with st.store.sessions() as s:
        page = search.list_accounts(
            st, s, q=args.get("q"), owner=args.get("owner"), band=args.get("band"),
            phase=args.get("phase"), sort=args.get("sort", "name"), limit=limit,
            cursor=args.get("cursor"), as_of=as_of_param(), segment=args.get("segment"),
            ranges=search.parse_ranges(args))
    return jsonify(page)
