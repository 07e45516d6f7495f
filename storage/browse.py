"""Read queries for the dashboard, the JSON API, the feeds and /metrics (``storage.reader``).

Every function takes a Session and plain values and only reads. Filters that would need a
JSON query (a source's tags) are resolved to source keys first, so the change queries stay
plain indexed comparisons on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, literal, or_, text
from sqlalchemy import select as sa_select
from sqlalchemy.orm import aliased, defer
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, select

from monitor.types import Category
from storage.health import Health
from storage.health import source_health as health_of
from storage.models import (
    BlobRow,
    ChangeRow,
    CheckRow,
    DeadlineRow,
    DeliveryRow,
    MuteRow,
    SnapshotRow,
    SourceRow,
)
from storage.types import UtcDateTime

MAX_PER_PAGE = 200
# Far beyond any real history, and (page - 1) * per_page stays a 64-bit OFFSET: SQLite raises
# OverflowError past that.
MAX_PAGE = 1_000_000
# Never alerted (the registry, monitor.types.CATEGORIES): shown only when asked for.
HIDDEN_CATEGORIES = tuple(c.value for c in Category if not c.alertable)
SPARKLINE = 30  # recent check outcomes per source
_EPOCH = literal(datetime(1970, 1, 1, tzinfo=UTC), UtcDateTime())


@dataclass(frozen=True, kw_only=True, slots=True)
class ChangeQuery:
    """Timeline filters. ``since`` is inclusive, ``until`` exclusive; ``text`` matches title or
    summary, case-insensitively. By default changes marked as noise and the ``noise`` and
    ``editorial`` categories are hidden: asking for one of those categories, or
    ``include_noise``, shows them. ``page`` counts from 1 (up to MAX_PAGE); ``per_page`` is
    capped at 200."""

    source: str | None = None
    tag: str | None = None
    category: str | None = None
    severity: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    text: str | None = None
    include_noise: bool = False
    page: int = 1
    per_page: int = 50

    def __post_init__(self) -> None:
        object.__setattr__(self, "page", min(MAX_PAGE, max(1, self.page)))
        object.__setattr__(self, "per_page", min(MAX_PER_PAGE, max(1, self.per_page)))


@dataclass(frozen=True, kw_only=True, slots=True)
class ChangePage:
    rows: list[ChangeRow]
    total: int
    page: int
    per_page: int
    source_titles: dict[str, str] = field(default_factory=dict)
    capped: bool = False  # more match than were counted: ``total`` is a lower bound

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_next(self) -> bool:
        return self.page < self.pages or self.capped

    @property
    def has_prev(self) -> bool:
        return self.page > 1


@dataclass(frozen=True, kw_only=True, slots=True)
class ChangeDetail:
    change: ChangeRow
    source: SourceRow | None
    related: list[ChangeRow]  # the other changes about the same event, oldest first
    check: CheckRow | None  # blob_hash is the raw evidence; http_status, final_url
    deliveries: list[DeliveryRow]


@dataclass(frozen=True, kw_only=True, slots=True)
class SourceHealth:
    source: SourceRow
    health: Health
    reason: str
    last_outcome: str | None
    last_change: ChangeRow | None
    failure_streak: int
    next_due: datetime | None
    expected_period: timedelta | None
    recent_outcomes: list[str]  # oldest first, at most 30


@dataclass(frozen=True, kw_only=True, slots=True)
class SnapshotInfo:
    id: int
    source_key: str
    created_at: datetime
    item_count: int
    content_hash: str


@dataclass(frozen=True, kw_only=True, slots=True)
class DeliveryPage:
    rows: list[DeliveryRow]
    total: int
    page: int
    per_page: int


@dataclass(frozen=True, kw_only=True, slots=True)
class FilterOptions:
    sources: list[tuple[str, str]]  # (key, title) by key
    tags: list[str]
    categories: list[str]  # the whole taxonomy, in its order


@dataclass(frozen=True, kw_only=True, slots=True)
class DashboardCounts:
    changes_by_category: dict[str, int]
    sources: list[SourceHealth]
    deliveries_by_status: dict[str, int]
    checks_last_24h: dict[str, int]


# -- the timeline -----------------------------------------------------------------------------


def changes_page(session: Session, q: ChangeQuery, *, count: bool = True) -> ChangePage:
    """One page of changes, newest first (detected_at, then id), and how many match in all.

    ``count=False`` skips counting (feeds need no total): ``total`` is then the rows found.
    """
    conditions = _change_conditions(session, q)
    if conditions is None:
        return ChangePage(rows=[], total=0, page=q.page, per_page=q.per_page)
    statement = (
        select(ChangeRow)
        .where(*conditions)
        .order_by(col(ChangeRow.detected_at).desc(), col(ChangeRow.id).desc())
        .offset((q.page - 1) * q.per_page)
        .limit(q.per_page)
    )
    rows = list(session.exec(statement).all())
    seen = (q.page - 1) * q.per_page + len(rows)
    # A short page is the last one: what precedes it plus its rows is the total.
    last_page = len(rows) < q.per_page and (bool(rows) or q.page == 1)
    total, capped = (seen, False) if not count or last_page else _count(session, conditions, q)
    return ChangePage(
        rows=rows,
        total=total,
        page=q.page,
        per_page=q.per_page,
        capped=capped,
        source_titles=source_titles(session, {row.source_key for row in rows}),
    )


# Counting every match of 100,000 changes costs more than the page itself: count up to this
# many beyond the current page, and say "2,000+" when there are more.
COUNT_AHEAD = 2000


def _count(
    session: Session, conditions: list[ColumnElement[bool]], q: ChangeQuery
) -> tuple[int, bool]:
    cap = (q.page - 1) * q.per_page + max(COUNT_AHEAD, q.per_page)
    matching = select(ChangeRow.id).where(*conditions).limit(cap + 1).subquery()
    counted = int(session.exec(select(func.count()).select_from(matching)).one())
    return (cap, True) if counted > cap else (counted, False)


def _change_conditions(session: Session, q: ChangeQuery) -> list[ColumnElement[bool]] | None:
    """The WHERE clauses for ``q``; None when nothing can match (an unknown tag)."""
    conditions: list[ColumnElement[bool]] = []
    if q.tag:
        keys = _keys_tagged(session, q.tag)
        if q.source:
            keys = [key for key in keys if key == q.source]
        if not keys:
            return None
        conditions.append(col(ChangeRow.source_key).in_(keys))
    elif q.source:
        conditions.append(col(ChangeRow.source_key) == q.source)
    if q.category:
        conditions.append(col(ChangeRow.category) == q.category)
    elif not q.include_noise:
        conditions.append(col(ChangeRow.category).not_in(HIDDEN_CATEGORIES))
    if not q.include_noise:
        conditions.append(col(ChangeRow.marked_noise_at).is_(None))
    if q.severity:
        conditions.append(col(ChangeRow.severity) == q.severity)
    if q.since:
        conditions.append(col(ChangeRow.detected_at) >= q.since)
    if q.until:
        conditions.append(col(ChangeRow.detected_at) < q.until)
    if q.text and q.text.strip():
        conditions.append(_text_matches(q.text.strip(), session.get_bind().dialect.name))
    return conditions


def _text_matches(needle: str, dialect: str) -> ColumnElement[bool]:
    """Case-insensitive substring match: ILIKE on PostgreSQL; on SQLite plain LIKE, which
    already ignores case (ASCII only, as its lower() would), without a lower() per row."""
    columns = (col(ChangeRow.title), col(ChangeRow.summary))
    if dialect == "postgresql":
        return or_(*(column.icontains(needle, autoescape=True) for column in columns))
    return or_(*(column.contains(needle, autoescape=True) for column in columns))


def _keys_tagged(session: Session, tag: str) -> list[str]:
    rows = session.exec(select(SourceRow.key, SourceRow.tags)).all()
    return sorted(key for key, tags in rows if tag in (tags or []))


def source_titles(session: Session, keys: set[str]) -> dict[str, str]:
    if not keys:
        return {}
    statement = select(SourceRow.key, SourceRow.title).where(col(SourceRow.key).in_(keys))
    return {key: title for key, title in session.exec(statement).all()}


def filter_options(session: Session) -> FilterOptions:
    """What the timeline's filter menus offer."""
    rows = session.exec(
        select(SourceRow.key, SourceRow.title, SourceRow.tags).order_by(SourceRow.key)
    ).all()
    return FilterOptions(
        sources=[(key, title) for key, title, _ in rows],
        tags=sorted({tag for _, _, tags in rows for tag in tags or []}),
        categories=[category.value for category in Category],
    )


