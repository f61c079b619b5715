"""The CS workspace: server-rendered pages under /app for CSMs, leads and admins.

It shares the admin app's sign-in, CSRF, security headers, error pages and layout (the
hooks of server.admin.web run for this blueprint too). Pages read the same services as the
API (portfolio, search, 360), never tables directly.
"""

from __future__ import annotations

from flask import Blueprint

from server.admin import web

bp = Blueprint("app", __name__, url_prefix="/app", template_folder="templates",
               static_folder="static", static_url_path="/static")
bp.before_request(web.load_user)
bp.after_request(web.security_headers)
bp.register_error_handler(web.HTTPException, web.error_page)


def register(app) -> None:
    from server.workspace import accounts, dashboard, priority  # noqa: F401  (routes on bp)

    app.register_blueprint(bp)
