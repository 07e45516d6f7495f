"""Writing a check: the one path every check takes into the database.

``record_checks`` stores checks in the caller's transaction, each with what it brought: the
raw body and the snapshot, the check's row, its changes and the deadlines it read, the
alerts they owe (the outbox) and the source's new fetch state. One check
(``record_check``: ``Store.record``) and a batch of quiet ones (a 304 or an unchanged body:
``record_quiet_checks``, which the pipeline coalesces) take the same statements; for a
quiet check most of them have nothing to do, and the rows of a batch go in one statement
each (inserted together, sources updated together), which is what makes a cycle of 304s
cheap.

Every check is fenced first (``claim``): its source's version is bumped only if it is still
the version the check read. A check that lost, because another check of the same source was
stored meanwhile (another process, another worker), is stored as SKIPPED, "checked
elsewhere", without anything it found. Each change also carries a ``happening`` identity
that the database keeps unique, so a change is stored (and alerted) once however checks
overlap.
"""

from __future__ import annotations

import functools
import hashlib
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import (
    ARRAY,
    Connection,
    Insert,
    Integer,
    Select,
    String,
    Update,
    bindparam,
    column,
    func,
    insert,
    or_,
    tuple_,
    update,
)
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import select as sa_select
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.selectable import TableValuedAlias
from sqlalchemy.types import TupleType, TypeEngine
from sqlmodel import Session, col, select

from monitor.types import Change, CheckOutcome, CheckRecord, Deadline, NewSnapshot
from storage import events, outbox
from storage.codec import compress, diff_to_dict
from storage.db import inserted_id, upsert_insert
from storage.grouping import Member
from storage.models import BlobRow, ChangeRow, CheckRow, DeadlineRow, SnapshotRow, SourceRow
from storage.outbox import Routing, StoredChange
from storage.types import UtcDateTime

CHECKED_ELSEWHERE = (
    "checked elsewhere: another check of this source, started from the same state, was stored first"
)
QUIET = frozenset({CheckOutcome.NOT_MODIFIED, CheckOutcome.UNCHANGED})
RELATED_WINDOW = timedelta(days=30)


@dataclass(frozen=True, slots=True)
class Packed:
    """A check's body and snapshot, hashed and compressed: the CPU part of storing it."""

    blob_hash: str | None = None
    blob: bytes | None = None
    snapshot: bytes | None = None


@dataclass(frozen=True, slots=True)
class Stored:
    """A stored check: its id, and whether it was SKIPPED (another was stored first)."""

    check_id: int
    skipped: bool = False


@dataclass(frozen=True, slots=True)
class Written:
    """A check row as inserted: its id and its columns. Not an ORM object: building one per
    check would cost a batch of quiet checks as much as writing them."""

    check_id: int
    values: dict[str, Any]

    @property
    def skipped(self) -> bool:
        return bool(self.values["outcome"] == CheckOutcome.SKIPPED.value)

    def row(self) -> CheckRow:
        return CheckRow(**self.values, id=self.check_id)


@dataclass(frozen=True, kw_only=True, slots=True)
class Pending:
    """A check to write: its record, the snapshot its changes were found against (their
    ``old_snapshot_id``) and, if already made, ``pack(record)``."""

    record: CheckRecord
    previous_snapshot: int | None = None
    packed: Packed | None = None


@dataclass(frozen=True, slots=True)
class Claim:
    """A won claim: the source's version once the check is stored, its failure streak before."""

    version: int
    streak: int


def pack(record: CheckRecord) -> Packed:
    """Hash and compress what ``record`` stores, before (and outside) its transaction.

    Done first, the compression of one check runs while another check writes (zstd lets
    other threads run), instead of inside the one writer's turn.
    """
    return pack_body(record.raw, record.snapshot)


