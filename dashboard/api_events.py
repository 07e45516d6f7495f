"""The JSON API's events under /api/v1/events: one happening however many sources reported
it, with its changes, why they were grouped, and its audit trail. OpenAPI describes it."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from pydantic import BaseModel

from dashboard.api import ChangeOut, FiltersDep, ReaderDep, change_out, page_links
from dashboard.deps import public_url, read_access
from dashboard.openapi import NOT_FOUND, READ_SECURITY, UNAUTHORIZED
from dashboard.params import WITHOUT_NUL, RowId
from storage.event_browse import EventQuery, assignee_named, states_named
from storage.models import EventRow

router = APIRouter(
    prefix="/api/v1", tags=["events"], dependencies=[Depends(read_access)], responses=UNAUTHORIZED
)

EventState = Literal["new", "in_review", "actioned", "dismissed"]


class EventOut(BaseModel):
    id: int
    title: str
    category: str
    severity: str
    summary: str
    url: str | None
    old_date: date | None
    new_date: date | None
    first_detected_at: datetime
    last_detected_at: datetime
    change_count: int
    source_count: int
    sources: list[str]  # source keys, in the order they first reported it
    state: str
    assignee: str | None
    action_due: date | None
    split_from: int | None
    html_url: str
    api_url: str


class EventList(BaseModel):
    items: list[EventOut]
    total: int
    page: int
    per_page: int
    next: str | None
    prev: str | None


class GroupingOut(BaseModel):
    change_id: int | None
    rule: str  # first | split | hys | celex | eli | act | consultation | url | title | moved
    detail: str


class LogOut(BaseModel):
    at: datetime
    actor: str
    action: str
    detail: dict[str, Any]


class EventDetailOut(EventOut):
    changes: list[ChangeOut]
    grouping: list[GroupingOut]
    log: list[LogOut]


def event_out(request: Request, row: EventRow, sources: list[str]) -> EventOut:
    assert row.id is not None
    return EventOut(
        id=row.id,
        title=row.title,
        category=row.category,
        severity=row.severity,
        summary=row.summary,
        url=row.url,
        old_date=row.old_date,
        new_date=row.new_date,
        first_detected_at=row.first_detected_at,
        last_detected_at=row.last_detected_at,
        change_count=row.change_count,
        source_count=row.source_count,
        sources=sources,
        state=row.state,
        assignee=row.assignee,
        action_due=row.action_due,
        split_from=row.split_from,
        html_url=public_url(request, f"/events/{row.id}"),
        api_url=public_url(request, f"/api/v1/events/{row.id}"),
    )


@router.get(
    "/events",
    response_model=EventList,
    summary="Events (one per happening, however many sources reported it), latest first",
    openapi_extra=READ_SECURITY,
)
def list_events(
    request: Request,
    reader: ReaderDep,
    filters: FiltersDep,
    state: Annotated[EventState | None, Query(description="the triage state")] = None,
    assignee: Annotated[
        str | None,
        Query(
            description="the assigned user; - for events assigned to nobody", pattern=WITHOUT_NUL
        ),
    ] = None,
) -> EventList:
    """The timeline's filters apply (an event matches a source or tag when one of its changes
    comes from it; the dates bound its latest change), and the triage state and assignee."""
    found = reader.events_page(
        EventQuery(changes=filters, states=states_named(state), assignee=assignee_named(assignee))
    )
    following, previous = page_links(request, found.page, found.has_next)
    return EventList(
        items=[event_out(request, row, found.sources.get(row.id or 0, [])) for row in found.rows],
        total=found.total,
        page=found.page,
        per_page=found.per_page,
        next=following,
        prev=previous,
    )


@router.get(
    "/events/{event_id}",
    response_model=EventDetailOut,
    summary="One event with every change, why they were grouped, and its audit trail",
    responses=NOT_FOUND,
    openapi_extra=READ_SECURITY,
)
def get_event(request: Request, event_id: RowId, reader: ReaderDep) -> EventDetailOut:
    detail = reader.event_detail(event_id)
    if detail is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"no event with id {event_id}")
    titles = {one.change.source_key: one.source_title for one in detail.changes}
    sources = list(dict.fromkeys(one.change.source_key for one in detail.changes))
    return EventDetailOut(
        **event_out(request, detail.event, sources).model_dump(),
        changes=[change_out(request, one.change, titles) for one in detail.changes],
        grouping=[
            GroupingOut(
                change_id=entry.get("change_id"),
                rule=str(entry.get("rule", "")),
                detail=str(entry.get("detail", "")),
            )
            for entry in detail.event.grouping
        ],
        log=[
            LogOut(at=row.at, actor=row.actor, action=row.action, detail=row.detail)
            for row in detail.log
        ],
    )
