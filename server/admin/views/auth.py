"""Sign-in, sign-out and accepting an invitation."""

from __future__ import annotations

import logging

from flask import Blueprint, abort, g, redirect, render_template, request, session, url_for

from server.admin.security import client_address
from server.admin.web import login_required, safe_next, store
from server.services import users as svc

log = logging.getLogger(__name__)

bp = Blueprint("auth", __name__)


@bp.get("/")
@login_required
def home():
    if g.user.role == "admin":
        return redirect(url_for("admin.connectors.connectors"))
    return redirect(url_for("admin.tokens.me"))


@bp.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "GET":
        if g.user is not None:
            return redirect(url_for("admin.auth.home"))
        return render_template("admin/login.html", next=request.args.get("next", ""))
    email = (request.form.get("email") or "").strip().lower()
    nxt = request.form.get("next") or ""
    try:
        user = svc.sign_in(store(), email, request.form.get("password") or "",
                           client_address())
    except svc.RateLimited:
        return render_template("admin/login.html", next=nxt, email=email,
                               error="Too many failed attempts: wait 15 minutes and try again."
                               ), 429
    except svc.SignInRefused:
        log.info("failed sign-in from %s", request.remote_addr)
        return render_template("admin/login.html", next=nxt, email=email,
                               error="Wrong email or password."), 401
    start_session(user)
    return redirect(landing(user, safe_next(nxt)))


def landing(user, target: str) -> str:
    """Where a sign-in ends: `target`, except that CSMs and leads sent to the admin home
    land in the workspace."""
    if target == url_for("admin.auth.home") and user.role != "admin":
        return url_for("app.dashboard")
    return target


def start_session(user) -> None:
    session.clear()  # a fresh session (and CSRF token) on every sign-in
    session.permanent = True
    session["uid"] = user.id
    session["sv"] = user.session_version


@bp.post("/logout")
def logout():
    session.clear()
    return redirect(url_for("admin.auth.login"))


@bp.route("/invite/<secret>", methods=["GET", "POST"])
def accept_invite(secret: str):
    user = svc.invited_user(store(), secret)
    if user is None:
        abort(404, description="This invitation link is not valid any more: ask your admin "
                               "for a new one.")
    if request.method == "GET":
        return render_template("admin/invite.html", user=user)
    password = request.form.get("password") or ""
    if password != (request.form.get("confirm") or ""):
        return render_template("admin/invite.html", user=user,
                               error="The two passwords differ."), 400
    try:
        user = svc.accept_invite(store(), user.id, password)
    except svc.UserError as exc:
        return render_template("admin/invite.html", user=user, error=str(exc)), 400
    start_session(user)
    return redirect(url_for("admin.tokens.me"))
