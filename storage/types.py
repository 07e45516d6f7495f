"""Column types that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator
from sqlmodel.sql.sqltypes import AutoString

from monitor.types import web_url


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes in, the same out (SQLite would hand back naive ones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime) or value.tzinfo is None:
            raise ValueError(f"expected a timezone-aware datetime, got {value!r}")
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class WebUrl(TypeDecorator[str]):
    """A scraped link to a document: only an http(s) URL is written or read back, else NULL.

    Every surface (pages, JSON API, Atom, iCalendar, webhook, Slack, e-mail, Apprise) reads
    document URLs from these columns, so applying ``monitor.types.web_url`` here, on the way in
    and on the way out (rows stored before the rule existed), keeps a scraped ``javascript:``
    link out of all of them at once. The snapshot keeps the item as scraped, as evidence.
    """

    impl = AutoString
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        return web_url(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> str | None:
        return web_url(value)