def pack_body(raw: bytes | None, snapshot: NewSnapshot | None) -> Packed:
    """``pack`` of a record that will hold ``raw`` and ``snapshot``."""
    return Packed(
        blob_hash=hashlib.sha256(raw).hexdigest() if raw is not None else None,
        blob=compress(raw) if raw is not None else None,
        snapshot=compress(snapshot.encoded) if snapshot is not None else None,
    )


def is_quiet(record: CheckRecord) -> bool:
    """A successful check that writes only its own row and the source's fetch state."""
    return (
        record.outcome in QUIET
        and record.raw is None
        and record.snapshot is None
        and not record.changes
        and record.deadlines is None
    )


def happening(source_key: str, base_version: int, item_key: str, category: str, nth: int) -> str:
    """The identity of one stored change, unique in the database (``ChangeRow.happening``).

    Two checks that started from the same version of a source and found the same change of
    an item get the same identity, so even if both reached the database, one would be
    refused. ``nth``: the n-th change of that item and category in one check (from 0).
    """
    parts = (source_key, str(base_version), item_key, category, str(nth))
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


# -- the entry points ---------------------------------------------------------------------


def record_check(
    session: Session,
    record: CheckRecord,
    previous_snapshot: int | None,
    routing: Routing | None = None,
    packed: Packed | None = None,
) -> CheckRow:
    """Write one check (``record_checks``); LookupError when its source is not stored."""
    [written] = record_checks(
        session,
        [Pending(record=record, previous_snapshot=previous_snapshot, packed=packed)],
        routing,
    )
    if written is None:
        raise LookupError(f"source {record.source_key!r} is not in the database; sync it first")
    return written.row()


def record_quiet_checks(
    session: Session, records: Sequence[CheckRecord], routing: Routing | None = None
) -> list[Stored | None]:
    """Write many quiet checks (``is_quiet``) at once (``record_checks``): their ids, and
    which were skipped because another check of the source was stored first.

    A record gets None, and nothing is written for it, when it must take ``record_check``:
    its source is not in the database (that one raises), or it has no ``base_version``
    (an unfenced check claims its source on its own).
    """
    return record_found_checks(session, [Pending(record=record) for record in records], routing)


def record_found_checks(
    session: Session, checks: Sequence[Pending], routing: Routing | None = None
) -> list[Stored | None]:
    """Write many checks of any outcome at once (``record_checks``), as
    ``record_quiet_checks`` does quiet ones: their ids and which were skipped; None, and
    nothing written, for a check left for ``record_check`` (its source is not in the
    database, or it has no ``base_version``)."""
    fenced = [pending for pending in checks if pending.record.base_version is not None]
    done = record_checks(session, fenced, routing)
    written = {id(pending): one for pending, one in zip(fenced, done, strict=True)}
    return [_stored(written.get(id(pending))) for pending in checks]


def _stored(written: Written | None) -> Stored | None:
    return None if written is None else Stored(written.check_id, skipped=written.skipped)


def record_checks(
    session: Session, checks: Sequence[Pending], routing: Routing | None = None
) -> list[Written | None]:
    """Write ``checks``, in order, in the caller's transaction (the caller commits: a Change
    is never stored without the alerts it owes). None for a check whose source is not in
    the database: nothing is written for it.

    The rows every check writes go through Core statements, many rows to a statement (a
    third of the cost of ORM objects); changes one statement each (a later one may join an
    earlier one's event), deadlines, rare, through the ORM.
    """
    connection = session.connection()
    records = [pending.record for pending in checks]
    keys = sorted({record.source_key for record in records})
    # PostgreSQL: rows locked in key order, so that two batches cannot deadlock. SQLite has
    # one writer and no row locks: the claim alone will do.
    locking = len(keys) > 1 and connection.dialect.name != "sqlite"
    present = _lock_sources(connection, keys) if locking else None
    claims = claim(connection, records)
    if present is None:  # the claims took the rows; asking is needed only if one was lost
        present = set(keys) if len(claims) == len(records) else _stored_keys(connection, keys)
    written = _insert_checks(connection, checks, present, claims)
    won = [
        (pending, one, claims[id(pending.record)])
        for pending, one in zip(checks, written, strict=True)
        if one is not None and id(pending.record) in claims
    ]
    events.lock(session, [member for pending, _, _ in won for member in _members(pending.record)])
    dated = _with_deadlines(connection, [pending.record for pending, _, _ in won])
    found = [_store_found(session, pending, one, claimed, dated) for pending, one, claimed in won]
    _update_sources(connection, [(pending.record, claimed) for pending, _, claimed in won])
    if routing is not None:
        routes = outbox.routes(
            session, routing, {one.change.source_key for s in found for one in s}
        )
        for (pending, one, claimed), stored in zip(won, found, strict=True):
            outbox.enqueue_changes(session, routes, stored, pending.record.started_at)
            outbox.enqueue_health(session, routing, pending.record, claimed.streak, one.check_id)
    return written


