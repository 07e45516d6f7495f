"""Every query lexwatch makes. Functions take a Session and plain values."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import Connection, bindparam, func, insert, or_, tuple_, update
from sqlalchemy import select as sa_select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from monitor.codec import compress, decode_document, decompress, diff_to_dict
from monitor.types import (
    Change,
    CheckOutcome,
    CheckRecord,
    Deadline,
    Document,
    Source,
    SourceState,
)
from storage import outbox
from storage.models import (
    BlobRow,
    ChangeRow,
    CheckRow,
    DeadlineRow,
    DeliveryRow,
    SnapshotRow,
    SourceRow,
)
from storage.outbox import Routing
from storage.types import UtcDateTime


@dataclass(frozen=True, kw_only=True, slots=True)
class ChangeFilter:
    source: str | None = None
    category: str | None = None
    since: datetime | None = None
    limit: int = 100


def sync_sources(session: Session, sources: Iterable[Source]) -> None:
    """Insert or update each source's configuration; its fetch state is left alone."""
    for source in sources:
        row = session.get(SourceRow, source.key) or SourceRow(
            key=source.key, title="", url="", parser="", interval_seconds=0
        )
        row.title, row.url, row.parser = source.title, source.url, source.parser
        row.interval_seconds, row.tags = source.interval, list(source.tags)
        row.options = {k: list(v) if isinstance(v, tuple) else v
                       for k, v in asdict(source.options).items()}
        row.official, row.enabled = source.official, source.enabled
        row.expected_change_seconds = source.expected_change
        session.add(row)


def source_state(session: Session, key: str) -> SourceState:
    """The fetch state a check starts from (empty for a source never checked)."""
    return source_states(session.connection(), [key]).get(key, SourceState())


# The newest snapshot of each source, joined in the same query: one round trip per batch of
# sources, and no ORM objects (a check of an unchanged page must cost next to nothing).
_LATEST = (select(func.max(SnapshotRow.id)).where(col(SnapshotRow.source_key) == SourceRow.key)
           .correlate(SourceRow).scalar_subquery())
_STATES = (
    sa_select(col(SourceRow.key), col(SourceRow.etag), col(SourceRow.last_modified),
              col(SourceRow.content_hash), col(SourceRow.parse_fingerprint),
              col(SourceRow.failure_streak), col(SourceRow.last_error), col(SnapshotRow.id),
              col(SnapshotRow.content_hash), col(SnapshotRow.blob_hash), col(SourceRow.version))
    .outerjoin(SnapshotRow, col(SnapshotRow.id) == _LATEST)
    .where(col(SourceRow.key).in_(bindparam("keys", expanding=True)))
)


def source_states(connection: Connection, keys: Sequence[str]) -> dict[str, SourceState]:
    """The fetch state of each of ``keys``, in one query (sources not in the database: none)."""
    states = {}
    for row in connection.execute(_STATES, {"keys": list(keys)}):
        states[row[0]] = SourceState(
            etag=row[1], last_modified=row[2], content_hash=row[3], parse_fingerprint=row[4],
            failure_streak=row[5], last_error=row[6], snapshot_id=row[7], snapshot_hash=row[8],
            snapshot_blob=row[9], version=row[10])
    return states


def load_blob(session: Session, digest: str) -> bytes | None:
    row = session.get(BlobRow, digest)
    return decompress(row.data) if row is not None else None


def load_document(session: Session, snapshot_id: int) -> Document:
    row = session.get(SnapshotRow, snapshot_id)
    if row is None:
        raise LookupError(f"no snapshot with id {snapshot_id}")
    return decode_document(decompress(row.data))


def site_pages(session: Session, host: str, limit: int = 12) -> list[tuple[str, Document]]:
    """The last stored document of up to ``limit`` enabled sources on ``host``."""
    # Documents (PDF, Word) are no pages of the site: two drafts share most paragraphs,
    # which would make their text look like the site's template.
    rows = session.exec(select(SourceRow.key, SourceRow.url).where(
        col(SourceRow.enabled), col(SourceRow.parser) != "document")).all()
    keys = [key for key, url in rows if (urlsplit(url).hostname or "").lower() == host][:limit]
    pages = []
    for key in keys:
        snapshot = session.exec(select(SnapshotRow).where(SnapshotRow.source_key == key)
                                .order_by(col(SnapshotRow.created_at).desc()).limit(1)).first()
        if snapshot is not None:
            pages.append((key, decode_document(decompress(snapshot.data))))
    return pages


