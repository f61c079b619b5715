"""Secrets at rest: connector credentials and OAuth tokens, encrypted with Fernet.

The encryption key is derived with HKDF-SHA256 from the service secret key
(`ACCOUNT360_SECRET_KEY`, or the generated `<DATA_DIR>/secret.key`, mode 0600), under its own
`info` label so the session-signing key and the encryption key are never the same bytes.
`ACCOUNT360_PREVIOUS_SECRET_KEYS` (comma-separated) keeps older keys readable after a
rotation: values are decrypted with any of them and re-encrypted with the current one.

Plaintext never leaves this module except to the caller that asked for it: `Sealed` values
mask themselves in repr/str so they cannot end up in a log line by accident.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

INFO = b"account360 secrets at rest v1"
SALT = b"account360"
PREVIOUS_ENV = "ACCOUNT360_PREVIOUS_SECRET_KEYS"


class SecretError(RuntimeError):
    """A stored secret cannot be decrypted (wrong or rotated-away key, or tampering)."""


def derive_key(secret: str) -> bytes:
    """The urlsafe-base64 Fernet key derived from a service secret."""
    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=SALT, info=INFO).derive(
        secret.encode())
    return base64.urlsafe_b64encode(raw)


class Vault:
    """Encrypts and decrypts JSON-serialisable values with the current and previous keys."""

    def __init__(self, secret: str, previous: list[str] | None = None) -> None:
        if not secret:
            raise SecretError("no secret key configured")
        keys = [Fernet(derive_key(secret))] + [Fernet(derive_key(p)) for p in previous or []
                                                if p]
        self._fernet = MultiFernet(keys)

    @classmethod
    def from_config(cls, cfg: dict) -> Vault:
        from server.config import secret_key

        previous = cfg.get("PREVIOUS_SECRET_KEYS") or []
        if isinstance(previous, str):
            previous = [p.strip() for p in previous.split(",") if p.strip()]
        return cls(secret_key(cfg), list(previous))

    def encrypt(self, value: Any) -> str:
        """Ciphertext (ASCII) of a JSON-serialisable value."""
        data = json.dumps(value, separators=(",", ":"), sort_keys=True).encode()
        return self._fernet.encrypt(data).decode("ascii")

    def decrypt(self, token: str) -> Any:
        try:
            return json.loads(self._fernet.decrypt(token.encode("ascii")))
        except (InvalidToken, ValueError) as exc:
            raise SecretError("a stored secret could not be decrypted: was "
                              "ACCOUNT360_SECRET_KEY changed without listing the old key in "
                              f"{PREVIOUS_ENV}?") from exc

    def rotate(self, token: str) -> str:
        """Re-encrypt a ciphertext with the current key."""
        return self._fernet.rotate(token.encode("ascii")).decode("ascii")

    def __repr__(self) -> str:
        return "Vault(***)"


def mask(value: str | None, keep: int = 4) -> str:
    """A display form of a secret: its last characters only."""
    if not value:
        return ""
    return "•" * 8 + (value[-keep:] if len(value) > 3 * keep else "")