# -- the fence ----------------------------------------------------------------------------


def _lock_sources(connection: Connection, keys: list[str]) -> set[str]:
    """Lock the sources' rows in key order (PostgreSQL: two batches cannot deadlock); the
    keys that are in the database."""
    statement = (
        sa_select(col(SourceRow.key))
        .where(col(SourceRow.key).in_(keys))
        .order_by(col(SourceRow.key))
        .with_for_update(key_share=True)
    )
    return set(connection.execute(statement).scalars())


def _stored_keys(connection: Connection, keys: list[str]) -> set[str]:
    statement = sa_select(col(SourceRow.key)).where(col(SourceRow.key).in_(keys))
    return set(connection.execute(statement).scalars())


_CLAIMED = (col(SourceRow.key), col(SourceRow.version), col(SourceRow.failure_streak))
_CLAIM_ANY = (
    update(SourceRow)
    .where(col(SourceRow.key) == bindparam("c_key"))
    .values(version=col(SourceRow.version) + 1)
    .returning(*_CLAIMED)
)


# Built once: building the statement cost as much CPU as running it.
_CLAIM_FENCED = (
    update(SourceRow)
    # The key alone too: SQLite reads a row-value IN by scanning the whole table (every
    # source, for every batch); with the key it looks each one up.
    .where(col(SourceRow.key).in_(bindparam("c_keys", expanding=True)))
    .where(
        tuple_(col(SourceRow.key), col(SourceRow.version)).in_(
            bindparam("c_pairs", expanding=True, type_=TupleType(String(), Integer()))
        )
    )
    .values(version=col(SourceRow.version) + 1)
    .returning(*_CLAIMED)
)


def claim(connection: Connection, records: Sequence[CheckRecord]) -> dict[int, Claim]:
    """Bump each record's source's version, if it is still at the record's ``base_version``:
    the ``id()`` of the records that won, with their claims.

    One UPDATE for all fenced records, so it takes the rows (PostgreSQL) or the write lock
    (SQLite) before comparing: of two overlapping checks from the same state exactly one
    gets its source; of two records of one source in one call, only the first can. A
    record without ``base_version`` (one per source and call) claims unconditionally.
    """
    first: dict[str, CheckRecord] = {}
    for record in records:
        if record.base_version is not None:
            first.setdefault(record.source_key, record)
    claims: dict[int, Claim] = {}
    if first:
        pairs = [(key, record.base_version) for key, record in first.items()]
        values = {"c_keys": list(first), "c_pairs": pairs}
        for key, version, streak in connection.execute(_CLAIM_FENCED, values):
            claims[id(first[key])] = Claim(version, streak)
    for record in records:
        if record.base_version is None:
            row = connection.execute(_CLAIM_ANY, {"c_key": record.source_key}).first()
            if row is not None:
                claims[id(record)] = Claim(row[1], row[2])
    return claims


# -- the rows -----------------------------------------------------------------------------