@dataclass(frozen=True, slots=True)
class Packed:
    """A check's body and snapshot, hashed and compressed: the CPU part of storing it."""

    blob_hash: str | None = None
    blob: bytes | None = None
    snapshot: bytes | None = None


def pack(record: CheckRecord) -> Packed:
    """Hash and compress what ``record`` stores, before (and outside) its transaction.

    Done first, the compression of one check runs while another check writes (zstd lets
    other threads run), instead of inside the one writer's turn.
    """
    raw, snapshot = record.raw, record.snapshot
    return Packed(blob_hash=hashlib.sha256(raw).hexdigest() if raw is not None else None,
                  blob=compress(raw) if raw is not None else None,
                  snapshot=compress(snapshot.encoded) if snapshot is not None else None)


def record_check(session: Session, record: CheckRecord, previous_snapshot: int | None,
                 routing: Routing | None = None, packed: Packed | None = None) -> CheckRow:
    """Write one check: blob, snapshot, check row, changes, their deliveries, source state.

    The caller commits: a Change is never stored without the alerts it owes. The rows every
    check writes go through Core statements (a third of the cost of ORM objects); changes
    and deadlines, rare, through the ORM. ``packed``: ``pack(record)``, if already made.

    First the source is claimed (``claim``): when another check of it was stored since this
    one read its state, only a SKIPPED check row is written.
    """
    version = claim(session.connection(), record)
    if version is None:
        return _store_skipped(session.connection(), record)
    packed = packed if packed is not None else pack(record)
    blob_hash = _store_blob(session, record, packed)
    snapshot_id = _store_snapshot(session, record, packed)
    values = {**_check_values(record), "blob_hash": blob_hash, "snapshot_id": snapshot_id,
              "change_count": len(record.changes)}
    check = CheckRow(**values, id=session.connection().execute(_INSERT_CHECK, values).scalar_one())
    assert check.id is not None
    stored = _store_changes(session, record, check.id, (previous_snapshot, snapshot_id),
                            version - 1)
    if record.deadlines is not None:
        sync_deadlines(session, record.source_key, record.deadlines, record.started_at,
                       items=record.deadline_items)
    previous_streak = _update_source(session, record)
    if routing is not None:
        outbox.enqueue_changes(session, routing, stored, record.started_at)
        outbox.enqueue_health(session, routing, record, previous_streak, check.id)
    return check


CHECKED_ELSEWHERE = ("checked elsewhere: another check of this source, started from the"
                     " same state, was stored first")
_CLAIM = (update(SourceRow).where(col(SourceRow.key) == bindparam("c_key"))
          .values(version=col(SourceRow.version) + 1).returning(col(SourceRow.version)))


def claim(connection: Connection, record: CheckRecord) -> int | None:
    """Bump the source's version for ``record``: the new version, or None when the source is
    no longer at ``record.base_version`` (another check was stored since it was read).

    The first statement of the check's transaction, an UPDATE: it takes the source's row
    (PostgreSQL) or the write lock (SQLite) before comparing, so of two overlapping checks
    from the same state exactly one gets a version; the other sees the bumped one.
    """
    statement = _CLAIM
    if record.base_version is not None:
        statement = statement.where(col(SourceRow.version) == record.base_version)
    version = connection.execute(statement, {"c_key": record.source_key}).scalar_one_or_none()
    if version is None and connection.execute(sa_select(col(SourceRow.key)).where(
            col(SourceRow.key) == record.source_key)).first() is None:
        raise LookupError(f"source {record.source_key!r} is not in the database; sync it first")
    return version


def _store_skipped(connection: Connection, record: CheckRecord) -> CheckRow:
    """The row of a check that lost its claim: what it fetched, none of what it found."""
    values = _skipped_values(record)
    return CheckRow(**values, id=connection.execute(_INSERT_CHECK, values).scalar_one())


def _skipped_values(record: CheckRecord) -> dict[str, Any]:
    return {**_check_values(record), "outcome": CheckOutcome.SKIPPED.value,
            "error": CHECKED_ELSEWHERE}


