"""The admin web app: sign-in, users and tokens, connectors (OAuth and keys), background
syncs with live progress, browser-extension pairing and the HubSpot webhook.

Server-rendered pages (Jinja templates, plain CSS, a few lines of JS for the progress bars
and the extension hand-off). Every form carries a CSRF token; sessions are signed cookies
(HttpOnly, SameSite=Lax, Secure over HTTPS).
"""

from __future__ import annotations

import typing as t

from flask import Flask

from server.admin.connections import Credentials, option
from server.jobs.embedded import EmbeddedWorker
from server.jobs.work import Runtime
from server.admin.state import Admin, admin_state
from server.secrets import Vault


def init_app(app: Flask) -> None:
    """Wire sessions, ProxyFix, the blueprints and the embedded job runner into `app`."""
    from werkzeug.middleware.proxy_fix import ProxyFix

    from server import logs, workspace
    from server.admin import views, webhooks
    from server.admin.security import configure_sessions

    state = app.extensions["account360"]
    cfg = state.config
    logs.install()  # invite secrets and OAuth code/state never reach the access log
    configure_sessions(app, {"PUBLIC_URL": cfg.get("PUBLIC_URL")})
    proxies = int(option(cfg, "TRUSTED_PROXIES") or 0)
    if proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies,
                                x_host=proxies, x_port=proxies, x_prefix=proxies)
    scheme = option(cfg, "PREFERRED_URL_SCHEME")
    if scheme:
        app.config["PREFERRED_URL_SCHEME"] = scheme
    vault = Vault.from_config(cfg)
    creds = Credentials(state.store, vault)
    runner = EmbeddedWorker(Runtime(state.store, cfg, creds, state.settings),
                            poll_seconds=float(option(cfg, "SYNC_POLL_SECONDS")),
                            concurrency=int(option(cfg, "WORKER_CONCURRENCY") or 4))
    # the embedded queue runs in the web process unless told off; procrastinate's jobs run
    # in `account360 worker` processes only
    app.extensions["account360_admin"] = Admin(
        cfg=cfg, vault=vault, credentials=creds, runner=runner,
        autostart=str(option(cfg, "SCHEDULER")).lower() == "web"
        and cfg.get("JOB_QUEUE", "embedded") == "embedded")
    app.register_blueprint(views.bp)
    app.register_blueprint(views.root)
    app.register_blueprint(webhooks.bp)
    workspace.register(app)

    @app.before_request
    def _start_runner() -> None:
        adm = app.extensions["account360_admin"]
        if adm.autostart and not app.testing:
            adm.runner.start()


__all__: t.Sequence[str] = ("init_app", "admin_state", "Admin")
