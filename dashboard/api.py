"""The JSON API under /api/v1: changes, sources, snapshots and diffs, deadlines, deliveries,
and token-protected actions (mark noise, redeliver, check now). OpenAPI describes it all."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import date, datetime
from typing import Annotated, Any, Protocol

from fastapi import APIRouter, BackgroundTasks, Depends, HTTPException, Query, Request, status
from pydantic import BaseModel, Field

from dashboard.deps import (
    Clock,
    Lexwatch,
    get_app,
    get_clock,
    get_reader,
    public_url,
    read_access,
    request_actor,
    token_with_role,
)
from dashboard.openapi import (
    ACTION,
    FORBIDDEN,
    NOT_FOUND,
    READ_SECURITY,
    TOKEN_SECURITY,
    UNAUTHORIZED,
)
from dashboard.params import (
    WITHOUT_NUL,
    Moment,
    PageNumber,
    RowId,
    SnapshotId,
    SourceKey,
    lower_bound,
    upper_bound,
)
from dashboard.roles import Actor, Role
from monitor.analysis.diff import diff_documents
from monitor.types import Category, DeliveryStatus, Severity, Source
from storage import browse
from storage.browse import ChangeQuery
from storage.codec import diff_to_dict
from storage.models import ChangeRow, CheckRow, DeadlineRow, DeliveryRow
from storage.reader import Reader

logger = logging.getLogger(__name__)

router = APIRouter(
    prefix="/api/v1", tags=["api"], dependencies=[Depends(read_access)], responses=UNAUTHORIZED
)

ReaderDep = Annotated[Reader, Depends(get_reader)]
AppDep = Annotated[Lexwatch, Depends(get_app)]
ClockDep = Annotated[Clock, Depends(get_clock)]
EditorDep = Annotated[Actor, Depends(token_with_role(Role.EDITOR))]
AdminDep = Annotated[Actor, Depends(token_with_role(Role.ADMIN))]


# -- query parameters shared with the Atom feed ----------------------------------------------


def timeline_filters(
    request: Request,
    source: Annotated[str | None, Query(description="source key", pattern=WITHOUT_NUL)] = None,
    tag: Annotated[
        str | None, Query(description="sources with this tag", pattern=WITHOUT_NUL)
    ] = None,
    category: Annotated[Category | None, Query()] = None,
    severity: Annotated[Severity | None, Query()] = None,
    since: Annotated[
        Moment | None,
        Query(
            description="a date (from its midnight in the dashboard's time zone) or an ISO 8601"
            " time (without an offset: UTC), inclusive"
        ),
    ] = None,
    until: Annotated[
        Moment | None,
        Query(description="a date (its whole day included) or an ISO 8601 time (exclusive)"),
    ] = None,
    q: Annotated[
        str | None, Query(description="text in title or summary", pattern=WITHOUT_NUL)
    ] = None,
    text: Annotated[str | None, Query(description="same as q", pattern=WITHOUT_NUL)] = None,
    include_noise: bool = False,
    noise: Annotated[str | None, Query(description="1: same as include_noise")] = None,
) -> ChangeQuery:
    """The timeline's filters as query parameters (the same for the API, the Atom feed and
    the exports)."""
    zone = get_app(request).settings.dashboard.timezone
    return ChangeQuery(
        source=source or None,
        tag=tag or None,
        category=category.value if category else None,
        severity=severity.value if severity else None,
        since=lower_bound(since, zone),
        until=upper_bound(until, zone),
        text=q or text or None,
        include_noise=include_noise or noise == "1",
    )


def change_filters(
    filters: Annotated[ChangeQuery, Depends(timeline_filters)],
    page: PageNumber = 1,
    per_page: Annotated[int, Query(ge=1, le=browse.MAX_PER_PAGE)] = 50,
) -> ChangeQuery:
    """The timeline's filters and a page of it."""
    return replace(filters, page=page, per_page=per_page)


FiltersDep = Annotated[ChangeQuery, Depends(change_filters)]


