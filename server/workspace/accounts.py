"""The accounts table (/app/accounts): search, filters, sorting and the shown columns in the
URL, paging, and a CSV export of exactly the columns and rows the table shows. Both read the
API's account list service; the column chooser is server/workspace/columns.py."""

from __future__ import annotations

import csv
import io

from flask import (
    Response,
    abort,
    current_app,
    g,
    redirect,
    render_template,
    request,
    url_for,
)

from server.admin.web import login_required
from server.errors import ApiError
from server.models import utcnow
from server.services import preferences, saved_views
from server.services import workspace as ws
from server.services.search import BANDS, PHASES, list_accounts, parse_ranges
from server.workspace import columns as cols
from server.workspace.blueprint import bp
from server.workspace.figures import money

PAGE = 50
#: (column, heading, sort field or None), as the table and the CSV show them.
COLUMNS = (("name", "Account", "name"), ("owner", "Owner", "owner"),
           ("segment", "Segment", "segment"), ("band", "Band", "band"),
           ("health_score", "Health", "health"), ("phase", "Phase", "phase"),
           ("arr", "ARR", "arr"), ("renewal_date", "Renewal", "renewal"),
           ("days_to_renewal", "Days to renewal", "days"), ("signals", "Signals", "signals"),
           ("relationship_score", "Relationship", "relationship"),
           ("email_reply_hours_median", "Reply hours", "reply_hours"),
           ("sentiment", "Sentiment", "sentiment"),
           ("sentiment_change_90d", "Sentiment 90d change", "sentiment_change"))
#: The North Star's column, after the others while the settings name one (its name heads it).
NORTH_STAR = ("north_star", "North Star", "north_star")
#: Right-aligned figures.
NUMERIC = frozenset(("arr", "health_score", "days_to_renewal", "signals", "relationship_score",
                     "email_reply_hours_median", "sentiment", "sentiment_change_90d",
                     "north_star"))


#: The range inputs: (parameter, label, input type), in the form's order.
RANGE_INPUTS = (("arr_min", "ARR at least", "number"), ("arr_max", "ARR at most", "number"),
                ("health_min", "Health at least", "number"),
                ("health_max", "Health at most", "number"),
                ("renewal_from", "Renewal from", "date"), ("renewal_to", "Renewal to", "date"),
                ("days_min", "Days to renewal at least", "number"),
                ("days_max", "Days to renewal at most", "number"),
                ("signals_min", "Signals at least", "number"),
                ("signals_max", "Signals at most", "number"),
                ("relationship_min", "Relationship at least", "number"),
                ("relationship_max", "Relationship at most", "number"),
                ("reply_hours_min", "Reply hours at least", "number"),
                ("reply_hours_max", "Reply hours at most", "number"),
                ("sentiment_min", "Sentiment at least", "number"),
                ("sentiment_max", "Sentiment at most", "number"),
                ("sentiment_change_min", "Sentiment 90d change at least", "number"),
                ("sentiment_change_max", "Sentiment 90d change at most", "number"))
NORTH_STAR_INPUTS = (("north_star_min", "North Star at least", "number"),
                     ("north_star_max", "North Star at most", "number"))


def columns() -> tuple:
    """The table's (and the CSV's) columns: the North Star's last while one is named."""
    star = current_app.extensions["account360"].settings.metrics.north_star
    return COLUMNS + ((NORTH_STAR[0], star.name, NORTH_STAR[2]),) if star.name else COLUMNS


def range_inputs() -> tuple:
    star = current_app.extensions["account360"].settings.metrics.north_star
    return RANGE_INPUTS + NORTH_STAR_INPUTS if star.name else RANGE_INPUTS


def _query(args) -> dict:
    """The table's state from the URL; `cols` resolved (the URL's, else the user's, else the
    default), so every link and form carries it. An unknown column is a 400."""
    out = {"q": (args.get("q") or "").strip() or None,
           "owner": ws.scoped_owner(g.user.role, g.user.email, args),
           "segment": args.get("segment") or None, "band": args.get("band") or None,
           "phase": args.get("phase") or None, "sort": args.get("sort") or "name",
           "cursor": args.get("cursor") or None}
    for name, _, _ in RANGE_INPUTS + NORTH_STAR_INPUTS:
        out[name] = (args.get(name) or "").strip() or None
    out["cols"] = ",".join(_chosen(args.get("cols")))
    return out


def _chosen(text: str | None) -> list[str]:
    every = columns()
    try:
        chosen = cols.parse(text, every)
    except ApiError as exc:
        abort(400, description=exc.message)
    if chosen is None:
        with current_app.extensions["account360"].store.sessions() as s:
            chosen = cols.remembered(preferences.get(s, g.user.id, cols.PREFERENCE), every)
    return chosen or cols.default(every)


