"""Events in the write path: each stored change joins the event it reports, or starts one.

``join`` runs in the transaction that stores the change (``storage.checks``): it finds the
events the change may belong to (by their identities, ``event_identities``, and by the
category, dates and time of their changes), lets ``storage.grouping.place`` choose, and
creates or updates the event, with a ``grouping`` entry saying which rule matched and an
``event_log`` row ("created" or "joined", by "lexwatch").

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
import hashlib
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select as sa_select
from sqlalchemy import text
from sqlmodel import Session, col, select

from storage import grouping
from storage.grouping import Candidate, Match, Member
from storage.models import ChangeRow, DeadlineRow, EventIdentityRow, EventLogRow, EventRow

ACTOR = "lexwatch"
_MAX_IDENTITY = 500


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


def join(session: Session, row: ChangeRow, *, actor: str = ACTOR) -> EventRow:
    """Put the stored (flushed) change ``row`` into its event; the event."""
    assert row.id is not None
    member = member_of(row)
    match = grouping.place(member, candidates(session, member, exclude=row.id))
    if match is None:
        event = _create(session, row, rule="first", detail="the first report of it")
        _log(session, event, row.detected_at, actor, "created", _about(row))
    else:
        event = _join(session, match, row)
        _log(session, event, row.detected_at, actor, "joined", _about(row, match))
    row.event_id = event.id
    session.add(row)
    _add_identities(session, event, member)
    return event


def _about(row: ChangeRow, match: Match | None = None) -> dict[str, Any]:
    detail: dict[str, Any] = {"change_id": row.id, "source_key": row.source_key}
    if match is not None:
        detail.update(rule=match.rule, detail=match.detail)
    return detail


def candidates(session: Session, change: Member, *, exclude: int | None = None) -> list[Candidate]:
    """The events ``change`` might join, with their members."""
    ids = _by_identity(session, change) | _by_title(session, change, exclude)
    if not ids:
        return []
    # The columns the rules read, not whole rows (an event's grouping log grows with it).
    events = session.execute(
        sa_select(col(EventRow.id), col(EventRow.new_date), col(EventRow.last_detected_at)).where(
            col(EventRow.id).in_(ids)
        )
    ).all()
    members = _members(session, ids, exclude)
    split_out = _split_out(session, ids)
    return [
        Candidate(
            event_id=event_id,
            new_date=new_date,
            last_detected_at=last_detected_at,
            members=tuple(members.get(event_id, ())),
            split_out=frozenset(split_out.get(event_id, ())),
        )
        for event_id, new_date, last_detected_at in events
    ]


def _by_identity(session: Session, change: Member) -> set[int]:
    keys = [_stored_identity(key) for key in grouping.identities(change.event_key, change.url)]
    if not keys:
        return set()
    statement = (
        sa_select(col(EventIdentityRow.event_id))
        .join(EventRow, col(EventRow.id) == col(EventIdentityRow.event_id))
        .where(
            col(EventIdentityRow.identity).in_(keys),
            col(EventRow.last_detected_at) >= change.detected_at - grouping.IDENTITY_WINDOW,
        )
    )
    return set(session.execute(statement).scalars())


def _by_title(session: Session, change: Member, exclude: int | None) -> set[int]:
    statement = sa_select(col(ChangeRow.event_id)).where(
        col(ChangeRow.event_id).is_not(None),
        col(ChangeRow.category) == change.category,
        _equal(col(ChangeRow.old_date), change.old_date),
        _equal(col(ChangeRow.new_date), change.new_date),
        col(ChangeRow.detected_at) >= change.detected_at - grouping.TITLE_WINDOW,
        col(ChangeRow.source_key) != change.source_key,
    )
    if exclude is not None:
        statement = statement.where(col(ChangeRow.id) != exclude)
    return {event_id for event_id in session.execute(statement).scalars() if event_id is not None}


def _equal(column: Any, value: Any) -> Any:
    return column.is_(None) if value is None else column == value


_MEMBER_FIELDS = tuple(field.name for field in dataclasses.fields(Member))


def _members(session: Session, ids: set[int], exclude: int | None) -> dict[int, list[Member]]:
    """The members of each event: only the columns the rules read, not whole rows (a
    change's diff can be large, and every change of a busy day may be a candidate's)."""
    columns = [col(getattr(ChangeRow, name)) for name in _MEMBER_FIELDS]
    statement = sa_select(col(ChangeRow.event_id), *columns).where(col(ChangeRow.event_id).in_(ids))
    if exclude is not None:
        statement = statement.where(col(ChangeRow.id) != exclude)
    found: dict[int, list[Member]] = {}
    for event_id, *values in session.execute(statement.order_by(col(ChangeRow.id))):
        member = Member(**dict(zip(_MEMBER_FIELDS, values, strict=True)))
        found.setdefault(event_id, []).append(member)
    return found


def _split_out(session: Session, ids: set[int]) -> dict[int, set[tuple[str, str]]]:
    """The items split out of each event: members of the events split from it."""
    statement = (
        sa_select(col(EventRow.split_from), col(ChangeRow.source_key), col(ChangeRow.item_key))
        .join(ChangeRow, col(ChangeRow.event_id) == col(EventRow.id))
        .where(col(EventRow.split_from).in_(ids))
    )
    found: dict[int, set[tuple[str, str]]] = {}
    for parent, source_key, item_key in session.execute(statement).all():
        found.setdefault(parent, set()).add((source_key, item_key))
    return found


def _create(session: Session, row: ChangeRow, *, rule: str, detail: str) -> EventRow:
    identities = grouping.identities(row.event_key, row.url)
    event = EventRow(
        identity=_stored_identity(row.event_key or next(iter(identities), "")) or None,
        category=row.category,
        severity=row.severity,
        title=row.title,
        summary=row.summary,
        url=row.url,
        old_date=row.old_date,
        new_date=row.new_date,
        first_detected_at=row.detected_at,
        last_detected_at=row.detected_at,
        change_count=1,
        source_count=1,
        grouping=[{"change_id": row.id, "rule": rule, "detail": detail}],
    )
    session.add(event)
    session.flush()
    return event


def _join(session: Session, match: Match, row: ChangeRow) -> EventRow:
    event = session.get(EventRow, match.event_id, with_for_update=True, populate_existing=True)
    assert event is not None
    event.change_count += 1
    event.source_count = _source_count(session, match.event_id, row)
    event.first_detected_at = min(event.first_detected_at, row.detected_at)
    event.last_detected_at = max(event.last_detected_at, row.detected_at)
    event.severity = grouping.higher(event.severity, row.severity)
    if match.moved:
        event.new_date, event.summary = row.new_date, row.summary
    event.url = event.url or row.url
    entry = {"change_id": row.id, "rule": match.rule, "detail": match.detail}
    event.grouping = [*event.grouping, entry]
    event.version += 1
    session.add(event)
    session.flush()
    return event


def _source_count(session: Session, event_id: int, row: ChangeRow) -> int:
    statement = sa_select(col(ChangeRow.source_key)).where(
        col(ChangeRow.event_id) == event_id, col(ChangeRow.id) != row.id
    )
    return len(set(session.execute(statement).scalars()) | {row.source_key})


def _add_identities(session: Session, event: EventRow, change: Member) -> None:
    assert event.id is not None
    wanted = {_stored_identity(key) for key in grouping.identities(change.event_key, change.url)}
    if not wanted:
        return
    have = set(
        session.execute(
            sa_select(col(EventIdentityRow.identity)).where(
                col(EventIdentityRow.event_id) == event.id,
                col(EventIdentityRow.identity).in_(wanted),
            )
        ).scalars()
    )
    for identity in sorted(wanted - have):
        session.add(EventIdentityRow(event_id=event.id, identity=identity))
    session.flush()


def _stored_identity(key: str) -> str:
    """An identity as stored: a hostile long URL is kept by its hash (the column is 500)."""
    if len(key) <= _MAX_IDENTITY:
        return key
    return f"sha256:{hashlib.sha256(key.encode()).hexdigest()}"


def _log(
    session: Session, event: EventRow, at: datetime, actor: str, action: str, detail: dict[str, Any]
) -> None:
    assert event.id is not None
    session.add(EventLogRow(event_id=event.id, at=at, actor=actor, action=action, detail=detail))


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
    event = _create(session, row, rule="split", detail=detail)
    event.split_from = parent.id
    row.event_id = event.id
    session.add_all([row, event])
    session.flush()
    _add_identities(session, event, member_of(row))
    _recount(session, parent, removed=change_id)
    about = {"change_id": change_id, "source_key": row.source_key}
    _log(session, parent, now, actor, "split", {**about, "to_event": event.id})
    _log(session, event, now, actor, "created", {**about, "split_from": parent.id})
    return event


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
