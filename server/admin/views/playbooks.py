"""Playbooks (admins): the playbooks file viewed and edited with validation (a bad file is
refused with the errors and nothing is written), its version history (who changed what),
today's preview, the recent firings with each action's outcome, and the stored secrets."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, g, redirect, render_template, request, url_for

from server.admin.state import admin_state
from server.admin.web import admin_required, store
from server.playbooks import store as pstore
from server.playbooks.history import digests, firings, runs
from server.playbooks.service import Env, preview
from server.playbooks.spec import PlaybookFileError
from server.rows.refresh import today

bp = Blueprint("playbooks", __name__)


def _path() -> str | None:
    return admin_state().cfg.get("PLAYBOOKS")


def _disk_text() -> str | None:
    path = _path()
    if not path or not Path(path).exists():
        return None
    return Path(path).read_text(encoding="utf-8")


def _page(text: str | None = None, errors: list[str] | None = None, notice: str | None = None,
          status: int = 200):
    adm = admin_state()
    disk = _disk_text()
    shown = disk if text is None else text
    items, error_now = [], None
    if disk is not None:
        try:                                 # an edit made on disk is recorded too
            pf = pstore.load_file(store(), adm.vault, _path())
            items = preview(Env(store(), adm.cfg, adm.vault), pf, today())
        except PlaybookFileError as exc:
            error_now = exc.errors
    with store().sessions() as s:
        history = pstore.versions(s)
        fired, _ = firings(s, 50)
        recent = runs(s, 10)
        sent = digests(s, 30)
        secrets = pstore.secret_names(s)
    return render_template("admin/playbooks.html", path=_path(), text=shown or "",
                           errors=errors or [], error_now=error_now, notice=notice,
                           items=items, versions=history, firings=fired, runs=recent, digests=sent,
                           secrets=secrets, today=today()), status


@bp.get("/playbooks")
@admin_required
def playbooks():
    return _page()


@bp.post("/playbooks")
@admin_required
def save_playbooks():
    text = request.form.get("text") or ""
    adm = admin_state()
    try:
        changed = pstore.save_file(store(), adm.vault, _path(), text, g.user.email)
    except PlaybookFileError as exc:
        return _page(text=text, errors=exc.errors, status=400)
    return _page(notice="Saved." if changed else "No change.")


@bp.get("/playbooks/versions/<int:version_id>")
@admin_required
def playbook_version(version_id: int):
    with store().sessions() as s:
        text = pstore.version_text(s, admin_state().vault, version_id)
        diff = pstore.version_diff(s, admin_state().vault, version_id)
        meta = next((v for v in pstore.versions(s, 1000) if v["id"] == version_id), None)
    if text is None or meta is None:
        abort(404)
    return render_template("admin/playbook_version.html", text=text, diff=diff, v=meta)


@bp.post("/playbooks/secrets")
@admin_required
def set_playbook_secret():
    name = (request.form.get("name") or "").strip().lower()
    try:
        with store().session() as s:
            pstore.set_secret(s, admin_state().vault, name, request.form.get("value") or "",
                              g.user.email)
    except ValueError as exc:
        return _page(errors=[f"secret {name!r}: {exc}"], status=400)
    return redirect(url_for("admin.playbooks.playbooks") + "#secrets")


@bp.post("/playbooks/secrets/<name>/delete")
@admin_required
def delete_playbook_secret(name: str):
    with store().session() as s:
        if not pstore.delete_secret(s, name):
            abort(404)
    return redirect(url_for("admin.playbooks.playbooks") + "#secrets")