def _chips(query: dict, every: tuple, shown: tuple) -> list[tuple[str, str, str]]:
    """(label, value, link without it) of every active filter, and of the sort when its column
    is hidden: each stays visible whatever the columns."""
    labels = {"q": "Search", "segment": "Segment", "band": "Band", "phase": "Phase",
              **{n: label for n, label, _ in RANGE_INPUTS + NORTH_STAR_INPUTS}}
    out = [(label, query[n].replace("_", " ") if n in ("band", "phase") else query[n],
            _link(query, **{n: None}, cursor=None)) for n, label in labels.items() if query.get(n)]
    field = query["sort"].lstrip("-")
    if field not in {f for _, _, f in shown}:
        heading = next((h for _, h, f in every if f == field), field)
        out.append(("Sorted by", heading + (" ▼" if query["sort"].startswith("-") else " ▲"),
                    _link(query, sort=None, cursor=None)))
    return out


def _page(query: dict) -> dict:
    st = current_app.extensions["account360"]
    try:
        ranges = parse_ranges(query)
        with st.store.sessions() as s:
            page = list_accounts(st, s, query["q"], query["owner"], query["band"],
                                 query["phase"], query["sort"], PAGE, query["cursor"],
                                 utcnow().date(), query["segment"], ranges)
            choices = {"owners": ws.owners(s), "segments": ws.segments(s)}
            fresh = ws.freshness_line(s)
            views = saved_views.list_views(s, g.user.id)
    except ApiError as exc:
        abort(400, description=exc.message)
    return {"page": page, "choices": choices, "fresh": fresh, "views": views}


def cell(column: str, value) -> str:
    """A cell as the table and the CSV show it."""
    if value is None:
        return ""
    if column == "arr":
        return money(value)
    if column in ("health_score", "relationship_score"):
        return f"{value:.0f}"
    if column in ("sentiment", "sentiment_change_90d"):
        return f"{value:+.0f}" if round(value) else "0"
    if column == "email_reply_hours_median":
        return f"{value:.1f}"
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
    inputs = range_inputs()
    every = columns()
    shown = cols.shown(every, query["cols"].split(","))
    return render_template("workspace/accounts.html", query=query, columns=shown,
                           all_columns=every, chips=_chips(query, every, shown),
                           default_cols=cols.default(every),
                           cell=cell, link=_link, bands=BANDS, phases=PHASES, numeric=NUMERIC,
                           range_inputs=inputs, view_link=_view_link,
                           ranges_open=any(query[n] for n, _, _ in inputs),
                           csv_url=url_for("app.accounts_csv", **csv_args), page_size=PAGE,
                           currency=current_app.extensions["account360"].settings.currency,
                           **data)


def _view_link(view: dict) -> str:
    return url_for("app.accounts", **view["query"])


@bp.post("/accounts/views")
@login_required
def save_view():
    query = {k: request.form.get(k) for k in saved_views.KEYS if k in request.form}
    st = current_app.extensions["account360"]
    try:
        parse_ranges(query)  # a view of a bad query is refused, as the table refuses it
        cols.parse(query.get("cols"), columns())
        with st.store.session() as s:
            view = saved_views.save_view(s, g.user.id, request.form.get("name", ""), query)
    except ApiError as exc:
        abort(400, description=exc.message)
    return redirect(_view_link(view))


@bp.post("/accounts/columns")
@login_required
def choose_columns():
    """The column chooser's form: remember the checked columns (or, with `reset`, forget the
    choice) and show the table with them, its other state kept."""
    every = columns()
    try:
        chosen = cols.parse(",".join(request.form.getlist("col")) or "name", every)
    except ApiError as exc:
        abort(400, description=exc.message)
    if request.form.get("reset"):
        chosen = None
    st = current_app.extensions["account360"]
    with st.store.session() as s:
        preferences.put(s, g.user.id, cols.PREFERENCE, chosen)
    state = {k: request.form[k] for k in saved_views.KEYS
             if k != "cols" and request.form.get(k) not in (None, "")}
    if "owner" in request.form and "owner" not in state:
        state["owner"] = ""  # the whole team, as the table showed it
    return redirect(url_for("app.accounts", **state,
                            cols=",".join(chosen or cols.default(every))))


@bp.post("/accounts/views/<int:view_id>/delete")
@login_required
def delete_view(view_id: int):
    st = current_app.extensions["account360"]
    with st.store.session() as s:
        if not saved_views.delete_view(s, g.user.id, view_id):
            abort(404, description="No such saved view.")
    return redirect(url_for("app.accounts"))


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
    shown = cols.shown(columns(), query["cols"].split(","))
    writer.writerow([_safe(heading) for _, heading, _ in shown])
    for item in items:
        # figures are written as shown (a sentiment of -12 is a number, not a formula)
        writer.writerow([cell(col, item.get(col)) if col in NUMERIC
                         else _safe(cell(col, item.get(col))) for col, _, _ in shown])
    return Response(out.getvalue(), mimetype="text/csv", headers={
        "Content-Disposition": "attachment; filename=accounts.csv"})
