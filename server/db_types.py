"""The store's column types: a point in time always in UTC (server.models uses it)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, TypeDecorator
from sqlalchemy.engine import Dialect


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC (the only kind of datetime the store holds)."""
    return datetime.now(UTC)


class UtcDateTime(TypeDecorator):
    """A point in time stored in UTC and always read back as an aware UTC datetime.

    The column stays `DateTime(timezone=True)`; this type converts aware values to UTC on
    the way in (a naive value is taken as UTC) and adds the UTC zone on the way out, since
    SQLite keeps no zone and PostgreSQL answers in the session's time zone.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def coerce_compared_value(self, op: Any, value: Any) -> Any:
        # `column - timedelta(...)` and the like keep the plain types' arithmetic
        if isinstance(value, datetime):
            return self
        return self.impl_instance.coerce_compared_value(op, value)

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if not isinstance(value, datetime) or value.tzinfo is None:
            return value
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    def result_processor(self, dialect: Dialect, coltype: Any) -> Any:
        """SQLite's text is parsed by `datetime.fromisoformat` (C), not SQLAlchemy's regular
        expression: a 360 reading a year of messages spent most of its time there."""
        if dialect.name != "sqlite":
            return super().result_processor(dialect, coltype)

        def process(value: Any) -> datetime | None:
            moment = datetime.fromisoformat(value) if isinstance(value, str) else value
            return None if moment is None else self.process_result_value(moment, dialect)
        return process
