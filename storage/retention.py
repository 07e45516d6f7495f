"""Retention: old check rows, superseded snapshots and raw bodies go; evidence stays.

Changes are never deleted here, and neither is anything a Change points to: the check that
found it, the snapshots before and after it, and the raw bodies those were parsed from. The
newest snapshot of every source (and its raw body) is kept too: the next check diffs against
it. Everything else older than its limit is deleted in batches, one transaction per batch, so
a long prune never holds a lock for long and a stopped one leaves nothing half-done. An
event none of whose changes is left goes too, with its audit trail (``empty_events``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import Engine, exists, func, not_, or_, select, update
from sqlalchemy.sql import Select
from sqlmodel import Session, col, delete

from storage.db import session_scope
from storage.models import (
    BlobRow,
    ChangeRow,
    CheckRow,
    DeadlineRow,
    DeliveryRow,
    EventIdentityRow,
    EventLogRow,
    EventRow,
    SnapshotRow,
)

BATCH = 500


class RetentionLimits(Protocol):
    """How many days each kind of data is kept (``monitor.config.RetentionSettings``)."""

    @property
    def raw_days(self) -> int: ...
    @property
    def snapshot_days(self) -> int: ...
    @property
    def check_days(self) -> int: ...


@dataclass(frozen=True, kw_only=True, slots=True)
class PruneReport:
    """What a prune deleted (or, for a dry run, would delete)."""

    checks: int = 0
    snapshots: int = 0
    blobs: int = 0
    blob_bytes: int = 0  # stored (compressed) bytes of the deleted raw bodies
    events: int = 0  # events none of whose changes is left, with their audit trail
    dry_run: bool = False

    @property
    def total(self) -> int:
        return self.checks + self.snapshots + self.blobs + self.events


# SQLite cannot nest compound SELECTs, so the "kept" sets are several plain subqueries.
def _change_snapshots() -> list[Select[Any]]:
    return [
        select(col(ChangeRow.old_snapshot_id)).where(col(ChangeRow.old_snapshot_id).is_not(None)),
        select(col(ChangeRow.new_snapshot_id)).where(col(ChangeRow.new_snapshot_id).is_not(None)),
    ]


def _newest_snapshots() -> Select[Any]:
    return select(func.max(col(SnapshotRow.id))).group_by(col(SnapshotRow.source_key))


def _change_checks() -> Select[Any]:
    return select(col(ChangeRow.check_id))


def _protected_snapshot(snapshot_id: Any) -> Any:
    """Whether ``snapshot_id`` is a Change's before/after or a source's newest snapshot."""
    kept = [*_change_snapshots(), _newest_snapshots()]
    return or_(*(snapshot_id.in_(ids) for ids in kept))


def old_checks(cutoff: datetime) -> Select[Any]:
    """Checks started before ``cutoff`` that no Change was found by."""
    return select(col(CheckRow.id)).where(
        col(CheckRow.started_at) < cutoff, col(CheckRow.id).not_in(_change_checks())
    )


def old_snapshots(cutoff: datetime) -> Select[Any]:
    """Snapshots older than ``cutoff``, no Change's before/after, not a source's newest."""
    return select(col(SnapshotRow.id)).where(
        col(SnapshotRow.created_at) < cutoff, not_(_protected_snapshot(col(SnapshotRow.id)))
    )


def _kept_blobs(cutoff: datetime) -> list[Select[Any]]:
    """Raw bodies that must stay: each source's newest (re-parsed when lexwatch or the
    source's options change) and anything recent.

    A Change older than raw_days keeps its evidence in its snapshots and word diff; its raw
    response goes, or a year of changed EUR-Lex pages alone would outgrow the database.
    """
    snapshot_blobs = select(col(SnapshotRow.blob_hash)).where(
        col(SnapshotRow.blob_hash).is_not(None)
    )
    check_blobs = select(col(CheckRow.blob_hash)).where(col(CheckRow.blob_hash).is_not(None))
    # No NULL may reach a NOT IN: one would make it match nothing.
    return [
        snapshot_blobs.where(col(SnapshotRow.id).in_(_newest_snapshots())),
        check_blobs.where(col(CheckRow.started_at) >= cutoff),
        snapshot_blobs.where(col(SnapshotRow.created_at) >= cutoff),
    ]


def old_blobs(cutoff: datetime) -> Select[Any]:
    """Raw bodies stored before ``cutoff`` that nothing worth keeping refers to."""
    return select(col(BlobRow.hash)).where(
        col(BlobRow.created_at) < cutoff,
        *(col(BlobRow.hash).not_in(kept) for kept in _kept_blobs(cutoff)),
    )


def prune(
    engine: Engine,
    limits: RetentionLimits,
    now: datetime,
    *,
    dry_run: bool = False,
    batch: int = BATCH,
) -> PruneReport:
    """Delete what ``limits`` no longer keeps; with ``dry_run``, only count it."""
    check_cut = now - timedelta(days=limits.check_days)
    snapshot_cut = now - timedelta(days=limits.snapshot_days)
    raw_cut = now - timedelta(days=limits.raw_days)
    if dry_run:
        with session_scope(engine) as session:
            return PruneReport(
                checks=_count(session, old_checks(check_cut)),
                snapshots=_count(session, old_snapshots(snapshot_cut)),
                blobs=_count(session, old_blobs(raw_cut)),
                blob_bytes=_blob_bytes(session, old_blobs(raw_cut)),
                events=_count(session, empty_events()),
                dry_run=True,
            )
    checks, _ = _in_batches(engine, lambda: old_checks(check_cut), _delete_checks, batch)
    snapshots, _ = _in_batches(
        engine, lambda: old_snapshots(snapshot_cut), _delete_snapshots, batch
    )
    blobs, freed = _in_batches(engine, lambda: old_blobs(raw_cut), _delete_blobs, batch)
    events, _ = _in_batches(engine, empty_events, _delete_events, batch)
    return PruneReport(
        checks=checks, snapshots=snapshots, blobs=blobs, blob_bytes=freed, events=events
    )


def empty_events() -> Select[Any]:
    """Events none of whose changes is left (changes are deleted only by hand, or by a
    source's removal: an event never outlives what it reports)."""
    member = exists().where(col(ChangeRow.event_id) == col(EventRow.id))
    return select(col(EventRow.id)).where(~member).order_by(col(EventRow.id))


def _delete_events(session: Session, ids: Sequence[int]) -> int:
    """The events, their audit trail and identities; what pointed at them no longer does."""
    for table in (DeadlineRow, DeliveryRow):
        column = col(table.event_id)
        session.execute(update(table).where(column.in_(ids)).values(event_id=None))
    split = col(EventRow.split_from)
    session.execute(update(EventRow).where(split.in_(ids)).values(split_from=None))
    session.execute(delete(EventLogRow).where(col(EventLogRow.event_id).in_(ids)))
    session.execute(delete(EventIdentityRow).where(col(EventIdentityRow.event_id).in_(ids)))
    session.execute(delete(EventRow).where(col(EventRow.id).in_(ids)))
    return 0


def _count(session: Session, ids: Select[Any]) -> int:
    return int(session.execute(select(func.count()).select_from(ids.subquery())).scalar_one())


def _blob_bytes(session: Session, hashes: Select[Any]) -> int:
    total = select(func.coalesce(func.sum(func.length(col(BlobRow.data))), 0)).where(
        col(BlobRow.hash).in_(hashes)
    )
    return int(session.execute(total).scalar_one())


def _in_batches(
    engine: Engine,
    candidates: Callable[[], Select[Any]],
    delete_them: Callable[[Session, list[Any]], int],
    batch: int,
) -> tuple[int, int]:
    """Delete ``candidates`` ``batch`` at a time, each batch in its own transaction.

    Returns how many were deleted and the sum of what ``delete_them`` returned (bytes).
    """
    done = freed = 0
    while True:
        with session_scope(engine) as session:
            ids = list(session.execute(candidates().limit(batch)).scalars())
            if ids:
                freed += delete_them(session, ids)
        done += len(ids)
        if len(ids) < batch:
            return done, freed


def _delete_checks(session: Session, ids: Sequence[int]) -> int:
    session.execute(delete(CheckRow).where(col(CheckRow.id).in_(ids)))
    return 0


def _delete_snapshots(session: Session, ids: Sequence[int]) -> int:
    # Kept checks still name the snapshot they stored; they outlive it.
    session.execute(
        update(CheckRow).where(col(CheckRow.snapshot_id).in_(ids)).values(snapshot_id=None)
    )
    session.execute(delete(SnapshotRow).where(col(SnapshotRow.id).in_(ids)))
    return 0


def _delete_blobs(session: Session, hashes: Sequence[str]) -> int:
    size = _blob_bytes(session, select(col(BlobRow.hash)).where(col(BlobRow.hash).in_(hashes)))
    # Rows that outlive their raw body stop pointing at it.
    session.execute(
        update(CheckRow).where(col(CheckRow.blob_hash).in_(hashes)).values(blob_hash=None)
    )
    session.execute(
        update(SnapshotRow).where(col(SnapshotRow.blob_hash).in_(hashes)).values(blob_hash=None)
    )
    session.execute(delete(BlobRow).where(col(BlobRow.hash).in_(hashes)))
    return size
