"""Queries of sources, snapshots, changes and deadlines. Functions take a Session and plain
values. Writing a check is ``storage.checks``; the dashboard's reads are ``storage.browse``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import Connection, bindparam, func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from monitor.types import (
    Document,
    Source,
    SourceOptions,
    SourceState,
)
from storage import outbox
from storage.codec import decode_document, decompress
from storage.db import upsert_insert
from storage.models import (
    BlobRow,
    ChangeRow,
    CheckRow,
    DeadlineRow,
    DeliveryRow,
    SnapshotRow,
    SourceRow,
)


@dataclass(frozen=True, kw_only=True, slots=True)
class ChangeFilter:
    source: str | None = None
    category: str | None = None
    since: datetime | None = None
    limit: int = 100


_KEYS_PER_QUERY = 500  # well under SQLite's and PostgreSQL's limits on bound parameters


def sync_sources(session: Session, sources: Iterable[Source]) -> None:
    """Insert or update each source's configuration; its fetch state is left alone.

    The stored rows are read in a few queries, not one per source (1,000 single-row SELECTs
    cost a fifth of a second at every start); only the rows that differ are written.
    """
    configured = list(sources)
    keys = [source.key for source in configured]
    stored: dict[str, dict[str, Any]] = {}
    for start in range(0, len(keys), _KEYS_PER_QUERY):
        chunk = keys[start : start + _KEYS_PER_QUERY]
        # The configured columns alone, not ORM rows: building 1,000 of those to compare
        # them cost more than the query.
        for key, *columns in session.connection().execute(_CONFIGURED, {"keys": chunk}):
            stored[key] = dict(zip(_CONFIGURED_COLUMNS, columns, strict=True))
    new = []
    for source in configured:
        values = _configured_values(source)
        if source.key not in stored:
            new.append({"key": source.key, **values})
        elif stored[source.key] != values:  # as configured: left alone, it costs nothing
            row = session.get_one(SourceRow, source.key)
            for name, value in values.items():
                setattr(row, name, value)
    if new:
        # Rows, not SQLModel objects: building 1,000 of those cost 0.2-0.3 s of CPU on the
        # first start. Another process starting at once may insert the same source first.
        insert = upsert_insert(session.get_bind().dialect.name)
        session.connection().execute(insert(SourceRow).on_conflict_do_nothing(), new)


_CONFIGURED_COLUMNS = (
    "title",
    "url",
    "parser",
    "interval_seconds",
    "tags",
    "options",
    "official",
    "enabled",
    "expected_change_seconds",
)
_CONFIGURED = sa_select(
    col(SourceRow.key), *(col(getattr(SourceRow, name)) for name in _CONFIGURED_COLUMNS)
).where(col(SourceRow.key).in_(bindparam("keys", expanding=True)))


_OPTION_FIELDS = tuple(field.name for field in fields(SourceOptions))


def _configured_values(source: Source) -> dict[str, Any]:
    """The columns of a source's row that its configuration sets."""
    # Flat values: read field by field, as asdict would without its deep copies.
    values = (getattr(source.options, name) for name in _OPTION_FIELDS)
    options = {
        name: list(v) if isinstance(v, tuple) else v
        for name, v in zip(_OPTION_FIELDS, values, strict=True)
    }
    return {
        "title": source.title,
        "url": source.url,
        "parser": source.parser,
        "interval_seconds": source.interval,
        "tags": list(source.tags),
        "options": options,
        "official": source.official,
        "enabled": source.enabled,
        "expected_change_seconds": source.expected_change,
    }


def source_state(session: Session, key: str) -> SourceState:
    """The fetch state a check starts from (empty for a source never checked)."""
    return source_states(session.connection(), [key]).get(key, SourceState())


# The newest snapshot of each source, joined in the same query: one round trip per batch of
# sources, and no ORM objects (a check of an unchanged page must cost next to nothing).
_LATEST = (
    select(func.max(SnapshotRow.id))
    .where(col(SnapshotRow.source_key) == SourceRow.key)
    .correlate(SourceRow)
    .scalar_subquery()
)
_STATES = (
    sa_select(
        col(SourceRow.key),
        col(SourceRow.etag),
        col(SourceRow.last_modified),
        col(SourceRow.content_hash),
        col(SourceRow.parse_fingerprint),
        col(SourceRow.failure_streak),
        col(SourceRow.last_error),
        col(SnapshotRow.id),
        col(SnapshotRow.content_hash),
        col(SnapshotRow.blob_hash),
        col(SourceRow.version),
    )
    .outerjoin(SnapshotRow, col(SnapshotRow.id) == _LATEST)
    .where(col(SourceRow.key).in_(bindparam("keys", expanding=True)))
)