def happening(source_key: str, base_version: int, item_key: str, category: str,
              nth: int) -> str:
    """The identity of one stored change, unique in the database (``ChangeRow.happening``).

    Two checks that started from the same version of a source and found the same change of
    an item get the same identity, so even if both reached the database, one would be
    refused. ``nth``: the n-th change of that item and category in one check (from 0).
    """
    parts = (source_key, str(base_version), item_key, category, str(nth))
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


QUIET = frozenset({CheckOutcome.NOT_MODIFIED, CheckOutcome.UNCHANGED})


def is_quiet(record: CheckRecord) -> bool:
    """A successful check that writes only its own row and the source's fetch state."""
    return (record.outcome in QUIET and record.raw is None and record.snapshot is None
            and not record.changes and record.deadlines is None)


_INSERT_CHECK = insert(CheckRow).returning(col(CheckRow.id))
_INSERT_CHECKS = insert(CheckRow).returning(col(CheckRow.id), sort_by_parameter_order=True)
_AT = bindparam("b_at", type_=UtcDateTime())
_SEEN = (update(SourceRow).where(col(SourceRow.key) == bindparam("b_key"))
         .values(last_check_at=_AT, last_success_at=_AT, failure_streak=0, last_error=None,
                 first_success_at=func.coalesce(SourceRow.first_success_at, _AT)))
_SEEN_AGAIN = _SEEN.values(etag=bindparam("b_etag"), last_modified=bindparam("b_modified"),
                           content_hash=bindparam("b_hash"),
                           parse_fingerprint=bindparam("b_fingerprint"))


@dataclass(frozen=True, slots=True)
class Stored:
    """A stored check: its id, and whether it was SKIPPED (another was stored first)."""

    check_id: int
    skipped: bool = False


def record_quiet_checks(connection: Connection, records: Sequence[CheckRecord]
                        ) -> list[Stored | None]:
    """Write many quiet checks (``is_quiet``) with five statements; the caller commits.

    What ``record_check`` would write for them, without ORM objects; the sources are
    claimed in one statement (``claim_many``), and a check whose claim fails is stored as
    SKIPPED. A record gets None, and nothing is written for it, when it must take
    ``record_check`` after all: its source is not in the database, its last check failed
    (then this one may owe a "recovered" alert), or it has no ``base_version``.
    """
    keys = sorted({record.source_key for record in records})
    # PostgreSQL: the rows are locked in key order, so two batches cannot deadlock.
    streaks: dict[str, int] = dict(connection.execute(
        sa_select(col(SourceRow.key), col(SourceRow.failure_streak))
        .where(col(SourceRow.key).in_(keys)).order_by(col(SourceRow.key))
        .with_for_update(key_share=True)).all())
    quiet = [r for r in records if is_quiet(r) and streaks.get(r.source_key) == 0
             and r.base_version is not None]
    if not quiet:
        return [None] * len(records)
    won = claim_many(connection, quiet)
    ids = connection.execute(_INSERT_CHECKS, [
        _check_values(r) if id(r) in won else _skipped_values(r) for r in quiet]).scalars().all()
    seen = [r for r in quiet if r.outcome is CheckOutcome.NOT_MODIFIED and id(r) in won]
    if seen:
        connection.execute(_SEEN, [{"b_key": r.source_key, "b_at": r.started_at} for r in seen])
    again = [_validators(r) for r in quiet
             if r.outcome is not CheckOutcome.NOT_MODIFIED and id(r) in won]
    if again:
        connection.execute(_SEEN_AGAIN, again)
    written = {id(record): Stored(check_id, skipped=id(record) not in won)
               for record, check_id in zip(quiet, ids, strict=True) if check_id is not None}
    return [written.get(id(record)) for record in records]


def claim_many(connection: Connection, records: Sequence[CheckRecord]) -> set[int]:
    """``claim`` for many records with a ``base_version`` in one statement: the ``id()`` of
    those that got their source. Of two records of one source, only the first can."""
    first: dict[str, CheckRecord] = {}
    for record in records:
        first.setdefault(record.source_key, record)
    pairs = [(key, record.base_version) for key, record in first.items()]
    statement = (update(SourceRow).where(tuple_(col(SourceRow.key), col(SourceRow.version))
                                         .in_(pairs))
                 .values(version=col(SourceRow.version) + 1).returning(col(SourceRow.key)))
    claimed = set(connection.execute(statement).scalars())
    return {id(record) for key, record in first.items() if key in claimed}


