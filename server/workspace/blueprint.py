"""The workspace blueprint, which the page modules register their routes on.

It shares the admin app's sign-in, CSRF, security headers and error pages (the hooks of
server.admin.web run for it too). The page modules import `bp` from here and
server.workspace imports the page modules, so the imports go one way.
"""

from __future__ import annotations

from flask import Blueprint

from server.admin import web

bp = Blueprint("app", __name__, url_prefix="/app", template_folder="templates",
               static_folder="static", static_url_path="/static")
bp.before_request(web.load_user)
bp.after_request(web.security_headers)
bp.register_error_handler(web.HTTPException, web.error_page)
