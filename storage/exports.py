"""Reads for the audit exports: events in batches (CSV, XLSX) and one event's evidence pack.

An export of 10,000 events is read in batches by keyset (newest first: last detected, then
id), each batch one transaction of two queries (its events, then their changes with the raw
bodies still kept), so memory stays that of one batch. The rendering is the dashboard's
(``dashboard.exports``, ``dashboard.packs``); the CLI uses the same.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_
from sqlalchemy import select as sa_select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from storage import event_browse
from storage.browse import source_titles
from storage.event_browse import EventQuery
from storage.models import (
    BlobRow,
    ChangeRow,
    CheckRow,
    DeadlineRow,
    DeliveryRow,
    EventLogRow,
    EventRow,
    SnapshotRow,
)

BATCH = 500


@dataclass(frozen=True, kw_only=True, slots=True)
class StoredBody:
    """A raw response kept in ``blobs``: its SHA-256 (the blob's hash), type and size."""

    hash: str
    content_type: str
    size: int


@dataclass(frozen=True, kw_only=True, slots=True)
class ExportedChange:
    id: int
    source_key: str
    source_title: str | None
    detected_at: datetime
    evidence: tuple[str, ...]
    old_body: StoredBody | None  # the version it compares against, if still kept
    new_body: StoredBody | None  # the response it was found in, if still kept


@dataclass(frozen=True, kw_only=True, slots=True)
class ExportedEvent:
    event: EventRow
    changes: tuple[ExportedChange, ...]  # oldest first

    @property
    def sources(self) -> tuple[str, ...]:
        """The sources that reported it, in the order they first did."""
        return tuple(dict.fromkeys(change.source_key for change in self.changes))


@dataclass(frozen=True, kw_only=True, slots=True)
class EventBatch:
    events: tuple[ExportedEvent, ...]
    cursor: tuple[datetime, int] | None  # where the next batch starts; None: this was the last


@dataclass(frozen=True, kw_only=True, slots=True)
class PackedChange:
    """One change of an evidence pack, with what its diff and raw bodies need."""

    change: ChangeRow
    source_title: str | None
    check: CheckRow | None
    old_body: StoredBody | None
    new_body: StoredBody | None
    old_hash: str | None  # named by the change's old snapshot, kept or not
    new_hash: str | None  # named by the change's check, kept or not


@dataclass(frozen=True, kw_only=True, slots=True)
class EventPack:
    event: EventRow
    log: tuple[EventLogRow, ...]  # oldest first
    changes: tuple[PackedChange, ...]  # oldest first
    deliveries: tuple[DeliveryRow, ...] = ()  # the alerts of its changes, oldest first
    deadlines: tuple[DeadlineRow, ...] = ()  # the dates it set or last moved


# -- events in batches --------------------------------------------------------------------------


def event_batch(
    session: Session,
    where: EventQuery,
    after: tuple[datetime, int] | None = None,
    limit: int = BATCH,
) -> EventBatch:
    """Up to ``limit`` events matching ``where``, in the list's order (the most recently
    active first: last detection, then id), after ``after``."""
    conditions = event_browse.event_conditions(session, where)
    if conditions is None:
        return EventBatch(events=(), cursor=None)
    if after is not None:
        moment, last_id = after
        detected = col(EventRow.last_detected_at)
        conditions.append(
            or_(detected < moment, and_(detected == moment, col(EventRow.id) < last_id))
        )
    statement = (
        select(EventRow)
        .where(*conditions)
        .order_by(col(EventRow.last_detected_at).desc(), col(EventRow.id).desc())
        .limit(limit)
    )
    events = list(session.exec(statement).all())
    changes = _exported_changes(session, [event.id for event in events if event.id is not None])
    found = tuple(ExportedEvent(event=e, changes=tuple(changes.get(e.id or 0, ()))) for e in events)
    last = events[-1] if len(events) == limit else None
    cursor = (last.last_detected_at, last.id) if last is not None and last.id else None
    return EventBatch(events=found, cursor=cursor)


def _exported_changes(
    session: Session, event_ids: Sequence[int]
) -> dict[int, list[ExportedChange]]:
    """The changes of these events, oldest first, with their raw bodies if still kept."""
    if not event_ids:
        return {}
    old_snapshot = aliased(SnapshotRow)
    old_blob, new_blob = aliased(BlobRow), aliased(BlobRow)
    statement = (
        sa_select(
            col(ChangeRow.event_id),
            col(ChangeRow.id),
            col(ChangeRow.source_key),
            col(ChangeRow.detected_at),
            col(ChangeRow.evidence),
            *_body_columns(old_blob),
            *_body_columns(new_blob),
        )
        .outerjoin(old_snapshot, col(old_snapshot.id) == col(ChangeRow.old_snapshot_id))
        .outerjoin(old_blob, col(old_blob.hash) == col(old_snapshot.blob_hash))
        .outerjoin(CheckRow, col(CheckRow.id) == col(ChangeRow.check_id))
        .outerjoin(new_blob, col(new_blob.hash) == col(CheckRow.blob_hash))
        .where(col(ChangeRow.event_id).in_(event_ids))
        .order_by(col(ChangeRow.detected_at), col(ChangeRow.id))
    )
    rows = session.execute(statement).all()
    titles = source_titles(session, {row[2] for row in rows})
    found: dict[int, list[ExportedChange]] = {}
    for event_id, change_id, source_key, detected_at, evidence, *bodies in rows:
        found.setdefault(event_id, []).append(
            ExportedChange(
                id=change_id,
                source_key=source_key,
                source_title=titles.get(source_key),
                detected_at=detected_at,
                evidence=tuple(evidence or ()),
                old_body=_body(*bodies[:3]),
                new_body=_body(*bodies[3:]),
            )
        )
    return found


def _body_columns(blob: Any) -> tuple[Any, ...]:
    # The columns only, never ``data``: an export names the bodies, the pack loads them.
    return (col(blob.hash), col(blob.content_type), col(blob.size))


def _body(digest: str | None, content_type: str | None, size: int | None) -> StoredBody | None:
    if digest is None:
        return None
    return StoredBody(hash=digest, content_type=content_type or "", size=size or 0)


# -- one event's evidence pack ------------------------------------------------------------------


def event_pack(session: Session, event_id: int) -> EventPack | None:
    """The event, its audit log, its changes (with checks and raw bodies' metadata), their
    alerts and the event's deadlines."""
    event = session.get(EventRow, event_id)
    if event is None:
        return None
    log = session.exec(
        select(EventLogRow)
        .where(EventLogRow.event_id == event_id)
        .order_by(col(EventLogRow.at), col(EventLogRow.id))
    ).all()
    changes = session.exec(
        select(ChangeRow)
        .where(ChangeRow.event_id == event_id)
        .order_by(col(ChangeRow.detected_at), col(ChangeRow.id))
    ).all()
    titles = source_titles(session, {change.source_key for change in changes})
    packed = tuple(_packed(session, change, titles) for change in changes)
    ids = [change.id for change in changes]
    deliveries = session.exec(
        select(DeliveryRow)
        .where(col(DeliveryRow.change_id).in_(ids))
        .order_by(col(DeliveryRow.created_at), col(DeliveryRow.id))
    ).all()
    deadlines = session.exec(
        select(DeadlineRow).where(DeadlineRow.event_id == event_id).order_by(col(DeadlineRow.id))
    ).all()
    return EventPack(
        event=event,
        log=tuple(log),
        changes=packed,
        deliveries=tuple(deliveries),
        deadlines=tuple(deadlines),
    )


def _packed(session: Session, change: ChangeRow, titles: dict[str, str]) -> PackedChange:
    check = session.get(CheckRow, change.check_id)
    old = session.get(SnapshotRow, change.old_snapshot_id) if change.old_snapshot_id else None
    old_hash = old.blob_hash if old is not None else None
    new_hash = check.blob_hash if check is not None else None
    return PackedChange(
        change=change,
        source_title=titles.get(change.source_key),
        check=check,
        old_body=_kept(session, old_hash),
        new_body=_kept(session, new_hash),
        old_hash=old_hash,
        new_hash=new_hash,
    )


def _kept(session: Session, digest: str | None) -> StoredBody | None:
    if digest is None:
        return None
    statement = sa_select(*_body_columns(BlobRow)).where(col(BlobRow.hash) == digest)
    row = session.execute(statement).first()
    return _body(*row) if row is not None else None
