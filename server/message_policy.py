"""What the store keeps of a message's text (the `[messages]` table of the settings file).

- `text`: `full` keeps the text (up to 10,000 characters), `snippet` keeps its first
  `snippet_chars` characters (default), `none` keeps no text at all: the message is scored
  when it lands and only the score, time, channel, direction and people are stored.
- `retention_days`: text of messages older than this many days is erased (the score and
  the rest stay); 0 keeps text for ever. Applied when a message lands and by
  `account360 messages purge` (also run by `account360 metrics daily`).
- `scorer`: the sentiment scorer, a dotted name (server.sentiment).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

TEXT_POLICIES = ("full", "snippet", "none")


@dataclass(frozen=True)
class MessagePolicy:
    text: str = "snippet"
    snippet_chars: int = 280
    retention_days: int = 365
    scorer: str = "server.sentiment:vader"

    def stored_text(self, text: str | None, at: datetime, now: datetime) -> str | None:
        """The part of a message's text the store keeps (None: nothing)."""
        if not text or self.text == "none" or self.expired(at, now):
            return None
        if self.text == "snippet" and len(text) > self.snippet_chars:
            return text[: max(0, self.snippet_chars - 1)].rstrip() + "\u2026"
        return text

    def expired(self, at: datetime, now: datetime) -> bool:
        """True when a message's text is past the retention period."""
        return self.retention_days > 0 and at < now - timedelta(days=self.retention_days)

    def cutoff(self, now: datetime) -> datetime | None:
        """Text of messages before this time is erased (None: kept for ever)."""
        return now - timedelta(days=self.retention_days) if self.retention_days > 0 else None