# -- one change ---------------------------------------------------------------------------------


def change_detail(session: Session, change_id: int) -> ChangeDetail | None:
    """A change with its source, the related changes, its check and its deliveries."""
    change = session.get(ChangeRow, change_id)
    if change is None:
        return None
    check = session.get(CheckRow, change.check_id)
    deliveries = session.exec(
        select(DeliveryRow).where(DeliveryRow.change_id == change_id).order_by(col(DeliveryRow.id))
    ).all()
    return ChangeDetail(
        change=change,
        source=session.get(SourceRow, change.source_key),
        related=_related(session, change),
        check=check,
        deliveries=list(deliveries),
    )


def _related(session: Session, change: ChangeRow) -> list[ChangeRow]:
    # Related changes always share the event key, which is indexed; related_to is not.
    if not change.event_key:
        return []
    group = change.related_to or change.id
    statement = (
        select(ChangeRow)
        .where(
            ChangeRow.event_key == change.event_key,
            or_(col(ChangeRow.id) == group, col(ChangeRow.related_to) == group),
            col(ChangeRow.id) != change.id,
        )
        .order_by(col(ChangeRow.detected_at), col(ChangeRow.id))
    )
    return list(session.exec(statement).all())


def is_muted(session: Session, source_key: str, item_key: str) -> bool:
    """Whether the item's changes are muted (kept, never alerted)."""
    return session.get(MuteRow, (source_key, item_key)) is not None


