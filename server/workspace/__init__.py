"""The CS workspace: server-rendered pages under /app for CSMs, leads and admins (team
dashboard, priority accounts, accounts table), on the admin app's sign-in and layout.

Pages read the same services as the API (portfolio, account list, priority), never tables
directly.
"""

from __future__ import annotations


def register(app) -> None:
    from server.workspace import (  # noqa: F401  (their routes on bp)
        account, accounts, dashboard, health_model, lifecycle, priority, tasks)
    from server.workspace.blueprint import bp

    app.register_blueprint(bp)
