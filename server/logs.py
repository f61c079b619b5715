"""Access-log hygiene: invite secrets, OAuth `code`/`state` and other credentials that travel
in URLs never reach a log line. A filter on the werkzeug and gunicorn loggers rewrites each
record's formatted message (request line, referer, `next=` redirects, URL-encoded or not)."""

from __future__ import annotations

import logging
import re

#: Query parameters whose values are credentials (plain `a=b` or URL-encoded `a%3Db`).
SECRET_PARAMS = ("code", "state", "token", "access_token", "refresh_token", "id_token",
                 "secret", "password", "client_secret")
_PARAM = re.compile(
    r"(?i)((?:[?&]|%3F|%26)(?:" + "|".join(SECRET_PARAMS) + r")(?:=|%3D))[^&\s\"']*")
#: Path segments that are credentials: /admin/invite/<secret>.
_PATH = re.compile(r"(?i)((?:/|%2F)invite(?:/|%2F))[^?/\s\"'&%]+")
MASK = "***"
LOGGERS = ("werkzeug", "gunicorn.access", "gunicorn.error")


def redact(text: str) -> str:
    """`text` with every secret URL part replaced by ***."""
    return _PATH.sub(lambda m: m.group(1) + MASK, _PARAM.sub(lambda m: m.group(1) + MASK, text))


class SecretFilter(logging.Filter):
    """Redact the record's message; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a malformed record: leave it to logging
            return True
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        return True


_FILTER = SecretFilter()


def install() -> None:
    """Attach the filter to the access loggers (idempotent)."""
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
