"""The browser extension as the server knows it: its id, pinned by the public key in
extension/manifest.json ("key"), so that one-click pairing reaches an unpacked copy of the
repository's extension with no setting. A build published under another id (a store listing)
sets ACCOUNT360_EXTENSION_ID instead."""

from __future__ import annotations

import base64
import hashlib

#: chrome-extension://<id> of extension/manifest.json's "key" (tests check they agree).
PINNED_ID = "cgamllblcjnbghdakjbbgbmgcmdiploe"


def id_of_key(key_b64: str) -> str:
    """Chromium's extension id of a manifest "key": the SHA-256 of the DER public key, its
    first 32 hex digits written with the letters a-p."""
    digest = hashlib.sha256(base64.b64decode(key_b64)).hexdigest()[:32]
    return "".join(chr(ord("a") + int(ch, 16)) for ch in digest)
