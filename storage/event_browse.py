"""Read queries for events: the timeline, the event page, the API and the feeds
(``storage.reader``). Every function takes a Session and plain values and only reads.

The timeline's filters (``storage.browse.ChangeQuery``) mean the same for events: an event
matches a source or tag when one of its changes comes from it; category, severity and text
are the event's own; the dates bound its latest change. Events whose every change is marked
noise, and events of the never-alerted categories, are hidden unless asked for.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import exists, func, or_
from sqlalchemy import select as sa_select
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, select

from storage.browse import HIDDEN_CATEGORIES, ChangeQuery, source_titles
from storage.models import ChangeRow, CheckRow, EventLogRow, EventRow, SourceRow
from storage.triage import OPEN_STATES

NOBODY = ""  # ``EventQuery.assignee``: the events nobody is assigned to
NOBODY_NAME = "-"  # how a user asks for them: ?assignee=-, --assignee -


@dataclass(frozen=True, kw_only=True, slots=True)
class EventQuery:
    """Which events a list holds: the timeline's filters (``changes``, which also page it) and
    the triage list's: any of ``states``, and ``assignee`` (NOBODY: assigned to nobody). The
    timeline, the triage list, the API, the feeds and the exports all read with it."""

    changes: ChangeQuery = field(default_factory=ChangeQuery)
    states: tuple[str, ...] = ()
    assignee: str | None = None


def every_event(
    *, states: tuple[str, ...] = (), assignee: str | None = None, page: int = 1, per_page: int = 50
) -> EventQuery:
    """The triage lists' query: every event, noise included, by state and assignee."""
    changes = ChangeQuery(include_noise=True, page=page, per_page=per_page)
    return EventQuery(changes=changes, states=states, assignee=assignee)


def states_named(choice: str | None) -> tuple[str, ...]:
    """The states a list's ``state`` choice means: one state, "open" or "all" (None)."""
    if choice == "open":
        return OPEN_STATES
    return () if choice in (None, "all") else (choice,)


def assignee_named(given: str | None) -> str | None:
    """The assignee filter a user typed: a user, NOBODY_NAME, or nothing (anyone)."""
    return NOBODY if given == NOBODY_NAME else (given or None)


@dataclass(frozen=True, kw_only=True, slots=True)
class EventPage:
    rows: list[EventRow]
    total: int
    page: int
    per_page: int
    # Each event's sources, in the order they reported it (keys), and every source's title.
    sources: dict[int, list[str]] = field(default_factory=dict)
    source_titles: dict[str, str] = field(default_factory=dict)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def capped(self) -> bool:
        return False


@dataclass(frozen=True, kw_only=True, slots=True)
class EventChange:
    """One change of an event, with its source and the raw evidence of its check."""

    change: ChangeRow
    source_title: str
    source_url: str | None
    blob_hash: str | None


@dataclass(frozen=True, kw_only=True, slots=True)
class EventDetail:
    event: EventRow
    changes: list[EventChange]  # oldest first
    log: list[EventLogRow]  # oldest first
    split_from: EventRow | None = None
    split_into: list[EventRow] = field(default_factory=list)

    @property
    def source_count(self) -> int:
        return len({one.change.source_key for one in self.changes})

    def rule_of(self, change_id: int | None) -> dict[str, str]:
        """The grouping entry of one change: {"rule", "detail"} (empty when none)."""
        for entry in self.event.grouping:
            if entry.get("change_id") == change_id:
                return {"rule": str(entry.get("rule", "")), "detail": str(entry.get("detail", ""))}
        return {}


def events_page(session: Session, q: EventQuery) -> EventPage:
    """One page of events, the most recently active first, and how many match in all."""
    conditions = event_conditions(session, q)
    cq = q.changes
    if conditions is None:
        return EventPage(rows=[], total=0, page=cq.page, per_page=cq.per_page)
    total = int(session.exec(select(func.count()).select_from(EventRow).where(*conditions)).one())
    statement = (
        select(EventRow)
        .where(*conditions)
        .order_by(col(EventRow.last_detected_at).desc(), col(EventRow.id).desc())
        .offset((cq.page - 1) * cq.per_page)
        .limit(cq.per_page)
    )
    rows = list(session.exec(statement).all())
    sources = event_sources(session, [row.id for row in rows if row.id is not None])
    keys = {key for found in sources.values() for key in found}
    return EventPage(
        rows=rows,
        total=total,
        page=cq.page,
        per_page=cq.per_page,
        sources=sources,
        source_titles=source_titles(session, keys),
    )


