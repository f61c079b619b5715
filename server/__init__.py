"""account360: the customer 360 service."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from flask import Flask


@dataclass
class State:
    """What the app holds for its lifetime: store, workspace settings and the 360 cache."""

    config: dict
    store: Any
    settings: Any
    cache: Any

    def use_settings(self, settings: Any) -> None:
        """Compute with new workspace settings from now on (a newly applied version)."""
        self.settings = self.store.settings = settings
        self.cache.clear()


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the Flask app: defaults < ACCOUNT360_* env < test_config."""
    from flask_cors import CORS

    from server import api, errors, preview, settings_history
    from server.config import job_queue, load_config, secret_key
    from server.db import Store
    from server.services.cache import SharedCache

    cfg = load_config(test_config)
    app = Flask(__name__)
    app.config["SECRET_KEY"] = secret_key(cfg)
    app.config["JSON_SORT_KEYS"] = False
    app.json.sort_keys = False
    app.config["MAX_CONTENT_LENGTH"] = cfg["MAX_IMPORT_BYTES"]
    logging.getLogger("server").setLevel(cfg["LOG_LEVEL"])
    store = Store(cfg["DATABASE_URL"])
    try:
        store.check_current()   # migrations run from `account360 db upgrade`, never here
    except BaseException:
        store.dispose()
        raise
    store.settings = settings_history.effective(store, cfg["SETTINGS"])
    store.job_queue = job_queue(cfg, store)
    store.job_attempts = cfg["JOB_MAX_ATTEMPTS"]
    state = app.extensions["account360"] = State(
        config=cfg, store=store, settings=store.settings,
        cache=SharedCache(maxsize=cfg["CACHE_SIZE"], ttl=cfg["CACHE_TTL"]))
    watch = settings_history.Watch(settings_history.current_number(store))

    @app.before_request
    def _settings_current() -> None:   # a version applied by another process (the CLI)
        if watch.changed(store):
            state.use_settings(settings_history.effective(store, cfg["SETTINGS"]))
    origins = cfg["EXTENSION_ORIGINS"] + cfg["CORS_ORIGINS"]
    if origins:
        CORS(app, resources={r"/api/*": {"origins": origins}},
             allow_headers=["Authorization", "Content-Type", "Idempotency-Key"],
             methods=["GET", "POST", "PATCH", "OPTIONS"], max_age=600)
    errors.init_app(app)
    api.init_app(app)
    app.register_blueprint(preview.bp)
    from server import admin

    admin.init_app(app)
    from server import gc_freeze

    gc_freeze.init_app(app)
    return app