# -- response models ----------------------------------------------------------------------------


class ChangeOut(BaseModel):
    id: int
    source: str
    source_title: str | None
    item_key: str
    category: str
    severity: str
    title: str
    summary: str
    url: str | None
    old_date: date | None
    new_date: date | None
    evidence: list[str]
    detected_at: datetime
    event_key: str | None
    related_to: int | None
    event_id: int | None  # the event it reports (/api/v1/events/{id})
    marked_noise_at: datetime | None
    html_url: str
    api_url: str


class ChangeList(BaseModel):
    items: list[ChangeOut]
    total: int
    total_capped: bool = Field(
        default=False,
        description="more changes match than were counted: total is a lower"
        " bound (counting stops 2,000 changes past this page)",
    )
    page: int
    per_page: int
    next: str | None
    prev: str | None


class CheckOut(BaseModel):
    id: int
    started_at: datetime
    duration_ms: int
    outcome: str
    http_status: int | None
    bytes: int
    final_url: str | None
    error: str | None
    raw_evidence_hash: str | None
    snapshot_id: int | None
    change_count: int


class DeliveryOut(BaseModel):
    id: int
    subscription: str
    channel: str
    mode: str
    kind: str
    change_id: int | None
    source: str
    item_key: str | None
    status: str
    attempts: int
    created_at: datetime
    next_attempt_at: datetime | None
    sent_at: datetime | None
    last_error: str | None
    remote_id: str | None


class ChangeDetailOut(ChangeOut):
    diff: dict[str, Any]
    old_snapshot_id: int | None
    new_snapshot_id: int | None
    check: CheckOut | None
    related: list[ChangeOut]
    deliveries: list[DeliveryOut] | None  # None when the caller may not see the outbox


class SourceOut(BaseModel):
    key: str
    title: str
    url: str
    parser: str
    interval_seconds: int
    tags: list[str]
    official: bool
    enabled: bool
    health: str
    health_reason: str
    last_outcome: str | None
    recent_outcomes: list[str]
    failure_streak: int
    last_error: str | None
    last_check_at: datetime | None
    last_success_at: datetime | None
    last_change_at: datetime | None
    next_due: datetime | None
    expected_change_seconds: int | None
    last_change_id: int | None
    api_url: str


class SourceDetailOut(SourceOut):
    recent_checks: list[CheckOut]


class SnapshotOut(BaseModel):
    id: int
    source: str
    created_at: datetime
    item_count: int
    content_hash: str


class DiffOut(BaseModel):
    source: str
    old: SnapshotOut
    new: SnapshotOut
    items: list[dict[str, Any]]


class DeadlineOut(BaseModel):
    id: int
    source: str
    item_key: str
    kind: str
    label: str
    url: str | None
    due: datetime
    status: str
    first_seen: datetime
    last_seen: datetime
    history: list[dict[str, str]]


class DeliveryList(BaseModel):
    items: list[DeliveryOut]
    total: int
    page: int
    per_page: int
    next: str | None
    prev: str | None


class Accepted(BaseModel):
    status: str
    source: str
    detail: str


class Redelivered(BaseModel):
    change_id: int
    queued: int


# -- converters ---------------------------------------------------------------------------------


def change_out(request: Request, row: ChangeRow, titles: dict[str, str]) -> ChangeOut:
    assert row.id is not None
    return ChangeOut(
        id=row.id,
        source=row.source_key,
        source_title=titles.get(row.source_key),
        item_key=row.item_key,
        category=row.category,
        severity=row.severity,
        title=row.title,
        summary=row.summary,
        url=row.url,
        old_date=row.old_date,
        new_date=row.new_date,
        evidence=row.evidence,
        detected_at=row.detected_at,
        event_key=row.event_key,
        related_to=row.related_to,
        event_id=row.event_id,
        marked_noise_at=row.marked_noise_at,
        html_url=public_url(request, f"/changes/{row.id}"),
        api_url=public_url(request, f"/api/v1/changes/{row.id}"),
    )