def event_conditions(session: Session, q: EventQuery) -> list[ColumnElement[bool]] | None:
    """The WHERE clauses of ``q``; None when nothing can match."""
    cq = q.changes
    conditions: list[ColumnElement[bool]] = []
    keys = _source_keys(session, cq)
    if keys is not None:
        if not keys:
            return None
        conditions.append(_has_change(col(ChangeRow.source_key).in_(keys)))
    if cq.category:
        conditions.append(col(EventRow.category) == cq.category)
    elif not cq.include_noise:
        conditions.append(col(EventRow.category).not_in(HIDDEN_CATEGORIES))
    if not cq.include_noise:
        conditions.append(_has_change(col(ChangeRow.marked_noise_at).is_(None)))
    if cq.severity:
        conditions.append(col(EventRow.severity) == cq.severity)
    if cq.since:
        conditions.append(col(EventRow.last_detected_at) >= cq.since)
    if cq.until:
        conditions.append(col(EventRow.last_detected_at) < cq.until)
    if cq.text and cq.text.strip():
        conditions.append(_text(cq.text.strip(), session.get_bind().dialect.name))
    if q.states:
        conditions.append(col(EventRow.state).in_(q.states))
    if q.assignee == NOBODY:
        conditions.append(col(EventRow.assignee).is_(None))
    elif q.assignee is not None:
        conditions.append(col(EventRow.assignee) == q.assignee)
    return conditions


def _source_keys(session: Session, q: ChangeQuery) -> list[str] | None:
    if q.tag:
        rows = session.exec(select(SourceRow.key, SourceRow.tags)).all()
        keys = [key for key, tags in rows if q.tag in (tags or [])]
        return [key for key in keys if key == q.source] if q.source else keys
    return [q.source] if q.source else None


def _has_change(condition: ColumnElement[bool]) -> ColumnElement[bool]:
    return exists().where(col(ChangeRow.event_id) == col(EventRow.id), condition)


def _text(needle: str, dialect: str) -> ColumnElement[bool]:
    columns = (col(EventRow.title), col(EventRow.summary))
    if dialect == "postgresql":
        return or_(*(column.icontains(needle, autoescape=True) for column in columns))
    return or_(*(column.contains(needle, autoescape=True) for column in columns))


def event_sources(session: Session, ids: list[int]) -> dict[int, list[str]]:
    """Each event's source keys, in the order they first reported it."""
    if not ids:
        return {}
    statement = (
        sa_select(col(ChangeRow.event_id), col(ChangeRow.source_key))
        .where(col(ChangeRow.event_id).in_(ids))
        .order_by(col(ChangeRow.detected_at), col(ChangeRow.id))
    )
    found: dict[int, list[str]] = defaultdict(list)
    for event_id, source_key in session.execute(statement).all():
        if source_key not in found[event_id]:
            found[event_id].append(source_key)
    return dict(found)


def event_detail(session: Session, event_id: int) -> EventDetail | None:
    """An event with every change (its source and raw evidence) and its audit trail."""
    event = session.get(EventRow, event_id)
    if event is None:
        return None
    rows = session.exec(
        select(ChangeRow)
        .where(ChangeRow.event_id == event_id)
        .order_by(col(ChangeRow.detected_at), col(ChangeRow.id))
    ).all()
    sources = {
        row.key: row
        for row in session.exec(
            select(SourceRow).where(col(SourceRow.key).in_({r.source_key for r in rows}))
        ).all()
    }
    blobs = _blobs(session, [row.check_id for row in rows])
    log = session.exec(
        select(EventLogRow)
        .where(EventLogRow.event_id == event_id)
        .order_by(col(EventLogRow.at), col(EventLogRow.id))
    ).all()
    split_into = session.exec(select(EventRow).where(EventRow.split_from == event_id)).all()
    return EventDetail(
        event=event,
        changes=[_event_change(row, sources.get(row.source_key), blobs) for row in rows],
        log=list(log),
        split_from=session.get(EventRow, event.split_from) if event.split_from else None,
        split_into=list(split_into),
    )


def _event_change(
    row: ChangeRow, source: SourceRow | None, blobs: dict[int, str | None]
) -> EventChange:
    return EventChange(
        change=row,
        source_title=source.title if source is not None else row.source_key,
        source_url=source.url if source is not None else None,
        blob_hash=blobs.get(row.check_id),
    )


def _blobs(session: Session, check_ids: list[int]) -> dict[int, str | None]:
    if not check_ids:
        return {}
    statement = sa_select(col(CheckRow.id), col(CheckRow.blob_hash)).where(
        col(CheckRow.id).in_(check_ids)
    )
    return {check_id: digest for check_id, digest in session.execute(statement).all()}


def event_of_change(session: Session, change_id: int) -> int | None:
    row = session.get(ChangeRow, change_id)
    return row.event_id if row is not None else None
