"""The accounts table (/app/accounts): search, filters and sorting in the URL, paging, and a
CSV export of exactly the rows the table shows. Both read the API's account list service."""

from __future__ import annotations

import csv
import io

from flask import Response, abort, current_app, g, render_template, request, url_for

from server.admin.web import login_required
from server.errors import ApiError
from server.models import utcnow
from server.services import workspace as ws
from server.services.search import BANDS, PHASES, list_accounts
from server.workspace.blueprint import bp
from server.workspace.figures import money

PAGE = 50
#: (column, heading, sort field or None), as the table and the CSV show them.
COLUMNS = (("name", "Account", "name"), ("owner", "Owner", None), ("segment", "Segment", None),
           ("band", "Band", None), ("health_score", "Health", "health"),
           ("phase", "Phase", None), ("arr", "ARR", "arr"),
           ("renewal_date", "Renewal", "renewal"), ("days_to_renewal", "Days to renewal", None),
           ("signals", "Signals", None))


def _query(args) -> dict:
    return {"q": (args.get("q") or "").strip() or None,
            "owner": ws.scoped_owner(g.user.role, g.user.email, args),
            "segment": args.get("segment") or None, "band": args.get("band") or None,
            "phase": args.get("phase") or None, "sort": args.get("sort") or "name",
            "cursor": args.get("cursor") or None}


def _page(query: dict) -> dict:
    st = current_app.extensions["account360"]
    try:
        with st.store.sessions() as s:
            page = list_accounts(st, s, query["q"], query["owner"], query["band"],
                                 query["phase"], query["sort"], PAGE, query["cursor"],
                                 utcnow().date(), query["segment"])
            choices = {"owners": ws.owners(s), "segments": ws.segments(s)}
            fresh = ws.freshness_line(s)
    except ApiError as exc:
        abort(400, description=exc.message)
    return {"page": page, "choices": choices, "fresh": fresh}


def cell(column: str, value) -> str:
    """A cell as the table and the CSV show it."""
    if value is None:
        return ""
    if column == "arr":
        return money(value)
    if column == "health_score":
        return f"{value:.0f}"
    if column in ("band", "phase"):
        return str(value).replace("_", " ")
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _link(query: dict, **changes) -> str:
    args = {k: v for k, v in {**query, **changes}.items() if v is not None}
    if "owner" not in args:
        args["owner"] = ""  # the whole team, as the table showed it
    return url_for("app.accounts", **args)


@bp.get("/accounts")
@login_required
def accounts():
    query = _query(request.args)
    data = _page(query)
    csv_args = {k: v for k, v in query.items() if v is not None}
    csv_args.setdefault("owner", "")
    return render_template("workspace/accounts.html", query=query, columns=COLUMNS,
                           cell=cell, link=_link, bands=BANDS, phases=PHASES,
                           csv_url=url_for("app.accounts_csv", **csv_args), page_size=PAGE,
                           currency=current_app.extensions["account360"].settings.currency,
                           **data)


def _safe(text: str) -> str:
    """A CSV cell a spreadsheet will not run as a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@bp.get("/accounts.csv")
@login_required
def accounts_csv():
    query = _query(request.args)
    items = _page(query)["page"]["items"]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([heading for _, heading, _ in COLUMNS])
    for item in items:
        writer.writerow([_safe(cell(col, item.get(col))) for col, _, _ in COLUMNS])
    return Response(out.getvalue(), mimetype="text/csv", headers={
        "Content-Disposition": "attachment; filename=accounts.csv"})