def check_out(row: CheckRow) -> CheckOut:
    assert row.id is not None
    return CheckOut(
        id=row.id,
        started_at=row.started_at,
        duration_ms=row.duration_ms,
        outcome=row.outcome,
        http_status=row.http_status,
        bytes=row.bytes,
        final_url=row.final_url,
        error=row.error,
        raw_evidence_hash=row.blob_hash,
        snapshot_id=row.snapshot_id,
        change_count=row.change_count,
    )


def delivery_out(row: DeliveryRow) -> DeliveryOut:
    assert row.id is not None
    return DeliveryOut(
        id=row.id,
        subscription=row.subscription,
        channel=row.channel,
        mode=row.mode,
        kind=row.kind,
        change_id=row.change_id,
        source=row.source_key,
        item_key=row.item_key,
        status=row.status,
        attempts=row.attempts,
        created_at=row.created_at,
        next_attempt_at=row.next_attempt_at,
        sent_at=row.sent_at,
        last_error=row.last_error,
        remote_id=row.remote_id,
    )


def source_out(request: Request, health: browse.SourceHealth) -> dict[str, Any]:
    row = health.source
    return dict(
        key=row.key,
        title=row.title,
        url=row.url,
        parser=row.parser,
        interval_seconds=row.interval_seconds,
        tags=row.tags,
        official=row.official,
        enabled=row.enabled,
        health=health.health.value,
        health_reason=health.reason,
        last_outcome=health.last_outcome,
        recent_outcomes=health.recent_outcomes,
        failure_streak=row.failure_streak,
        last_error=row.last_error,
        last_check_at=row.last_check_at,
        last_success_at=row.last_success_at,
        last_change_at=row.last_change_at,
        next_due=health.next_due,
        expected_change_seconds=row.expected_change_seconds,
        last_change_id=health.last_change.id if health.last_change else None,
        api_url=public_url(request, f"/api/v1/sources/{row.key}"),
    )


def snapshot_out(info: browse.SnapshotInfo) -> SnapshotOut:
    return SnapshotOut(
        id=info.id,
        source=info.source_key,
        created_at=info.created_at,
        item_count=info.item_count,
        content_hash=info.content_hash,
    )


def deadline_out(row: DeadlineRow) -> DeadlineOut:
    assert row.id is not None
    return DeadlineOut(
        id=row.id,
        source=row.source_key,
        item_key=row.item_key,
        kind=row.kind,
        label=row.label,
        url=row.url,
        due=row.due,
        status=row.status,
        first_seen=row.first_seen,
        last_seen=row.last_seen,
        history=row.history,
    )


def page_links(request: Request, page: int, has_next: bool) -> tuple[str | None, str | None]:
    """Absolute next/previous links: the same query with another page number."""
    url = request.url
    following = str(url.include_query_params(page=page + 1)) if has_next else None
    previous = str(url.include_query_params(page=page - 1)) if page > 1 else None
    return following, previous


def _not_found(what: str) -> HTTPException:
    return HTTPException(status.HTTP_404_NOT_FOUND, detail=f"no {what}")


def may_see_deliveries(request: Request) -> bool:
    """The outbox names subscriptions and addresses: admins only (user or token)."""
    actor = request_actor(request)
    return actor is not None and actor.role >= Role.ADMIN


# -- reading ------------------------------------------------------------------------------------


@router.get(
    "/changes",
    response_model=ChangeList,
    summary="Changes, newest first",
    openapi_extra=READ_SECURITY,
)
def list_changes(request: Request, reader: ReaderDep, filters: FiltersDep) -> ChangeList:
    found = reader.changes_page(filters)
    following, previous = page_links(request, found.page, found.has_next)
    return ChangeList(
        items=[change_out(request, row, found.source_titles) for row in found.rows],
        total=found.total,
        total_capped=found.capped,
        page=found.page,
        per_page=found.per_page,
        next=following,
        prev=previous,
    )


