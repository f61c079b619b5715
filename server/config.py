"""Service configuration: defaults, then ACCOUNT360_* environment variables, then test overrides."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

PREFIX = "ACCOUNT360_"

#: Every setting the service reads, with its default and a one-line description.
ENV_VARS: dict[str, tuple[Any, str]] = {
    "DATA_DIR": (None, "Directory for the SQLite file and generated keys (default ./data)."),
    "DATABASE_URL": (None, "SQLAlchemy URL; default sqlite:///<DATA_DIR>/account360.db."),
    "SETTINGS": (None, "Path of the workspace settings TOML file (optional)."),
    "SECRET_KEY": (None, "Key for sessions and encrypting secrets at rest."),
    "EXTENSION_ORIGINS": ("", "Comma-separated origins allowed by CORS (chrome-extension://<id>)."),
    "CORS_ORIGINS": ("", "Extra comma-separated web origins allowed by CORS."),
    "CACHE_TTL": (300, "Seconds a computed 360 stays cached."),
    "CACHE_SIZE": (2048, "Maximum number of cached 360 responses."),
    "MAX_BODY_BYTES": (1_000_000, "Largest JSON body accepted by write endpoints."),
    "MAX_IMPORT_BYTES": (512_000_000, "Largest body accepted by POST /api/v1/import."),
    "LOG_LEVEL": ("INFO", "Logging level."),
}

_INT_KEYS = {"CACHE_TTL", "CACHE_SIZE", "MAX_BODY_BYTES", "MAX_IMPORT_BYTES"}
_LIST_KEYS = {"EXTENSION_ORIGINS", "CORS_ORIGINS"}


class ConfigError(RuntimeError):
    """A setting is missing or invalid; the message names it."""


def _split(value: Any) -> list[str]:
    if isinstance(value, (list, tuple)):
        return [str(v).strip() for v in value if str(v).strip()]
    return [part.strip() for part in str(value or "").split(",") if part.strip()]


def load_config(overrides: dict[str, Any] | None = None, environ: dict[str, str] | None = None) -> dict:
    """Resolve the configuration: defaults < environment < overrides."""
    env = os.environ if environ is None else environ
    cfg: dict[str, Any] = {key: default for key, (default, _) in ENV_VARS.items()}
    for key in ENV_VARS:
        if PREFIX + key in env:
            cfg[key] = env[PREFIX + key]
    for key, value in (overrides or {}).items():
        cfg[key] = value
    for key in _INT_KEYS:
        try:
            cfg[key] = int(cfg[key])
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"{PREFIX}{key} must be an integer, got {cfg[key]!r}") from exc
    for key in _LIST_KEYS:
        cfg[key] = _split(cfg[key])
    data_dir = Path(cfg["DATA_DIR"] or Path.cwd() / "data")
    cfg["DATA_DIR"] = str(data_dir)
    if not cfg["DATABASE_URL"]:
        data_dir.mkdir(parents=True, exist_ok=True)
        cfg["DATABASE_URL"] = f"sqlite:///{data_dir / 'account360.db'}"
    return cfg


def secret_key(cfg: dict) -> str:
    """The configured secret key, or one generated once into <DATA_DIR>/secret.key (mode 0600)."""
    if cfg.get("SECRET_KEY"):
        return str(cfg["SECRET_KEY"])
    path = Path(cfg["DATA_DIR"]) / "secret.key"
    if path.exists():
        return path.read_text().strip()
    import secrets

    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key
