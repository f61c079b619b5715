"""The one context every `account360` command shares: configuration, store, settings, app."""

from __future__ import annotations

import typing as t

import click

from server.config import ConfigError, load_config


class Context:
    """Lazily loaded configuration, store and workspace settings for one command."""

    def __init__(self) -> None:
        self._store: t.Any = None
        self._raw: t.Any = None
        self._settings: t.Any = None
        self.config: dict | None = None

    def cfg(self) -> dict:
        if self.config is None:
            try:
                self.config = load_config()
            except ConfigError as exc:
                raise click.ClickException(str(exc)) from exc
        return self.config

    def _open(self) -> t.Any:
        """The configured store, not checked or migrated yet (opened once)."""
        if self._raw is None:
            from server.config import job_queue
            from server.db import Store

            store = Store(self.cfg()["DATABASE_URL"])
            try:
                store.job_queue = job_queue(self.cfg(), store)
                store.job_attempts = self.cfg()["JOB_MAX_ATTEMPTS"]
            except ConfigError as exc:
                store.dispose()
                raise click.ClickException(str(exc)) from exc
            self._raw = store
        return self._raw

    @property
    def store(self) -> t.Any:
        """The configured store; a clear error when it is not at the latest migration."""
        if self._store is None:
            from server.db import SchemaNotCurrent

            store = self._open()
            try:
                store.check_current()
            except SchemaNotCurrent as exc:
                raise click.ClickException(str(exc)) from exc
            store.settings = self.settings()  # what the metrics rows are computed with
            self._store = store
        return self._store

    def upgrade(self) -> t.Any:
        """Apply pending migrations (db upgrade, serve, demo) and return the store."""
        store = self._open()
        store.upgrade()
        if self._store is None:
            store.settings = self.settings()
            self._store = store
        return self._store

    def settings(self) -> t.Any:
        """The effective workspace settings: the latest applied version, else the file."""
        if self._settings is None:
            from server.settings import SettingsError
            from server.settings_history import effective

            try:
                self._settings = effective(self._open(), self.cfg()["SETTINGS"])
            except SettingsError as exc:
                raise click.ClickException(str(exc)) from exc
        return self._settings

    def use_settings(self, settings: t.Any) -> None:
        """The settings a newly applied version gives, for the rest of the command."""
        self._settings = settings
        if self._store is not None:
            self._store.settings = settings

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
        if self._raw is not None:
            self._raw.dispose()
        self._store = self._raw = None