@router.get(
    "/changes/{change_id}",
    response_model=ChangeDetailOut,
    summary="One change with its diff, evidence, check, related changes and deliveries",
    responses=NOT_FOUND,
    openapi_extra=READ_SECURITY,
)
def get_change(request: Request, change_id: RowId, reader: ReaderDep) -> ChangeDetailOut:
    detail = reader.change_detail(change_id)
    if detail is None:
        raise _not_found(f"change with id {change_id}")
    row = detail.change
    titles = {detail.source.key: detail.source.title} if detail.source else {}
    titles |= reader.source_titles({other.source_key for other in detail.related})
    deliveries = (
        [delivery_out(d) for d in detail.deliveries] if may_see_deliveries(request) else None
    )
    return ChangeDetailOut(
        **change_out(request, row, titles).model_dump(),
        diff=row.diff,
        old_snapshot_id=row.old_snapshot_id,
        new_snapshot_id=row.new_snapshot_id,
        check=check_out(detail.check) if detail.check else None,
        related=[change_out(request, other, titles) for other in detail.related],
        deliveries=deliveries,
    )


@router.get(
    "/sources",
    response_model=list[SourceOut],
    summary="Every source with its health",
    openapi_extra=READ_SECURITY,
)
def list_sources(request: Request, reader: ReaderDep, clock: ClockDep) -> list[SourceOut]:
    return [SourceOut(**source_out(request, health)) for health in reader.source_health(clock())]


@router.get(
    "/sources/{key}",
    response_model=SourceDetailOut,
    summary="One source with its health and its last 50 checks",
    responses=NOT_FOUND,
    openapi_extra=READ_SECURITY,
)
def get_source(
    request: Request, key: SourceKey, reader: ReaderDep, clock: ClockDep
) -> SourceDetailOut:
    found = reader.source_health(clock(), key)
    if not found:
        raise _not_found(f"source {key!r}")
    checks = [check_out(row) for row in reader.recent_checks(key)]
    return SourceDetailOut(**source_out(request, found[0]), recent_checks=checks)


@router.get(
    "/sources/{key}/snapshots",
    response_model=list[SnapshotOut],
    summary="A source's stored snapshots, newest first",
    responses=NOT_FOUND,
    openapi_extra=READ_SECURITY,
)
def list_snapshots(
    key: SourceKey, reader: ReaderDep, limit: Annotated[int, Query(ge=1, le=500)] = 50
) -> list[SnapshotOut]:
    if reader.source_row(key) is None:
        raise _not_found(f"source {key!r}")
    return [snapshot_out(info) for info in reader.source_snapshots(key, limit)]


@router.get(
    "/diff",
    response_model=DiffOut,
    summary="What changed between two snapshots",
    responses=NOT_FOUND,
    openapi_extra=READ_SECURITY,
)
def diff_snapshots(reader: ReaderDep, source: str, old: SnapshotId, new: SnapshotId) -> DiffOut:
    infos = [reader.snapshot_info(snapshot_id) for snapshot_id in (old, new)]
    for snapshot_id, info in zip((old, new), infos, strict=True):
        if info is None or info.source_key != source:
            raise _not_found(f"snapshot {snapshot_id} of source {source!r}")
    before, after = reader.document(old), reader.document(new)
    items = [diff_to_dict(diff) for diff in diff_documents(before, after)]
    old_info, new_info = infos
    assert old_info is not None and new_info is not None
    return DiffOut(
        source=source, old=snapshot_out(old_info), new=snapshot_out(new_info), items=items
    )