@functools.cache
def _insert_blob(dialect: str) -> Any:
    return upsert_insert(dialect)(BlobRow).on_conflict_do_nothing()


def _insert_checks(
    connection: Connection, checks: Sequence[Pending], present: set[str], claims: dict[int, Claim]
) -> list[Written | None]:
    """The check rows, in one statement (after the blobs and snapshots of those that won)."""
    won = [
        pending
        for pending in checks
        if pending.record.source_key in present and id(pending.record) in claims
    ]
    bodies = _store_bodies(connection, won)
    values: list[dict[str, Any] | None] = []
    for pending in checks:
        record = pending.record
        if record.source_key not in present:
            values.append(None)
        elif id(record) in claims:
            values.append(_won_values(record, bodies.get(id(record), (None, None))))
        else:
            values.append(
                {
                    **_check_values(record),
                    "outcome": CheckOutcome.SKIPPED.value,
                    "error": CHECKED_ELSEWHERE,
                }
            )
    rows = [row for row in values if row is not None]
    ids = iter(_inserted_ids(connection, CheckRow, rows) if rows else [])
    return [Written(next(ids), row) if row is not None else None for row in values]


def _inserted_ids(
    connection: Connection, table: type[CheckRow | SnapshotRow], rows: list[dict[str, Any]]
) -> list[int]:
    """Insert ``rows`` into ``table``; their ids, in order.

    SQLite has no way to return the ids of a many-row insert in order, so SQLAlchemy inserts
    one row per statement there (a thousand statements for a cycle's checks). Instead: one
    ``executemany``, then the ids. This transaction is SQLite's one writer from its insert
    to its commit, and a new rowid is always above every existing one, so the rows just
    inserted are the ``len(rows)`` highest, in insertion order. PostgreSQL's writers run at
    once: there the ids are drawn first (``_inserted_with_drawn_ids``).
    """
    if connection.dialect.name == "postgresql":
        return _inserted_with_drawn_ids(connection, table, rows)
    connection.execute(_insert(table), rows)
    newest = connection.execute(_newest(table), {"n": len(rows)}).scalars().all()
    return list(reversed(cast(Sequence[int], newest)))


def _inserted_with_drawn_ids(
    connection: Connection, table: type[CheckRow | SnapshotRow], rows: list[dict[str, Any]]
) -> list[int]:
    """PostgreSQL: the ids drawn from the table's sequence first, then every row in one
    INSERT over arrays (unnest). An INSERT returning its ids in the rows' order cost about
    70 us of CPU a row (SQLAlchemy renders a VALUES list with a counter and sorts by it)."""
    ids = list(
        cast(Sequence[int], connection.execute(_next_ids(table), {"n": len(rows)}).scalars().all())
    )
    arrays = _as_arrays(rows)
    connection.execute(_insert_arrays(table, tuple(arrays)), {**arrays, "id": ids})
    return ids


@functools.cache
def _insert(table: type[CheckRow | SnapshotRow]) -> Insert:
    return insert(table)


def _as_arrays(rows: list[dict[str, Any]]) -> dict[str, list[Any]]:
    """One array per column of ``rows`` (which all have the same columns), for ``_unnest``."""
    return {name: [row[name] for row in rows] for name in rows[0]}


def _unnest(name: str, columns: dict[str, TypeEngine[Any]]) -> TableValuedAlias:
    """PostgreSQL's ``unnest`` of one array parameter per column, as rows named ``name``:
    one statement for a batch, where psycopg runs an executemany row by row."""
    arrays = [bindparam(column_name, type_=ARRAY(type_)) for column_name, type_ in columns.items()]
    return (
        func.unnest(*arrays)
        .table_valued(*(column(column_name, type_) for column_name, type_ in columns.items()))
        .render_derived(name=name)
    )


