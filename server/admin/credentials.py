"""Stored connector credentials: each connector's settings and tokens, and a CRM's OAuth app
(client id and secret pasted in its card), sealed with server.secrets (ciphertext only in
`connector_configs.sealed` and `connector_configs.app_sealed`)."""

from __future__ import annotations

import typing as t

from sqlalchemy import select

from server.admin.models import ConnectorConfig
from server.models import utcnow
from server.secrets import Vault

DEFAULT_SCHEDULE_MINUTES = 360


class Credentials:
    """Read and write one connector's sealed settings."""

    def __init__(self, store: t.Any, vault: Vault) -> None:
        self.store = store
        self.vault = vault

    def get(self, name: str) -> dict | None:
        with self.store.sessions() as s:
            row = s.get(ConnectorConfig, name)
            if row is None or not row.sealed:
                return None
            return self.vault.decrypt(row.sealed)

    def save(self, name: str, data: dict, *, auth_kind: str | None = None,
             user: str | None = None, connected: bool = False) -> None:
        with self.store.session() as s:
            row = s.get(ConnectorConfig, name)
            if row is None:
                row = ConnectorConfig(connector=name, enabled=True,
                                      schedule_minutes=DEFAULT_SCHEDULE_MINUTES,
                                      auth_kind=auth_kind or "keys")
                s.add(row)
            row.sealed = self.vault.encrypt(data)
            if auth_kind:
                row.auth_kind = auth_kind
            row.updated_at = utcnow()
            if connected:
                row.connected_at = utcnow()
                row.connected_by = user
                row.last_error = None

    def update(self, name: str, **changes: t.Any) -> None:
        """Merge `changes` into the sealed settings (token refresh)."""
        with self.store.session() as s:
            row = s.get(ConnectorConfig, name)
            if row is None or not row.sealed:
                return
            data = self.vault.decrypt(row.sealed)
            data.update(changes)
            row.sealed = self.vault.encrypt(data)
            row.updated_at = utcnow()

    def delete(self, name: str) -> None:
        with self.store.session() as s:
            row = s.get(ConnectorConfig, name)
            if row is not None:
                row.sealed = None
                row.connected_at = None
                row.updated_at = utcnow()

    def rows(self) -> dict[str, ConnectorConfig]:
        with self.store.sessions() as s:
            return {r.connector: r for r in s.scalars(select(ConnectorConfig))}

    def set_error(self, name: str, message: str | None) -> None:
        with self.store.session() as s:
            row = s.get(ConnectorConfig, name)
            if row is not None:
                row.last_error = message

    # -- the OAuth app of a CRM (kept across disconnects) ------------------------------
    def get_app(self, name: str) -> dict | None:
        """{"client_id", "client_secret"} saved for this CRM, or None."""
        with self.store.sessions() as s:
            row = s.get(ConnectorConfig, name)
            if row is None or not row.app_sealed:
                return None
            return self.vault.decrypt(row.app_sealed)

    def save_app(self, name: str, client_id: str, client_secret: str) -> None:
        with self.store.session() as s:
            row = s.get(ConnectorConfig, name)
            if row is None:
                row = ConnectorConfig(connector=name, enabled=True, auth_kind="oauth",
                                      schedule_minutes=DEFAULT_SCHEDULE_MINUTES)
                s.add(row)
            row.app_sealed = self.vault.encrypt({"client_id": client_id,
                                                 "client_secret": client_secret})
            row.updated_at = utcnow()