def blob_content_type(session: Session, digest: str) -> str | None:
    """The content type a stored raw response was served with (None: no such blob)."""
    row = session.get(BlobRow, digest)
    return row.content_type if row is not None else None


# -- sources ----------------------------------------------------------------------------------


def source_row(session: Session, key: str) -> SourceRow | None:
    return session.get(SourceRow, key)


def recent_checks(session: Session, key: str, limit: int = 50) -> list[CheckRow]:
    statement = (
        select(CheckRow)
        .where(CheckRow.source_key == key)
        .order_by(col(CheckRow.started_at).desc(), col(CheckRow.id).desc())
        .limit(limit)
    )
    return list(session.exec(statement).all())


def source_health(session: Session, now: datetime, key: str | None = None) -> list[SourceHealth]:
    """Every source (or the one named) with its health, by key: three queries in all."""
    statement = select(SourceRow).order_by(SourceRow.key)
    if key is not None:
        statement = statement.where(SourceRow.key == key)
    sources = list(session.exec(statement).all())
    if not sources:
        return []
    outcomes = _recent_outcomes(session, sources)
    last_changes = _last_changes(session, [row.key for row in sources])
    return [
        _health(row, now, outcomes.get(row.key, []), last_changes.get(row.key)) for row in sources
    ]


def _health(
    row: SourceRow, now: datetime, outcomes: list[str], last_change: ChangeRow | None
) -> SourceHealth:
    verdict = health_of(
        enabled=row.enabled,
        failure_streak=row.failure_streak,
        last_error=row.last_error,
        first_success_at=row.first_success_at,
        last_change_at=row.last_change_at,
        expected_change=row.expected_change_seconds,
        now=now,
    )
    next_due = (
        row.last_check_at + timedelta(seconds=row.interval_seconds)
        if row.last_check_at and row.enabled
        else None
    )
    expected = (
        timedelta(seconds=row.expected_change_seconds) if row.expected_change_seconds else None
    )
    return SourceHealth(
        source=row,
        health=verdict.status,
        reason=verdict.reason,
        last_outcome=outcomes[-1] if outcomes else None,
        last_change=last_change,
        failure_streak=row.failure_streak,
        next_due=next_due,
        expected_period=expected,
        recent_outcomes=outcomes,
    )


def _recent_outcomes(session: Session, sources: Sequence[SourceRow]) -> dict[str, list[str]]:
    """The last 30 outcomes of each source, oldest first, in one query.

    First the start time of each source's 30th newest check (an index walk per source),
    materialised so PostgreSQL does not redo it per check; then the checks from there on.
    """
    newer = aliased(CheckRow)
    boundary = (
        sa_select(col(newer.started_at))
        .where(col(newer.source_key) == col(SourceRow.key))
        .order_by(col(newer.started_at).desc())
        .offset(SPARKLINE - 1)
        .limit(1)
        .scalar_subquery()
    )
    bounds = (
        sa_select(col(SourceRow.key).label("key"), boundary.label("since"))
        .where(col(SourceRow.key).in_([row.key for row in sources]))
        .cte("bounds")
        .prefix_with("MATERIALIZED")
    )
    statement = (
        sa_select(col(CheckRow.source_key), col(CheckRow.outcome))
        .join_from(
            bounds,
            CheckRow,
            and_(
                col(CheckRow.source_key) == bounds.c.key,
                col(CheckRow.started_at) >= func.coalesce(bounds.c.since, _EPOCH),
            ),
        )
        .order_by(col(CheckRow.source_key), col(CheckRow.started_at), col(CheckRow.id))
    )
    outcomes: dict[str, list[str]] = defaultdict(list)
    for source_key, outcome in session.execute(statement).all():
        outcomes[source_key].append(outcome)
    # Checks that started at the same instant as the 30th can add a few: keep the newest 30.
    return {key: values[-SPARKLINE:] for key, values in outcomes.items()}


