"""Events in the write path: each stored change joins the event it reports, or starts one.

``place`` runs in the transaction that stores the change (``storage.checks``; ``join`` for a
change row of the ORM): it finds the events the change may belong to (by their identities,
``event_identities``, and by the category, dates and time of their changes), lets
``storage.grouping.place`` choose, and creates or updates the event, with a ``grouping``
entry saying which rule matched and an ``event_log`` row ("created" or "joined", by
"lexwatch").

Two workers storing changes of the same happening at once must end with one event. On
PostgreSQL, ``lock`` takes a transaction-level advisory lock on every name under which the
changes may meet (``grouping.lock_keys``), in one sorted order, before anything is read: the
second worker waits for the first to commit and then finds its event. SQLite has one writer
at a time, and a check holds the write lock (its claim) before it groups anything.

``split`` takes a change out of its event into a new event of its own, remembered
(``split_from``): grouping never puts that item back into the event it left.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, bindparam, insert, or_, text, update
from sqlalchemy import select as sa_select
from sqlalchemy.orm import aliased
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, select

from storage import grouping
from storage.db import inserted_id
from storage.grouping import Candidate, Match, Member
from storage.models import ChangeRow, DeadlineRow, EventIdentityRow, EventLogRow, EventRow
from storage.types import UtcDateTime

ACTOR = "lexwatch"
_MAX_IDENTITY = 500

# The statements of the write path are built once, not per change: building one cost three
# times as much CPU as running it. They run on the session's connection, without the ORM's
# autoflush: what they read (changes, events, identities) is written by Core statements or
# flushed at once (``_join``, ``split``).


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class Reported:
    """A stored change as its event takes it: its id, what the rules read, and what a new
    or joined event copies from it."""

    change_id: int
    member: Member
    severity: str
    summary: str


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class Joined:
    """The event a change went into: ``created`` by it, or joined (``moved``: by the
    "moved" rule, its date moved)."""

    event_id: int
    created: bool
    moved: bool = False


def member_of(row: ChangeRow) -> Member:
    return Member(
        source_key=row.source_key,
        item_key=row.item_key,
        category=row.category,
        title=row.title,
        url=row.url,
        event_key=row.event_key,
        old_date=row.old_date,
        new_date=row.new_date,
        detected_at=row.detected_at,
    )


def reported(row: ChangeRow) -> Reported:
    assert row.id is not None
    return Reported(
        change_id=row.id, member=member_of(row), severity=row.severity, summary=row.summary
    )


def lock(session: Session, members: Iterable[Member]) -> None:
    """PostgreSQL: wait for every other transaction grouping a change these may join."""
    if session.get_bind().dialect.name != "postgresql":
        return
    keys = sorted({_lock_id(key) for member in members for key in grouping.lock_keys(member)})
    for key in keys:
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def _lock_id(name: str) -> int:
    return int.from_bytes(
        hashlib.sha256(b"event:" + name.encode()).digest()[:8], "big", signed=True
    )


def join(session: Session, row: ChangeRow, *, actor: str = ACTOR) -> Joined:
    """Put the stored (flushed) change ``row`` into its event (``place``)."""
    joined = place(session, reported(row), actor=actor)
    set_committed_value(row, "event_id", joined.event_id)  # as stored by ``place``
    return joined


_SET_EVENT = (
    update(ChangeRow)
    .where(col(ChangeRow.id) == bindparam("c_id"))
    .values(event_id=bindparam("c_event"))
)


def place(session: Session, change: Reported, *, actor: str = ACTOR) -> Joined:
    """Put the stored change into the event it reports, or a new one; that event."""
    member = change.member
    match = grouping.place(member, candidates(session, member, exclude=change.change_id))
    if match is None:
        event_id = _create(session, change, rule="first", detail="the first report of it")
        _log(session, event_id, member.detected_at, actor, "created", _about(change))
    else:
        event_id = _join(session, match, change)
        _log(session, event_id, member.detected_at, actor, "joined", _about(change, match))
    connection = session.connection()
    connection.execute(_SET_EVENT, {"c_id": change.change_id, "c_event": event_id})
    _add_identities(connection, event_id, member, new=match is None)
    return Joined(event_id=event_id, created=match is None, moved=match is not None and match.moved)


def _about(change: Reported, match: Match | None = None) -> dict[str, Any]:
    detail: dict[str, Any] = {
        "change_id": change.change_id,
        "source_key": change.member.source_key,
    }
    if match is not None:
        detail.update(rule=match.rule, detail=match.detail)
    return detail


def candidates(session: Session, change: Member, *, exclude: int | None = None) -> list[Candidate]:
    """The events ``change`` might join, with their members: those that share one of its
    identities, and those whose title rule may match it (``grouping.titled_alike``); no
    other event can match any rule. (``exclude``: the change's own row, if stored.)"""
    connection = session.connection()
    by_identity = _by_identity(connection, change)
    members = _members(connection, change, by_identity, exclude)
    ids = sorted(
        by_identity
        | {event_id for event_id, its in members.items() if grouping.titled_alike(change, its)}
    )
    if not ids:
        return []
    # The columns the rules read, not whole rows (an event's grouping log grows with it).
    events = connection.execute(_EVENTS, {"e_ids": ids}).all()
    split_out = _split_out(connection, ids)
    return [
        Candidate(
            event_id=event_id,
            new_date=new_date,
            last_detected_at=last_detected_at,
            members=tuple(members.get(event_id, ())),
            split_out=frozenset(split_out.get(event_id, ())),
        )
        for event_id, new_date, last_detected_at in events
        if event_id is not None  # a primary key: never
    ]


_EVENTS = sa_select(col(EventRow.id), col(EventRow.new_date), col(EventRow.last_detected_at)).where(
    col(EventRow.id).in_(bindparam("e_ids", expanding=True))
)
_BY_IDENTITY = (
    sa_select(col(EventIdentityRow.event_id))
    .join(EventRow, col(EventRow.id) == col(EventIdentityRow.event_id))
    .where(
        col(EventIdentityRow.identity).in_(bindparam("i_keys", expanding=True)),
        col(EventRow.last_detected_at) >= bindparam("i_since", type_=UtcDateTime()),
    )
)


def _by_identity(connection: Connection, change: Member) -> set[int]:
    """The events lately seen that share an identity with ``change``: every event that may
    match by an identity, as ``_add_identities`` records the identities of all its members."""
    keys = [_stored_identity(key) for key in grouping.identities(change.event_key, change.url)]
    if not keys:
        return set()
    since = change.detected_at - grouping.IDENTITY_WINDOW
    return set(connection.execute(_BY_IDENTITY, {"i_keys": keys, "i_since": since}).scalars())


_MEMBER_FIELDS = tuple(field.name for field in dataclasses.fields(Member))


def _members(
    connection: Connection, change: Member, ids: set[int], exclude: int | None
) -> dict[int, list[Member]]:
    """The members of the events ``ids`` and of those with a change of the same category
    and dates on another source within ``TITLE_WINDOW`` (the title rule's), in one
    statement: only the columns the rules read, not whole rows (a change's diff can be
    large, and every change of a busy day may be a candidate's)."""
    statement = _members_statement(
        change.old_date is not None, change.new_date is not None, exclude is not None, bool(ids)
    )
    values = {
        "t_category": change.category,
        "t_old": change.old_date,
        "t_new": change.new_date,
        "t_since": change.detected_at - grouping.TITLE_WINDOW,
        "t_source": change.source_key,
        "m_exclude": exclude,
        "m_ids": sorted(ids),
    }
    found: dict[int, list[Member]] = {}
    for event_id, *columns in connection.execute(statement, values):
        member = Member(**dict(zip(_MEMBER_FIELDS, columns, strict=True)))
        found.setdefault(event_id, []).append(member)
    return found


@functools.cache
def _members_statement(
    old_dated: bool, new_dated: bool, excluding: bool, with_ids: bool
) -> Select[Any]:
    """``_members``' statement, for each shape: a date stated or not (IS NULL), a change to
    leave out or not, events by identity or not."""
    lately = aliased(ChangeRow, name="lately")
    titled = sa_select(col(lately.event_id)).where(
        col(lately.event_id).is_not(None),
        col(lately.category) == bindparam("t_category"),
        _equal(col(lately.old_date), "t_old", old_dated),
        _equal(col(lately.new_date), "t_new", new_dated),
        col(lately.detected_at) >= bindparam("t_since", type_=UtcDateTime()),
        col(lately.source_key) != bindparam("t_source"),
    )
    events = col(ChangeRow.event_id)
    columns = [col(getattr(ChangeRow, name)) for name in _MEMBER_FIELDS]
    # By event id alone (no category here): SQLite then reads each event's members by its
    # index, not every change of the category again.
    found: ColumnElement[bool] = events.in_(
        titled.where(col(lately.id) != bindparam("m_exclude")) if excluding else titled
    )
    if with_ids:
        found = or_(found, events.in_(bindparam("m_ids", expanding=True)))
    statement = sa_select(events, *columns).where(found)
    if excluding:
        statement = statement.where(col(ChangeRow.id) != bindparam("m_exclude"))
    return statement.order_by(col(ChangeRow.id))


def _equal(column: Any, name: str, stated: bool) -> Any:
    return column == bindparam(name) if stated else column.is_(None)


_SPLIT_OUT = (
    sa_select(col(EventRow.split_from), col(ChangeRow.source_key), col(ChangeRow.item_key))
    .join(ChangeRow, col(ChangeRow.event_id) == col(EventRow.id))
    .where(col(EventRow.split_from).in_(bindparam("s_ids", expanding=True)))
)


def _split_out(connection: Connection, ids: list[int]) -> dict[int, set[tuple[str, str]]]:
    """The items split out of each event: members of the events split from it."""
    found: dict[int, set[tuple[str, str]]] = {}
    for parent, source_key, item_key in connection.execute(_SPLIT_OUT, {"s_ids": ids}).all():
        if parent is not None:  # one of ``ids``
            found.setdefault(parent, set()).add((source_key, item_key))
    return found


_INSERT_EVENT = insert(EventRow)


def _create(
    session: Session, change: Reported, *, rule: str, detail: str, split_from: int | None = None
) -> int:
    """A new event of ``change`` alone; its id."""
    member = change.member
    identities = grouping.identities(member.event_key, member.url)
    values = {
        "identity": _stored_identity(member.event_key or next(iter(identities), "")) or None,
        "category": member.category,
        "severity": change.severity,
        "title": member.title,
        "summary": change.summary,
        "url": member.url,
        "old_date": member.old_date,
        "new_date": member.new_date,
        "first_detected_at": member.detected_at,
        "last_detected_at": member.detected_at,
        "change_count": 1,
        "source_count": 1,
        "state": "new",
        "grouping": [{"change_id": change.change_id, "rule": rule, "detail": detail}],
        "split_from": split_from,
        "version": 0,
    }
    return inserted_id(session.connection().execute(_INSERT_EVENT, values))


def _join(session: Session, match: Match, change: Reported) -> int:
    """Add ``change`` to the matched event (ORM: a locked read, then its new counts)."""
    member = change.member
    event = session.get(EventRow, match.event_id, with_for_update=True, populate_existing=True)
    assert event is not None and event.id is not None
    event.change_count += 1
    event.source_count = _source_count(session.connection(), match.event_id, change)
    event.first_detected_at = min(event.first_detected_at, member.detected_at)
    event.last_detected_at = max(event.last_detected_at, member.detected_at)
    event.severity = grouping.higher(event.severity, change.severity)
    if match.moved:
        event.new_date, event.summary = member.new_date, change.summary
    event.url = event.url or member.url
    entry = {"change_id": change.change_id, "rule": match.rule, "detail": match.detail}
    event.grouping = [*event.grouping, entry]
    event.version += 1
    session.add(event)
    session.flush()
    return event.id


_SOURCES_OF = sa_select(col(ChangeRow.source_key)).where(
    col(ChangeRow.event_id) == bindparam("s_event"), col(ChangeRow.id) != bindparam("s_change")
)


def _source_count(connection: Connection, event_id: int, change: Reported) -> int:
    values = {"s_event": event_id, "s_change": change.change_id}
    keys = set(connection.execute(_SOURCES_OF, values).scalars())
    return len(keys | {change.member.source_key})


_HAVE_IDENTITIES = sa_select(col(EventIdentityRow.identity)).where(
    col(EventIdentityRow.event_id) == bindparam("i_event"),
    col(EventIdentityRow.identity).in_(bindparam("i_wanted", expanding=True)),
)
_INSERT_IDENTITY = insert(EventIdentityRow)


def _add_identities(connection: Connection, event_id: int, change: Member, *, new: bool) -> None:
    """The event's identities, with the change's. ``new``: the event was just created, so
    it has none yet (nothing to ask)."""
    wanted = sorted(
        {_stored_identity(key) for key in grouping.identities(change.event_key, change.url)}
    )
    if not wanted:
        return
    have: set[str] = set()
    if not new:
        values = {"i_event": event_id, "i_wanted": wanted}
        have = set(connection.execute(_HAVE_IDENTITIES, values).scalars())
    rows = [{"event_id": event_id, "identity": key} for key in wanted if key not in have]
    if rows:
        connection.execute(_INSERT_IDENTITY, rows)


def _stored_identity(key: str) -> str:
    """An identity as stored: a hostile long URL is kept by its hash (the column is 500)."""
    if len(key) <= _MAX_IDENTITY:
        return key
    return f"sha256:{hashlib.sha256(key.encode()).hexdigest()}"


_INSERT_LOG = insert(EventLogRow)


def _log(
    session: Session, event_id: int, at: datetime, actor: str, action: str, detail: dict[str, Any]
) -> None:
    values = {"event_id": event_id, "at": at, "actor": actor, "action": action, "detail": detail}
    session.connection().execute(_INSERT_LOG, values)


def link_deadlines(session: Session, source_key: str, events_by_item: dict[str, int]) -> None:
    """The source's deadlines of the items whose changes went into events point at them."""
    if not events_by_item:
        return
    rows = session.exec(
        select(DeadlineRow).where(
            DeadlineRow.source_key == source_key,
            col(DeadlineRow.item_key).in_(list(events_by_item)),
        )
    ).all()
    for row in rows:
        row.event_id = events_by_item[row.item_key]
        session.add(row)


# -- split ----------------------------------------------------------------------------------


def split(session: Session, change_id: int, actor: str, now: datetime) -> EventRow | None:
    """Take ``change_id`` out of its event into a new one; None when there is no such change.

    Raises ValueError when the change is its event's only change (nothing to split from).
    """
    row = session.get(ChangeRow, change_id)
    if row is None:
        return None
    if row.event_id is None:
        raise ValueError(f"change {change_id} is in no event")
    parent = session.get(EventRow, row.event_id, with_for_update=True, populate_existing=True)
    assert parent is not None and parent.id is not None
    if parent.change_count <= 1:
        raise ValueError(f"change {change_id} is the only change of event {parent.id}")
    detail = f"split out of event {parent.id} by {actor}"
    event_id = _create(session, reported(row), rule="split", detail=detail, split_from=parent.id)
    row.event_id = event_id
    session.add(row)
    session.flush()
    _add_identities(session.connection(), event_id, member_of(row), new=True)
    _recount(session, parent, removed=change_id)
    about = {"change_id": change_id, "source_key": row.source_key}
    _log(session, parent.id, now, actor, "split", {**about, "to_event": event_id})
    _log(session, event_id, now, actor, "created", {**about, "split_from": parent.id})
    return session.get(EventRow, event_id)


def _recount(session: Session, event: EventRow, *, removed: int) -> None:
    """The event's counts, dates and severity from the changes it still has."""
    rows = session.exec(
        select(ChangeRow).where(ChangeRow.event_id == event.id).order_by(col(ChangeRow.id))
    ).all()
    event.change_count = len(rows)
    event.source_count = len({row.source_key for row in rows})
    event.first_detected_at = min(row.detected_at for row in rows)
    event.last_detected_at = max(row.detected_at for row in rows)
    severity = rows[0].severity
    for row in rows[1:]:
        severity = grouping.higher(severity, row.severity)
    event.severity = severity
    event.grouping = [e for e in event.grouping if e.get("change_id") != removed]
    event.version += 1
    session.add(event)


def backfill(session: Session, batch: int = 500) -> int:
    """Group every change stored without an event, oldest first (migration 0010); how many.

    Deadlines then point at the event of their item's latest change on their source.
    """
    done = 0
    while True:
        rows = session.exec(
            select(ChangeRow)
            .where(col(ChangeRow.event_id).is_(None))
            .order_by(col(ChangeRow.detected_at), col(ChangeRow.id))
            .limit(batch)
        ).all()
        if not rows:
            break
        for row in rows:
            join(session, row)
        session.flush()
        done += len(rows)
    _link_all_deadlines(session)
    return done


def _link_all_deadlines(session: Session) -> None:
    latest: dict[tuple[str, str], int] = {}
    statement = sa_select(
        col(ChangeRow.source_key), col(ChangeRow.item_key), col(ChangeRow.event_id)
    ).order_by(col(ChangeRow.id))
    for source_key, item_key, event_id in session.execute(statement).all():
        latest[source_key, item_key] = event_id
    for row in session.exec(select(DeadlineRow).where(col(DeadlineRow.event_id).is_(None))).all():
        event_id = latest.get((row.source_key, row.item_key))
        if event_id is not None:
            row.event_id = event_id
            session.add(row)