@functools.cache
def _next_ids(table: type[CheckRow | SnapshotRow]) -> Select[Any]:
    sequence = func.pg_get_serial_sequence(table.__tablename__, "id")
    return sa_select(func.nextval(sequence)).select_from(func.generate_series(1, bindparam("n")))


@functools.cache
def _insert_arrays(table: type[CheckRow | SnapshotRow], names: tuple[str, ...]) -> Insert:
    columns = sa_inspect(table).local_table.c
    every = ("id", *names)
    rows = _unnest("new_rows", {name: columns[name].type for name in every})
    every_row = sa_select(*(rows.c[name] for name in every))
    return insert(table).from_select(list(every), every_row, include_defaults=False)


@functools.cache
def _newest(table: type[CheckRow | SnapshotRow]) -> Select[int | None]:
    """The ids of the ``n`` newest rows, newest first."""
    return sa_select(col(table.id)).order_by(col(table.id).desc()).limit(bindparam("n"))


Body = tuple[str | None, int | None]  # a check's blob hash and snapshot id


def _store_bodies(connection: Connection, won: Sequence[Pending]) -> dict[int, Body]:
    """The raw bodies and snapshots of the checks that won, the bodies in one statement and
    the snapshots in another: what each check points at, by the ``id()`` of its record."""
    packed = [
        (pending.record, pending.packed if pending.packed is not None else pack(pending.record))
        for pending in won
        if pending.record.raw is not None or pending.record.snapshot is not None
    ]
    blobs = [_blob_values(record, one) for record, one in packed if _keeps_raw(record, one)]
    if blobs:  # a body two processes store at once: the second insert is a no-op
        connection.execute(_insert_blob(connection.dialect.name), blobs)
    kept = [(record, one) for record, one in packed if _keeps_snapshot(record, one)]
    rows = [_snapshot_values(record, one) for record, one in kept]
    ids = iter(_inserted_ids(connection, SnapshotRow, rows) if rows else [])
    snapshots = {id(record): next(ids) for record, _ in kept}
    return {
        id(record): (one.blob_hash if _keeps_raw(record, one) else None, snapshots.get(id(record)))
        for record, one in packed
    }


def _keeps_raw(record: CheckRecord, packed: Packed) -> bool:
    return record.raw is not None and packed.blob is not None


def _keeps_snapshot(record: CheckRecord, packed: Packed) -> bool:
    return record.snapshot is not None and packed.snapshot is not None


def _won_values(record: CheckRecord, body: Body) -> dict[str, Any]:
    blob_hash, snapshot_id = body
    return {
        **_check_values(record),
        "blob_hash": blob_hash,
        "snapshot_id": snapshot_id,
        "change_count": len(record.changes),
    }


def _check_values(record: CheckRecord) -> dict[str, Any]:
    return {
        "source_key": record.source_key,
        "started_at": record.started_at,
        "duration_ms": record.duration_ms,
        "outcome": record.outcome.value,
        "http_status": record.http_status,
        "bytes": record.size,
        "final_url": record.final_url,
        "error": record.error,
        "blob_hash": None,
        "snapshot_id": None,
        "change_count": 0,
    }


def _blob_values(record: CheckRecord, packed: Packed) -> dict[str, Any]:
    assert record.raw is not None
    return {
        "hash": packed.blob_hash,
        "size": len(record.raw),
        "content_type": record.content_type,
        "data": packed.blob,
        "created_at": record.started_at,
    }


def _snapshot_values(record: CheckRecord, packed: Packed) -> dict[str, Any]:
    assert record.snapshot is not None
    return {
        "source_key": record.source_key,
        "created_at": record.started_at,
        "content_hash": record.snapshot.content_hash,
        "item_count": record.snapshot.item_count,
        "data": packed.snapshot,
        "blob_hash": packed.blob_hash,
    }


# -- what a check found -------------------------------------------------------------------