def source_states(connection: Connection, keys: Sequence[str]) -> dict[str, SourceState]:
    """The fetch state of each of ``keys``, in one query (sources not in the database: none)."""
    states = {}
    for row in connection.execute(_STATES, {"keys": list(keys)}):
        states[row[0]] = SourceState(
            etag=row[1],
            last_modified=row[2],
            content_hash=row[3],
            parse_fingerprint=row[4],
            failure_streak=row[5],
            last_error=row[6],
            snapshot_id=row[7],
            snapshot_hash=row[8],
            snapshot_blob=row[9],
            version=row[10],
        )
    return states


def load_blob(session: Session, digest: str) -> bytes | None:
    row = session.get(BlobRow, digest)
    return decompress(row.data) if row is not None else None


# The data column alone, not an ORM row: every changed check reads its last snapshot, and
# building the row (and its identity map) cost as much as the query.
_SNAPSHOT_DATA = sa_select(col(SnapshotRow.data)).where(col(SnapshotRow.id) == bindparam("s_id"))


def load_document(session: Session, snapshot_id: int) -> Document:
    data = session.connection().execute(_SNAPSHOT_DATA, {"s_id": snapshot_id}).scalar()
    if data is None:
        raise LookupError(f"no snapshot with id {snapshot_id}")
    return decode_document(decompress(data))


# Documents (PDF, Word) are no pages of the site: two drafts share most paragraphs, which
# would make their text look like the site's template.
_SITE_SOURCES = sa_select(col(SourceRow.key), col(SourceRow.url)).where(
    col(SourceRow.enabled), col(SourceRow.parser) != "document"
)
_LAST_SNAPSHOT_DATA = (
    sa_select(col(SnapshotRow.data))
    .where(col(SnapshotRow.source_key) == bindparam("s_key"))
    .order_by(col(SnapshotRow.created_at).desc())
    .limit(1)
)


def site_pages(session: Session, host: str, limit: int = 12) -> list[tuple[str, Document]]:
    """The last stored document of up to ``limit`` enabled sources on ``host``."""
    connection = session.connection()
    rows = connection.execute(_SITE_SOURCES).all()
    keys = [key for key, url in rows if (urlsplit(url).hostname or "").lower() == host][:limit]
    pages = []
    for key in keys:
        data = connection.execute(_LAST_SNAPSHOT_DATA, {"s_key": key}).scalar()
        if data is not None:
            pages.append((key, decode_document(decompress(data))))
    return pages


def list_deadlines(
    session: Session, *, after: datetime | None, include_closed: bool = False
) -> Sequence[DeadlineRow]:
    """Deadlines by due date; by default the open ones due after ``after``."""
    statement = select(DeadlineRow)
    if after is not None:
        statement = statement.where(col(DeadlineRow.due) >= after)
    if not include_closed:
        statement = statement.where(DeadlineRow.status == "open")
    return session.exec(statement.order_by(col(DeadlineRow.due))).all()


def mark_noise(session: Session, change_id: int, now: datetime) -> ChangeRow | None:
    """Mark a change as noise: it is kept for the record and never alerted."""
    row = session.get(ChangeRow, change_id)
    if row is not None and row.marked_noise_at is None:
        row.marked_noise_at = now
        session.add(row)
        outbox.skip_pending(session, change_id=change_id, reason="marked as noise")
    return row


def list_sources(session: Session) -> Sequence[SourceRow]:
    return session.exec(select(SourceRow).order_by(SourceRow.key)).all()


def list_changes(session: Session, where: ChangeFilter) -> Sequence[ChangeRow]:
    """Changes newest first, filtered by source, category and detection time."""
    statement = select(ChangeRow)
    if where.source:
        statement = statement.where(ChangeRow.source_key == where.source)
    if where.category:
        statement = statement.where(ChangeRow.category == where.category)
    if where.since:
        statement = statement.where(col(ChangeRow.detected_at) >= where.since)
    statement = statement.order_by(col(ChangeRow.detected_at).desc(), col(ChangeRow.id).desc())
    return session.exec(statement.limit(where.limit)).all()


def get_change(session: Session, change_id: int) -> ChangeRow | None:
    return session.get(ChangeRow, change_id)


def list_checks(session: Session, source_key: str, limit: int = 50) -> Sequence[CheckRow]:
    statement = (
        select(CheckRow)
        .where(CheckRow.source_key == source_key)
        .order_by(col(CheckRow.started_at).desc(), col(CheckRow.id).desc())
        .limit(limit)
    )
    return session.exec(statement).all()


Table = (
    type[SourceRow]
    | type[CheckRow]
    | type[SnapshotRow]
    | type[BlobRow]
    | type[ChangeRow]
    | type[DeadlineRow]
    | type[DeliveryRow]
)


def count_rows(session: Session, table: Table) -> int:
    return session.exec(select(func.count()).select_from(table)).one()
