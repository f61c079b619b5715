"""The admin app's lifetime state (vault, credentials, runner), reached by every admin module."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask

from server.admin.connections import Credentials
from server.jobs.embedded import EmbeddedWorker
from server.secrets import Vault


@dataclass
class Admin:
    """What the admin app keeps for the app's lifetime."""

    cfg: dict
    vault: Vault
    credentials: Credentials
    runner: EmbeddedWorker
    autostart: bool


def admin_state(app: Flask | None = None) -> Admin:
    from flask import current_app

    return (app or current_app).extensions["account360_admin"]