def _with_deadlines(connection: Connection, records: Sequence[CheckRecord]) -> set[str]:
    """Which of the sources whose deadlines these checks read have deadlines stored (one
    query for a batch, where each check would ask again)."""
    keys = {record.source_key for record in records if record.deadlines is not None}
    if not keys:
        return set()
    statement = sa_select(col(DeadlineRow.source_key)).where(
        col(DeadlineRow.source_key).in_(sorted(keys))
    )
    return set(connection.execute(statement.distinct()).scalars())


def _store_found(
    session: Session, pending: Pending, written: Written, won: Claim, dated: set[str]
) -> list[StoredChange]:
    """The check's changes and deadlines. ``dated``: the sources with deadlines stored."""
    record = pending.record
    if not record.changes and record.deadlines is None:
        return []
    snapshots = (pending.previous_snapshot, written.values["snapshot_id"])
    stored = _store_changes(session, record, written.check_id, snapshots, won.version - 1)
    kept = record.source_key in dated
    if record.deadlines is not None and (record.deadlines or kept):
        sync_deadlines(
            session,
            record.source_key,
            record.deadlines,
            record.started_at,
            items=record.deadline_items,
            stored=kept,
        )
        session.flush()
        events.link_deadlines(session, record.source_key, _events_by_item(stored))
    return stored


def _events_by_item(stored: list[StoredChange]) -> dict[str, int]:
    """The event of each item's latest change in this check (its deadline's event)."""
    return {one.change.item_key: one.event_id for one in stored if one.event_id is not None}


def _members(record: CheckRecord) -> list[Member]:
    return [_member(change, record.started_at) for change in record.changes]


def _member(change: Change, detected_at: datetime) -> Member:
    return Member(
        source_key=change.source_key,
        item_key=change.item_key,
        category=change.category.value,
        title=change.title,
        url=change.url,
        event_key=change.event_key,
        old_date=change.old_date,
        new_date=change.new_date,
        detected_at=detected_at,
    )


_INSERT_CHANGE = insert(ChangeRow)


def _store_changes(
    session: Session,
    record: CheckRecord,
    check_id: int,
    snapshots: tuple[int | None, int | None],
    base_version: int,
) -> list[StoredChange]:
    """Each change, then its event (``storage.events``): one by one, as a later change
    about the same event joins this one's event. Core statements built once, not ORM
    objects: the ORM's flushes cost more than the statements."""
    connection = session.connection()
    stored: list[StoredChange] = []
    seen: Counter[tuple[str, str]] = Counter()
    for change in record.changes:
        nth = seen[change.item_key, change.category.value]
        seen[change.item_key, change.category.value] += 1
        values = _change_values(change, record.started_at, check_id, snapshots)
        values["related_to"] = _first_about(connection, change, record.started_at)
        values["happening"] = happening(
            change.source_key, base_version, change.item_key, change.category.value, nth
        )
        change_id = inserted_id(connection.execute(_INSERT_CHANGE, values))
        stored.append(_placed(session, change, change_id, values))
    return stored


def _placed(
    session: Session, change: Change, change_id: int, values: dict[str, Any]
) -> StoredChange:
    """The stored change put into its event."""
    joined = events.place(
        session,
        events.Reported(
            change_id=change_id,
            member=_member(change, values["detected_at"]),
            severity=values["severity"],
            summary=values["summary"],
        ),
    )
    return StoredChange(
        id=change_id,
        change=change,
        event_id=joined.event_id,
        related_to=values["related_to"],
        started=joined.created,
        moved=joined.moved,
    )


def _change_values(
    change: Change, at: datetime, check_id: int, snapshots: tuple[int | None, int | None]
) -> dict[str, Any]:
    return {
        "event_key": change.event_key,
        "source_key": change.source_key,
        "check_id": check_id,
        "item_key": change.item_key,
        "category": change.category.value,
        "severity": change.severity.value,
        "title": change.title,
        "summary": change.summary,
        "url": change.url,
        "old_date": change.old_date,
        "new_date": change.new_date,
        "evidence": list(change.evidence),
        "diff": diff_to_dict(change.diff),
        "old_snapshot_id": snapshots[0],
        "new_snapshot_id": snapshots[1],
        "detected_at": at,
        "marked_noise_at": None,
        "event_id": None,
    }


