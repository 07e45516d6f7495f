"""The Store: lexwatch's one handle on the database, used by the pipeline, CLI and service."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import Engine

from monitor.errors import StorageError
from monitor.types import CheckRecord, Document, Source, SourceState
from storage import queries
from storage.db import current_revision, head_revision, make_engine, session_scope, upgrade
from storage.models import BlobRow, ChangeRow, CheckRow, DeadlineRow, SnapshotRow, SourceRow
from storage.queries import ChangeFilter

logger = logging.getLogger(__name__)


class Store:
    """Synchronous, thread-safe: each call is its own transaction."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @classmethod
    def open(cls, url: str, *, migrate: bool = True) -> Store:
        """Open the database at ``url``, applying pending migrations unless told not to."""
        store = cls(make_engine(url))
        if migrate:
            revision = upgrade(store.engine)
            logger.debug("database %s at revision %s", store.engine.url, revision)
        elif current_revision(store.engine) != head_revision():
            raise StorageError("the database schema is not current: run `lexwatch db upgrade`")
        return store

    def close(self) -> None:
        self.engine.dispose()

    def sync_sources(self, sources: Iterable[Source]) -> None:
        with session_scope(self.engine) as session:
            queries.sync_sources(session, sources)

    def state(self, key: str) -> SourceState:
        with session_scope(self.engine) as session:
            return queries.source_state(session, key)

    def document(self, snapshot_id: int) -> Document:
        with session_scope(self.engine) as session:
            return queries.load_document(session, snapshot_id)

    def blob(self, digest: str) -> bytes | None:
        with session_scope(self.engine) as session:
            return queries.load_blob(session, digest)

    def record(self, record: CheckRecord, previous_snapshot: int | None) -> CheckRow:
        """Write one check atomically: either all of it is stored, or none of it."""
        with session_scope(self.engine) as session:
            return queries.record_check(session, record, previous_snapshot)

    def sources(self) -> Sequence[SourceRow]:
        with session_scope(self.engine) as session:
            return queries.list_sources(session)

    def changes(self, where: ChangeFilter) -> Sequence[ChangeRow]:
        with session_scope(self.engine) as session:
            return queries.list_changes(session, where)

    def change(self, change_id: int) -> ChangeRow | None:
        with session_scope(self.engine) as session:
            return queries.get_change(session, change_id)

    def checks(self, source_key: str, limit: int = 50) -> Sequence[CheckRow]:
        with session_scope(self.engine) as session:
            return queries.list_checks(session, source_key, limit)

    def deadlines(self, *, after: datetime | None,
                  include_closed: bool = False) -> Sequence[DeadlineRow]:
        with session_scope(self.engine) as session:
            return queries.list_deadlines(session, after=after, include_closed=include_closed)

    def mark_noise(self, change_id: int, now: datetime) -> ChangeRow | None:
        with session_scope(self.engine) as session:
            return queries.mark_noise(session, change_id, now)

    def counts(self) -> dict[str, int]:
        tables: dict[str, queries.Table] = {
            "sources": SourceRow, "checks": CheckRow, "snapshots": SnapshotRow,
            "blobs": BlobRow, "changes": ChangeRow, "deadlines": DeadlineRow,
        }
        with session_scope(self.engine) as session:
            return {name: queries.count_rows(session, table) for name, table in tables.items()}
