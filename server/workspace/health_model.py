"""The health model page (/app/health-model): the backtest of the current settings, a
preview of a proposed settings file (pasted or uploaded) side by side, and for admins
applying it or rolling back to an earlier version (settings as code, with history)."""

from __future__ import annotations

from datetime import date

from flask import abort, current_app, g, redirect, render_template, request, url_for
from sqlalchemy import func, select

from server.admin.web import admin_required, login_required
from server.backtest import runs, stored
from server.backtest.preview import default_period, preview
from server.backtest.report import side_by_side
from server.backtest.service import BacktestError
from server.models import Account, utcnow
from server.rows.build import settings_version
from server.services import workspace as ws
from server.settings import SettingsError
from server.settings_history import apply, describe, history, parse_text, rollback
from server.workspace.blueprint import bp
from server.workspace.figures import money


def _period(values) -> tuple[date, date, int]:
    today = utcnow().date()
    start, end = default_period(today)
    try:
        start = date.fromisoformat(values.get("start") or start.isoformat())
        end = date.fromisoformat(values.get("end") or end.isoformat())
        horizon = int(values.get("horizon") or 90)
    except ValueError:
        abort(400, description="start and end are dates (YYYY-MM-DD), horizon a number of days")
    return start, end, horizon


def _text() -> str:
    upload = request.files.get("file")
    if upload is not None and upload.filename:
        try:
            return upload.read(300_000).decode("utf-8")
        except UnicodeDecodeError:
            raise SettingsError("settings: the uploaded file is not UTF-8 text") from None
    return request.form.get("settings", "")


def _chart(bt: dict, proposed: dict | None) -> dict:
    bands = ["good", "watch", "at_risk", "unknown"]
    series = [{"label": "current", "values": [bt["bands"][b]["churn_rate"]["value"]
                                              for b in bands]}]
    if proposed is not None:
        series.append({"label": "proposed", "values": [proposed["bands"][b]["churn_rate"]["value"]
                                                       for b in bands]})
    return {"labels": bands, "series": series}


def _page(status: int = 200, **extra):
    st = current_app.extensions["account360"]
    start, end, horizon = _period(request.values)
    error = extra.pop("error", None)
    page = {"bt": extra.pop("current_bt", None), "row": None, "running": None}
    with st.store.session() as s:
        try:
            if page["bt"] is None and not extra.get("running"):
                page = stored.for_page(s, st.store, st.settings, start, end, horizon,
                                       g.user.email, st.config["PREVIEW_INLINE_ACCOUNTS"])
        except BacktestError as exc:
            page["bt"], error, status = None, str(exc), 400
        bt = page["bt"]
        versions = history(s)
        current = describe(s, settings_version(st.settings))
        fresh = ws.freshness_line(s)
    p = extra.get("preview")
    chart = _chart(bt, p["backtest"]["proposed"] if p else None) if bt else None
    return render_template(
        "workspace/health_model.html", bt=bt, start=start, end=end, horizon=horizon,
        versions=versions, current=current, source=st.settings.source, fresh=fresh,
        error=error, money=money, currency=st.settings.currency, chart=chart,
        is_admin=g.user.role == "admin", applied=request.args.get("applied", type=int),
        side=side_by_side(bt, p["backtest"]["proposed"]) if p and bt else None,
        stored=page, **extra), status


@bp.get("/health-model")
@login_required
def health_model():
    run_id = request.args.get("preview", type=int)
    if run_id is None:
        return _page()
    st = current_app.extensions["account360"]
    with st.store.sessions() as s:
        row = runs.load(s, run_id)
    if row is None:
        abort(404, description="no such preview")
    if row.status == "done":
        return _page(preview=row.result, text=row.body, current_bt=row.result["backtest"]["current"])
    if row.status == "failed":
        return _page(error=f"The preview failed: {row.error}", text=row.body)
    return _page(running=row, text=row.body)


@bp.post("/health-model/backtest")
@login_required
def health_model_backtest():
    """Compute the backtest of the chosen period again (a job on a large workspace)."""
    st = current_app.extensions["account360"]
    start, end, horizon = _period(request.values)
    try:
        with st.store.session() as s:
            stored.request(s, st.store, st.settings, start, end, horizon, g.user.email)
    except BacktestError as exc:
        return _page(400, error=str(exc))
    return redirect(url_for("app.health_model", start=start.isoformat(), end=end.isoformat(),
                            horizon=horizon))


@bp.post("/health-model/preview")
@login_required
def health_model_preview():
    st = current_app.extensions["account360"]
    start, end, horizon = _period(request.values)
    try:
        text = _text()
        proposed = parse_text(text, "the proposed settings")
    except SettingsError as exc:
        return _page(400, error=str(exc), text=request.form.get("settings", ""))
    try:
        with st.store.session() as s:
            if s.scalar(select(func.count()).select_from(Account)) > \
                    st.config["PREVIEW_INLINE_ACCOUNTS"]:
                row = runs.request(s, st.store, text, start, end, horizon, g.user.email)
                s.flush()
                target = url_for("app.health_model", preview=row.id, start=start.isoformat(),
                                 end=end.isoformat(), horizon=horizon)
            else:
                p = preview(s, st.settings, proposed, start, end, horizon, utcnow().date())
                target = None
    except BacktestError as exc:
        return _page(400, error=str(exc), text=text)
    if target:
        return redirect(target)
    return _page(preview=p, text=text, current_bt=p["backtest"]["current"])


@bp.post("/health-model/apply")
@admin_required
def health_model_apply():
    st = current_app.extensions["account360"]
    text = request.form.get("settings", "")
    try:
        with st.store.session() as s:
            row, new = apply(s, text, g.user.email, "page", st.settings)
            if row is not None:
                stored.request_default(s, st.store, new, g.user.email,
                                       st.config["PREVIEW_INLINE_ACCOUNTS"])
    except SettingsError as exc:
        return _page(400, error=f"{exc} (nothing was changed)", text=text)
    if row is not None:
        st.use_settings(new)
    return redirect(url_for("app.health_model", applied=row.id if row else 0))


@bp.post("/health-model/rollback")
@admin_required
def health_model_rollback():
    st = current_app.extensions["account360"]
    try:
        number = int(request.form.get("version", ""))
        with st.store.session() as s:
            row, new = rollback(s, number, g.user.email, st.settings)
            if row is not None:
                stored.request_default(s, st.store, new, g.user.email,
                                       st.config["PREVIEW_INLINE_ACCOUNTS"])
    except ValueError:
        return _page(400, error="version must be a version number")
    except SettingsError as exc:
        return _page(400, error=f"{exc} (nothing was changed)")
    if row is not None:
        st.use_settings(new)
    return redirect(url_for("app.health_model", applied=row.id if row else 0))