def _first_about(connection: Connection, change: Change, now: datetime) -> int | None:
    """The first change about the same event in the last 30 days, or None.

    The same event: the same identity (``event_key``: an initiative, a CELEX number, a
    document, a page section), the same kind of happening (category) and the same dates;
    on the change's own source, also the same item, so two sections of one page, or two
    entries of one feed, are always two events, whatever their key. A moved deadline or a
    second consultation is a new event, alerted as such.
    """
    if not change.event_key:
        return None
    statement = _about_statement(change.old_date is not None, change.new_date is not None)
    values = {
        "a_key": change.event_key,
        "a_category": change.category.value,
        "a_old": change.old_date,
        "a_new": change.new_date,
        "a_source": change.source_key,
        "a_item": change.item_key,
        "a_since": now - RELATED_WINDOW,
    }
    row = connection.execute(statement, values).first()
    return None if row is None else (row[1] or row[0])


@functools.cache
def _about_statement(old_dated: bool, new_dated: bool) -> Select[int | None, int | None]:
    """``_first_about``'s statement, for each shape: each date stated, or not (IS NULL)."""
    return (
        sa_select(col(ChangeRow.id), col(ChangeRow.related_to))
        .where(
            col(ChangeRow.event_key) == bindparam("a_key"),
            col(ChangeRow.category) == bindparam("a_category"),
            _same(col(ChangeRow.old_date), "a_old", old_dated),
            _same(col(ChangeRow.new_date), "a_new", new_dated),
            or_(
                col(ChangeRow.source_key) != bindparam("a_source"),
                col(ChangeRow.item_key) == bindparam("a_item"),
            ),
            col(ChangeRow.detected_at) >= bindparam("a_since", type_=UtcDateTime()),
        )
        .order_by(col(ChangeRow.id))
        .limit(1)
    )


def _same(column: Any, name: str, stated: bool) -> Any:
    return column == bindparam(name) if stated else column.is_(None)


def sync_deadlines(
    session: Session,
    source_key: str,
    deadlines: Sequence[Deadline],
    now: datetime,
    *,
    items: frozenset[str] | None = None,
    stored: bool = True,
) -> None:
    """Make the stored deadlines of a source what its document states now.

    With ``items``, only the deadlines of those items were read again; the others stay.
    A moved date is kept in the deadline's history; a deadline the document no longer
    states is closed, not deleted. ``stored=False``: the source has none stored yet.
    """
    rows = (
        session.exec(select(DeadlineRow).where(DeadlineRow.source_key == source_key)).all()
        if stored
        else []
    )
    existing = {
        (row.item_key, row.kind, row.label): row
        for row in rows
        if items is None or row.item_key in items
    }
    new: list[dict[str, Any]] = []
    for deadline in _one_per_identity(deadlines):
        row = existing.pop((deadline.item_key, deadline.kind, deadline.label), None)
        if row is None:
            new.append(_new_deadline(deadline, now))
        else:
            session.add(_updated_deadline(row, deadline, now))
    if new:  # one Core statement: a page's first check can state dozens of deadlines
        session.connection().execute(insert(DeadlineRow), new)
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


def _new_deadline(deadline: Deadline, now: datetime) -> dict[str, Any]:
    return {
        "source_key": deadline.source_key,
        "item_key": deadline.item_key,
        "kind": deadline.kind,
        "label": deadline.label,
        "url": deadline.url,
        "due": deadline.due,
        "status": "open",
        "first_seen": now,
        "last_seen": now,
        "history": [{"due": deadline.due.isoformat(), "seen": now.isoformat()}],
    }