@router.get(
    "/deadlines",
    response_model=list[DeadlineOut],
    summary="Deadlines by due date (by default the open ones from now on)",
    openapi_extra=READ_SECURITY,
)
def list_deadlines(
    request: Request,
    reader: ReaderDep,
    clock: ClockDep,
    start: Annotated[
        Moment | None,
        Query(alias="from", description="a date or an ISO 8601 time, inclusive (default: now)"),
    ] = None,
    end: Annotated[
        Moment | None,
        Query(alias="to", description="a date (its whole day included) or an ISO 8601 time"),
    ] = None,
    include_closed: bool = False,
) -> list[DeadlineOut]:
    zone = get_app(request).settings.dashboard.timezone
    first = lower_bound(start, zone) if start is not None else clock()
    last = upper_bound(end, zone)
    rows = reader.deadlines_between(first, last, include_closed)
    return [deadline_out(row) for row in rows]


@router.get(
    "/deliveries",
    response_model=DeliveryList,
    summary="The outbox, newest first (admins only: a login or an API token)",
    responses=FORBIDDEN,
    openapi_extra=TOKEN_SECURITY,
)
def list_deliveries(
    request: Request,
    reader: ReaderDep,
    delivery_status: Annotated[DeliveryStatus | None, Query(alias="status")] = None,
    page: PageNumber = 1,
    per_page: Annotated[int, Query(ge=1, le=browse.MAX_PER_PAGE)] = 50,
) -> DeliveryList:
    if not may_see_deliveries(request):
        # Raises with the reason (no token, bad token, none set up, not an admin).
        token_with_role(Role.ADMIN)(request)
    found = reader.deliveries_page(
        delivery_status.value if delivery_status else None, page, per_page
    )
    following, previous = page_links(request, found.page, found.page * found.per_page < found.total)
    return DeliveryList(
        items=[delivery_out(row) for row in found.rows],
        total=found.total,
        page=found.page,
        per_page=found.per_page,
        next=following,
        prev=previous,
    )


# -- actions (API token) -----------------------------------------------------------------------


@router.post(
    "/changes/{change_id}/noise",
    response_model=ChangeOut,
    summary="Mark a change as noise: kept, hidden, never alerted",
    responses=ACTION,
    openapi_extra=TOKEN_SECURITY,
)
def mark_noise(
    request: Request, change_id: RowId, app: AppDep, clock: ClockDep, _actor: EditorDep
) -> ChangeOut:
    row = app.store.mark_noise(change_id, clock())
    if row is None:
        raise _not_found(f"change with id {change_id}")
    return change_out(request, row, {})


@router.post(
    "/changes/{change_id}/redeliver",
    response_model=Redelivered,
    summary="Send a change again to every subscription that had it",
    responses=ACTION,
    openapi_extra=TOKEN_SECURITY,
)
def redeliver(change_id: RowId, app: AppDep, clock: ClockDep, _actor: AdminDep) -> Redelivered:
    if app.store.change(change_id) is None:
        raise _not_found(f"change with id {change_id}")
    queued = app.store.redeliver(change_id, clock())
    return Redelivered(change_id=change_id, queued=queued)


class SourceChecker(Protocol):
    async def check(self, source: Source, *, dry_run: bool = False) -> object: ...


@router.post(
    "/sources/{key}/check",
    response_model=Accepted,
    status_code=status.HTTP_202_ACCEPTED,
    summary="Check a source now (in background)",
    responses=ACTION,
    openapi_extra=TOKEN_SECURITY,
)
def check_now(
    request: Request, key: SourceKey, app: AppDep, tasks: BackgroundTasks, _actor: EditorDep
) -> Accepted:
    source = app.sources.get(key)
    if source is None:
        raise _not_found(f"source {key!r} in the configuration")
    checker: SourceChecker | None = getattr(request.app.state, "checker", None)
    tasks.add_task(run_check, app, checker, source)
    return Accepted(
        status="accepted",
        source=key,
        detail=f"the check runs now; its result appears under /api/v1/sources/{key}",
    )


async def run_check(app: Lexwatch, checker: SourceChecker | None, source: Source) -> None:
    """Check one source; failures are logged, as the client has already had its answer."""
    try:
        if checker is not None:
            await checker.check(source)
            return
        async with app.checker() as opened:
            await opened.check(source)
    except Exception:
        logger.exception("check-now of source %s failed", source.key)
