"""The dashboard's door to the database: one read per need, each its own transaction.

The queries are ``storage.browse``'s; this wraps each in a session, so the dashboard (pages,
API, feeds, /metrics) never opens one. Reads are not retried, unlike the Store's methods: a
page would rather answer now than wait half a minute for a database that is down.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, datetime
from typing import Concatenate, ParamSpec, TypeVar

from sqlalchemy import Engine
from sqlmodel import Session

from monitor.types import Document
from storage import browse, documents, event_browse, exports, queries
from storage.browse import (
    ChangeDetail,
    ChangePage,
    ChangeQuery,
    DashboardCounts,
    DeliveryPage,
    FilterOptions,
    SnapshotInfo,
    SourceHealth,
)
from storage.db import session_scope
from storage.event_browse import EventDetail, EventPage, EventQuery
from storage.exports import EventPack, ExportedEvent
from storage.models import ChangeRow, CheckRow, DeadlineRow, SourceRow

P = ParamSpec("P")
T = TypeVar("T")


class Reader:
    """Read-only queries for the dashboard, on the Store's engine (``Store.reader``)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def _read(
        self, query: Callable[Concatenate[Session, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        with session_scope(self._engine) as session:
            return query(session, *args, **kwargs)

    def database_ok(self) -> bool:
        return self._read(browse.database_ok)

    def changes_page(self, q: ChangeQuery, *, count: bool = True) -> ChangePage:
        return self._read(browse.changes_page, q, count=count)

    def filter_options(self) -> FilterOptions:
        return self._read(browse.filter_options)

    def change_detail(self, change_id: int) -> ChangeDetail | None:
        return self._read(browse.change_detail, change_id)

    def source_titles(self, keys: set[str]) -> dict[str, str]:
        return self._read(browse.source_titles, keys)

    def is_muted(self, source_key: str, item_key: str) -> bool:
        return self._read(browse.is_muted, source_key, item_key)

    def blob_content_type(self, digest: str) -> str | None:
        return self._read(browse.blob_content_type, digest)

    def previous_blob(self, change: ChangeRow) -> str | None:
        """The raw body of the version ``change`` compares against, if it is kept."""
        return self._read(documents.previous_blob, change)

    def source_row(self, key: str) -> SourceRow | None:
        return self._read(browse.source_row, key)

    def source_health(self, now: datetime, key: str | None = None) -> list[SourceHealth]:
        return self._read(browse.source_health, now, key)

    def recent_checks(self, key: str, limit: int = 50) -> list[CheckRow]:
        return self._read(browse.recent_checks, key, limit)

    def source_snapshots(self, key: str, limit: int = 50) -> list[SnapshotInfo]:
        return self._read(browse.source_snapshots, key, limit)

    def snapshot_info(self, snapshot_id: int) -> SnapshotInfo | None:
        return self._read(browse.snapshot_info, snapshot_id)

    def document(self, snapshot_id: int) -> Document:
        return self._read(queries.load_document, snapshot_id)

    def weekly_counts(self, since: datetime) -> list[tuple[date, str, int]]:
        return self._read(browse.weekly_counts, since)

    def deadlines_between(
        self, start: datetime | None, end: datetime | None, include_closed: bool = False
    ) -> list[DeadlineRow]:
        return self._read(browse.deadlines_between, start, end, include_closed)

    def deliveries_page(
        self, status: str | None, page: int = 1, per_page: int = 50
    ) -> DeliveryPage:
        return self._read(browse.deliveries_page, status, page, per_page)

    def dashboard_counts(self, now: datetime) -> DashboardCounts:
        return self._read(browse.dashboard_counts, now)

    def export_events(
        self, where: EventQuery, batch: int = exports.BATCH
    ) -> Iterator[list[ExportedEvent]]:
        """The events matching ``where``, newest first, ``batch`` at a time: each batch is its
        own short transaction, so a long download holds no read open (an event updated while
        it runs may move past the cursor and be left out: export again for a later state)."""
        after = None
        while True:
            found = self._read(exports.event_batch, where, after, batch)
            if found.events:
                yield list(found.events)
            if found.cursor is None:
                return
            after = found.cursor

    def event_pack(self, event_id: int) -> EventPack | None:
        return self._read(exports.event_pack, event_id)

    def blob(self, digest: str) -> bytes | None:
        """A stored raw response, decompressed (None: not kept)."""
        return self._read(queries.load_blob, digest)

    def events_page(self, q: EventQuery) -> EventPage:
        return self._read(event_browse.events_page, q)

    def event_detail(self, event_id: int) -> EventDetail | None:
        return self._read(event_browse.event_detail, event_id)

    def event_sources(self, ids: list[int]) -> dict[int, list[str]]:
        return self._read(event_browse.event_sources, ids)