def _check_values(record: CheckRecord) -> dict[str, Any]:
    return {"source_key": record.source_key, "started_at": record.started_at,
            "duration_ms": record.duration_ms, "outcome": record.outcome.value,
            "http_status": record.http_status, "bytes": record.size,
            "final_url": record.final_url, "error": record.error, "blob_hash": None,
            "snapshot_id": None, "change_count": 0}


def _validators(record: CheckRecord) -> dict[str, Any]:
    return {"b_key": record.source_key, "b_at": record.started_at, "b_etag": record.etag,
            "b_modified": record.last_modified, "b_hash": record.content_hash,
            "b_fingerprint": record.parse_fingerprint}


def _store_blob(session: Session, record: CheckRecord, packed: Packed) -> str | None:
    if record.raw is None or packed.blob is None:
        return None
    values = {"hash": packed.blob_hash, "size": len(record.raw),
              "content_type": record.content_type, "data": packed.blob,
              "created_at": record.started_at}
    # Two processes may store the same body at once: the second insert is a no-op.
    connection = session.connection()
    connection.execute(_INSERT_BLOB[connection.dialect.name == "postgresql"], values)
    return packed.blob_hash


_INSERT_BLOB = {postgres: dialect.insert(BlobRow).on_conflict_do_nothing()
                for postgres, dialect in ((False, sqlite), (True, postgresql))}


def _store_snapshot(session: Session, record: CheckRecord, packed: Packed) -> int | None:
    if record.snapshot is None or packed.snapshot is None:
        return None
    values = {"source_key": record.source_key, "created_at": record.started_at,
              "content_hash": record.snapshot.content_hash,
              "item_count": record.snapshot.item_count,
              "data": packed.snapshot, "blob_hash": packed.blob_hash}
    return session.connection().execute(_INSERT_SNAPSHOT, values).scalar_one()


_INSERT_SNAPSHOT = insert(SnapshotRow).returning(col(SnapshotRow.id))


def _store_changes(session: Session, record: CheckRecord, check_id: int,
                   snapshots: tuple[int | None, int | None], base_version: int
                   ) -> list[tuple[int, Change]]:
    rows: list[tuple[ChangeRow, Change]] = []
    seen: Counter[tuple[str, str]] = Counter()
    for change in record.changes:
        nth = seen[change.item_key, change.category.value]
        seen[change.item_key, change.category.value] += 1
        row = ChangeRow(
            event_key=change.event_key, related_to=_first_about(session, change,
                                                                record.started_at),
            source_key=change.source_key, check_id=check_id, item_key=change.item_key,
            category=change.category.value, severity=change.severity.value,
            title=change.title, summary=change.summary, url=change.url,
            old_date=change.old_date, new_date=change.new_date,
            evidence=list(change.evidence), diff=diff_to_dict(change.diff),
            old_snapshot_id=snapshots[0], new_snapshot_id=snapshots[1],
            detected_at=record.started_at,
            happening=happening(change.source_key, base_version, change.item_key,
                                change.category.value, nth),
        )
        session.add(row)
        # Flushed one by one: a later change about the same event links to this one.
        session.flush()
        rows.append((row, change))
    return [(row.id, change) for row, change in rows if row.id is not None]


RELATED_WINDOW = timedelta(days=30)


def _first_about(session: Session, change: Change, now: datetime) -> int | None:
    """The first change about the same event in the last 30 days, or None.

    The same event: the same identity (``event_key``: an initiative, a CELEX number, a
    document, a page section), the same kind of happening (category) and the same dates;
    on the change's own source, also the same item, so two sections of one page, or two
    entries of one feed, are always two events, whatever their key. A moved deadline or a
    second consultation is a new event, alerted as such.
    """
    if not change.event_key:
        return None
    statement = (
        select(ChangeRow.id, ChangeRow.related_to)
        .where(ChangeRow.event_key == change.event_key,
               ChangeRow.category == change.category.value,
               ChangeRow.old_date == change.old_date, ChangeRow.new_date == change.new_date,
               or_(col(ChangeRow.source_key) != change.source_key,
                   col(ChangeRow.item_key) == change.item_key),
               col(ChangeRow.detected_at) >= now - RELATED_WINDOW)
        .order_by(col(ChangeRow.id))
        .limit(1)
    )
    row = session.exec(statement).first()
    return None if row is None else (row[1] or row[0])


