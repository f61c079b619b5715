"""The one context every `account360` command shares: configuration, store, settings, app."""

from __future__ import annotations

import typing as t

import click

from server.config import ConfigError, load_config


class Context:
    """Lazily loaded configuration, store and workspace settings for one command."""

    def __init__(self) -> None:
        self._store: t.Any = None
        self.config: dict | None = None

    def cfg(self) -> dict:
        if self.config is None:
            try:
                self.config = load_config()
            except ConfigError as exc:
                raise click.ClickException(str(exc)) from exc
        return self.config

    def _open(self) -> t.Any:
        from server.db import Store

        from server.config import job_queue

        store = Store(self.cfg()["DATABASE_URL"])
        store.settings = self.settings()  # what the metrics rows are computed with
        try:
            store.job_queue = job_queue(self.cfg(), store)
            store.job_attempts = self.cfg()["JOB_MAX_ATTEMPTS"]
        except ConfigError as exc:
            store.dispose()
            raise click.ClickException(str(exc)) from exc
        return store

    @property
    def store(self) -> t.Any:
        """The configured store; a clear error when it is not at the latest migration."""
        if self._store is None:
            from server.db import SchemaNotCurrent

            store = self._open()
            try:
                store.check_current()
            except SchemaNotCurrent as exc:
                store.dispose()
                raise click.ClickException(str(exc)) from exc
            self._store = store
        return self._store

    def upgrade(self) -> t.Any:
        """Apply pending migrations (db upgrade, serve, demo) and return the store."""
        if self._store is None:
            self._store = self._open()
        self._store.upgrade()
        return self._store

    def settings(self) -> t.Any:
        from server.settings import SettingsError, load

        try:
            return load(self.cfg()["SETTINGS"])
        except SettingsError as exc:
            raise click.ClickException(str(exc)) from exc

    def app(self) -> t.Any:
        """The Flask app on the configured store; configuration problems are CLI errors."""
        from server import create_app
        from server.db import SchemaNotCurrent
        from server.settings import SettingsError

        try:
            return create_app()
        except (SettingsError, ConfigError, SchemaNotCurrent) as exc:
            raise click.ClickException(str(exc)) from exc

    def close(self) -> None:
        if self._store is not None:
            self._store.dispose()
            self._store = None