def _last_changes(session: Session, keys: list[str]) -> dict[str, ChangeRow]:
    """Each source's newest change: one index lookup per source, not a scan of all changes.
    Its diff and evidence are not loaded (the health views show title, category, time)."""
    newer = aliased(ChangeRow)
    newest = (
        sa_select(col(newer.id))
        .where(col(newer.source_key) == col(SourceRow.key))
        .order_by(col(newer.detected_at).desc(), col(newer.id).desc())
        .limit(1)
        .scalar_subquery()
    )
    ids = sa_select(newest).where(col(SourceRow.key).in_(keys))
    statement = (
        select(ChangeRow)
        .where(col(ChangeRow.id).in_(ids))
        .options(defer(ChangeRow.diff), defer(ChangeRow.evidence))  # type: ignore[arg-type]
    )
    return {row.source_key: row for row in session.exec(statement).all()}


_SNAPSHOT_COLUMNS = (
    col(SnapshotRow.id),
    col(SnapshotRow.source_key),
    col(SnapshotRow.created_at),
    col(SnapshotRow.item_count),
    col(SnapshotRow.content_hash),
)


def source_snapshots(session: Session, key: str, limit: int = 50) -> list[SnapshotInfo]:
    """A source's stored snapshots, newest first, without their (large) data."""
    statement = (
        sa_select(*_SNAPSHOT_COLUMNS)
        .where(col(SnapshotRow.source_key) == key)
        .order_by(col(SnapshotRow.created_at).desc(), col(SnapshotRow.id).desc())
        .limit(limit)
    )
    return [_snapshot_info(row) for row in session.execute(statement).all()]


def snapshot_info(session: Session, snapshot_id: int) -> SnapshotInfo | None:
    statement = sa_select(*_SNAPSHOT_COLUMNS).where(col(SnapshotRow.id) == snapshot_id)
    row = session.execute(statement).first()
    return None if row is None else _snapshot_info(row)


def _snapshot_info(row: Any) -> SnapshotInfo:
    snapshot_id, source_key, created_at, item_count, content_hash = row
    return SnapshotInfo(
        id=snapshot_id,
        source_key=source_key,
        created_at=created_at,
        item_count=item_count,
        content_hash=content_hash,
    )


# -- trends, deadlines, deliveries --------------------------------------------------------------


def weekly_counts(session: Session, since: datetime) -> list[tuple[date, str, int]]:
    """(Monday of the week in UTC, category, changes) for changes detected since ``since``,
    marked noise excluded; weeks oldest first, categories by name."""
    statement = select(ChangeRow.detected_at, ChangeRow.category).where(
        col(ChangeRow.detected_at) >= since, col(ChangeRow.marked_noise_at).is_(None)
    )
    counts: Counter[tuple[date, str]] = Counter()
    for detected_at, category in session.exec(statement).all():
        day = detected_at.date()
        counts[(day - timedelta(days=day.weekday()), category)] += 1
    return [(week, category, n) for (week, category), n in sorted(counts.items())]


def deadlines_between(
    session: Session, start: datetime | None, end: datetime | None, include_closed: bool = False
) -> list[DeadlineRow]:
    """Deadlines due in [start, end), soonest first; open ones only unless asked."""
    statement = select(DeadlineRow)
    if start is not None:
        statement = statement.where(col(DeadlineRow.due) >= start)
    if end is not None:
        statement = statement.where(col(DeadlineRow.due) < end)
    if not include_closed:
        statement = statement.where(DeadlineRow.status == "open")
    return list(session.exec(statement.order_by(col(DeadlineRow.due), col(DeadlineRow.id))).all())


def deliveries_page(
    session: Session, status: str | None, page: int = 1, per_page: int = 50
) -> DeliveryPage:
    """Outbox rows newest first, optionally of one status."""
    page, per_page = min(MAX_PAGE, max(1, page)), min(MAX_PER_PAGE, max(1, per_page))
    conditions = [col(DeliveryRow.status) == status] if status else []
    total = session.exec(select(func.count()).select_from(DeliveryRow).where(*conditions)).one()
    statement = (
        select(DeliveryRow)
        .where(*conditions)
        .order_by(col(DeliveryRow.id).desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    )
    return DeliveryPage(
        rows=list(session.exec(statement).all()), total=total, page=page, per_page=per_page
    )


def dashboard_counts(session: Session, now: datetime) -> DashboardCounts:
    """The numbers /metrics exports, read at scrape time."""
    by_category = session.exec(
        select(ChangeRow.category, func.count()).group_by(col(ChangeRow.category))
    ).all()
    by_status = session.exec(
        select(DeliveryRow.status, func.count()).group_by(col(DeliveryRow.status))
    ).all()
    checks = session.exec(
        select(CheckRow.outcome, func.count())
        .where(col(CheckRow.started_at) >= now - timedelta(hours=24))
        .group_by(col(CheckRow.outcome))
    ).all()
    return DashboardCounts(
        changes_by_category=dict(by_category),
        sources=source_health(session, now),
        deliveries_by_status=dict(by_status),
        checks_last_24h=dict(checks),
    )


def database_ok(session: Session) -> bool:
    """True when the database answers a trivial query."""
    return session.execute(text("SELECT 1")).scalar() == 1