def _updated_deadline(row: DeadlineRow, deadline: Deadline, now: datetime) -> DeadlineRow:
    if not row.history or row.due != deadline.due:
        row.history = [*row.history, {"due": deadline.due.isoformat(), "seen": now.isoformat()}]
    row.due, row.label, row.url = deadline.due, deadline.label, deadline.url
    row.status, row.last_seen = "open", now
    return row


# -- the sources' fetch state -------------------------------------------------------------


def _update_sources(connection: Connection, won: Sequence[tuple[CheckRecord, Claim]]) -> None:
    """Each won check's source state: one statement per kind of update, for all of them."""
    batches: dict[tuple[bool, bool, bool], list[dict[str, Any]]] = defaultdict(list)
    for record, found in won:
        failed = record.outcome is CheckOutcome.FAILED
        validators = not failed and record.outcome is not CheckOutcome.NOT_MODIFIED
        params = {"b_key": record.source_key, "b_at": record.started_at}
        if failed:
            params.update(b_streak=found.streak + 1, b_error=record.error)
        if validators:
            params.update(
                b_etag=record.etag,
                b_modified=record.last_modified,
                b_hash=record.content_hash,
                b_fingerprint=record.parse_fingerprint,
            )
        # A change, or a document confirmed gone, moves last_change_at.
        batches[failed, validators, bool(record.changes)].append(params)
    arrays = connection.dialect.name == "postgresql"
    for shape, rows in batches.items():
        # PostgreSQL: one statement over arrays; psycopg runs an executemany row by row, at
        # about 25 us of CPU each (27 against 10 ms for 1,000 sources in batches of 62).
        connection.execute(_source_update(*shape, arrays), _as_arrays(rows) if arrays else rows)


# The parameters of a source update, with their types (all of one shape's rows have the same).
_SOURCE_PARAMS: dict[str, TypeEngine[Any]] = {
    "b_key": String(),
    "b_at": UtcDateTime(),
    "b_streak": Integer(),
    "b_error": String(),
    "b_etag": String(),
    "b_modified": String(),
    "b_hash": String(),
    "b_fingerprint": String(),
}


@functools.cache
def _source_update(failed: bool, validators: bool, changed: bool, arrays: bool) -> Update:
    """One row's update (run as an executemany), or with ``arrays`` every row's at once from
    one array per parameter (PostgreSQL's unnest)."""
    names = ["b_key", "b_at"]
    names += ["b_streak", "b_error"] if failed else []
    names += ["b_etag", "b_modified", "b_hash", "b_fingerprint"] if validators else []
    types = {name: _SOURCE_PARAMS[name] for name in names}
    params: dict[str, ColumnElement[Any]]
    if arrays:
        rows = _unnest("b_rows", types)
        params = {name: rows.c[name] for name in names}
    else:
        params = {name: bindparam(name, type_=type_) for name, type_ in types.items()}
    values = _source_values(params, failed=failed, validators=validators, changed=changed)
    return update(SourceRow).where(col(SourceRow.key) == params["b_key"]).values(**values)


def _source_values(
    params: dict[str, ColumnElement[Any]], *, failed: bool, validators: bool, changed: bool
) -> dict[str, Any]:
    """The columns an update sets, from its parameters (bound values or unnested arrays)."""
    at = params["b_at"]
    values: dict[str, Any] = {"last_check_at": at}
    if failed:
        values.update(failure_streak=params["b_streak"], last_error=params["b_error"])
    else:
        values.update(
            last_success_at=at,
            failure_streak=0,
            last_error=None,
            first_success_at=func.coalesce(SourceRow.first_success_at, at),
        )
    if validators:
        values.update(
            etag=params["b_etag"],
            last_modified=params["b_modified"],
            content_hash=params["b_hash"],
            parse_fingerprint=params["b_fingerprint"],
        )
    if changed:
        values["last_change_at"] = at
    return values