def sync_deadlines(session: Session, source_key: str, deadlines: Sequence[Deadline],
                   now: datetime, *, items: frozenset[str] | None = None) -> None:
    """Make the stored deadlines of a source what its document states now.

    With ``items``, only the deadlines of those items were read again; the others stay.
    A moved date is kept in the deadline's history; a deadline the document no longer
    states is closed, not deleted.
    """
    existing = {(row.item_key, row.kind, row.label): row for row in session.exec(
        select(DeadlineRow).where(DeadlineRow.source_key == source_key)).all()
        if items is None or row.item_key in items}
    for deadline in _one_per_identity(deadlines):
        row = existing.pop((deadline.item_key, deadline.kind, deadline.label), None)
        session.add(_updated_deadline(row, deadline, now))
    for row in existing.values():
        if row.status == "open":
            row.status, row.last_seen = "closed", now
            session.add(row)


def _one_per_identity(deadlines: Sequence[Deadline]) -> list[Deadline]:
    """One deadline per (item, kind, label): a page that still states the old closing date
    beside the extended one means the later date."""
    latest: dict[tuple[str, str, str], Deadline] = {}
    for deadline in deadlines:
        identity = (deadline.item_key, deadline.kind, deadline.label)
        if identity not in latest or deadline.due > latest[identity].due:
            latest[identity] = deadline
    return list(latest.values())


def _updated_deadline(row: DeadlineRow | None, deadline: Deadline, now: datetime) -> DeadlineRow:
    if row is None:
        row = DeadlineRow(source_key=deadline.source_key, item_key=deadline.item_key,
                          kind=deadline.kind, label=deadline.label, due=deadline.due,
                          first_seen=now, last_seen=now, history=[])
    if not row.history or row.due != deadline.due:
        row.history = [*row.history, {"due": deadline.due.isoformat(), "seen": now.isoformat()}]
    row.due, row.label, row.url = deadline.due, deadline.label, deadline.url
    row.status, row.last_seen = "open", now
    return row


def list_deadlines(session: Session, *, after: datetime | None,
                   include_closed: bool = False) -> Sequence[DeadlineRow]:
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


def _update_source(session: Session, record: CheckRecord) -> int:
    """Update the source's fetch state; returns its failure streak before this check."""
    connection = session.connection()
    key = col(SourceRow.key) == record.source_key
    previous = connection.execute(sa_select(col(SourceRow.failure_streak)).where(key)).first()
    if previous is None:
        raise LookupError(f"source {record.source_key!r} is not in the database; sync it first")
    values: dict[str, Any] = {"last_check_at": record.started_at}
    if record.outcome is CheckOutcome.FAILED:
        values.update(failure_streak=previous[0] + 1, last_error=record.error)
    else:
        values.update(_success_values(record))
    if record.changes:  # a change, or a document confirmed gone
        values["last_change_at"] = record.started_at
    connection.execute(update(SourceRow).where(key).values(**values))
    return int(previous[0])


def _success_values(record: CheckRecord) -> dict[str, Any]:
    values: dict[str, Any] = {
        "failure_streak": 0, "last_error": None, "last_success_at": record.started_at,
        "first_success_at": func.coalesce(SourceRow.first_success_at, bindparam(
            "first", record.started_at, type_=UtcDateTime()))}
    if record.outcome is not CheckOutcome.NOT_MODIFIED:
        values.update(etag=record.etag, last_modified=record.last_modified,
                      content_hash=record.content_hash,
                      parse_fingerprint=record.parse_fingerprint)
    return values


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


Table = (type[SourceRow] | type[CheckRow] | type[SnapshotRow] | type[BlobRow] | type[ChangeRow]
         | type[DeadlineRow] | type[DeliveryRow])


def count_rows(session: Session, table: Table) -> int:
    return session.exec(select(func.count()).select_from(table)).one()
