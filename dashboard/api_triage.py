"""The triage API under /api/v1: events by state and assignee, and the triage writes
(state, assignee, due date, notes) with the audit trail. The actor of a write is the API
token's user (a token bound as user:token in LEXWATCH_DASHBOARD__API_TOKENS), who needs the
editor role; a write names the version it saw and gets 409 when the event changed since."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from pydantic import BaseModel, BeforeValidator, Field, StrictBool

from dashboard.deps import (
    Clock,
    Lexwatch,
    get_app,
    get_clock,
    public_url,
    read_access,
    token_with_role,
)
from dashboard.openapi import (
    ACTION,
    CONFLICT,
    NOT_FOUND,
    READ_SECURITY,
    TOKEN_SECURITY,
    UNAUTHORIZED,
    Problem,
)
from dashboard.params import WITHOUT_NUL, PageNumber, RowId
from dashboard.roles import Actor, Role, assignable
from storage.event_browse import assignee_named, every_event
from storage.models import EventLogRow, EventRow
from storage.triage import MAX_NOTE, MAX_PER_PAGE, STATES, Outcome, Triaged, Write

router = APIRouter(
    prefix="/api/v1", tags=["triage"], dependencies=[Depends(read_access)], responses=UNAUTHORIZED
)

AppDep = Annotated[Lexwatch, Depends(get_app)]
ClockDep = Annotated[Clock, Depends(get_clock)]
EditorDep = Annotated[Actor, Depends(token_with_role(Role.EDITOR, person=True))]
State = Literal["new", "in_review", "actioned", "dismissed"]


def _json_integer(value: object) -> object:
    """A JSON integer (3, or 3.0, which JSON Schema counts as one), not false or "3"."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
        raise ValueError("a version is an integer")
    return value


VersionNumber = Annotated[int, Field(ge=0, le=2**31 - 1), BeforeValidator(_json_integer)]
BAD_BODY: dict[int | str, dict[str, Any]] = {
    400: {"model": Problem, "description": "The body is not JSON"}
}
WRITE = {**ACTION, **CONFLICT, **BAD_BODY}


class TriageEventOut(BaseModel):
    id: int
    title: str
    category: str
    severity: str
    state: str
    assignee: str | None
    action_due: date | None
    version: int
    change_count: int
    source_count: int
    last_detected_at: datetime
    html_url: str


class TriageList(BaseModel):
    items: list[TriageEventOut]
    total: int
    page: int
    per_page: int


class LogEntryOut(BaseModel):
    at: datetime
    actor: str
    action: str
    detail: dict[str, Any]


class StateIn(BaseModel):
    to: State
    noise: StrictBool = Field(
        default=False, description="with to=dismissed: mark the event's changes as noise too"
    )
    version: VersionNumber | None = Field(
        default=None,
        description="the event's version you saw; the write is refused (409) if it changed",
    )


class AssigneeIn(BaseModel):
    assignee: str | None = Field(
        max_length=200, pattern=WITHOUT_NUL, description="a dashboard user; null: nobody"
    )
    version: VersionNumber | None = Field(
        default=None,
        description="the event's version you saw; the write is refused (409) if it changed",
    )


def _iso_text(value: object) -> object:
    """Only a "YYYY-MM-DD" string (or null) is a date here, not a number of seconds."""
    if value is not None and not isinstance(value, str):
        raise ValueError("a date is a string, YYYY-MM-DD")
    return value


class DueIn(BaseModel):
    due: Annotated[date | None, BeforeValidator(_iso_text)] = Field(
        description="the date the team means to act by; null: none"
    )
    version: VersionNumber | None = Field(
        default=None,
        description="the event's version you saw; the write is refused (409) if it changed",
    )


class NoteIn(BaseModel):
    text: str = Field(min_length=1, max_length=MAX_NOTE, pattern=WITHOUT_NUL)
    version: VersionNumber | None = Field(
        default=None,
        description="the event's version you saw; the write is refused (409) if it changed",
    )


def event_out(request: Request, row: EventRow) -> TriageEventOut:
    assert row.id is not None
    return TriageEventOut(
        id=row.id,
        title=row.title,
        category=row.category,
        severity=row.severity,
        state=row.state,
        assignee=row.assignee,
        action_due=row.action_due,
        version=row.version,
        change_count=row.change_count,
        source_count=row.source_count,
        last_detected_at=row.last_detected_at,
        html_url=public_url(request, f"/events/{row.id}"),
    )


def answer(request: Request, result: Triaged) -> TriageEventOut:
    """The event as it now stands, or the refusal as 404 / 409."""
    if result.outcome is Outcome.NOT_FOUND:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=result.message)
    if result.outcome is not Outcome.DONE or result.event is None:
        raise HTTPException(status.HTTP_409_CONFLICT, detail=result.message)
    return event_out(request, result.event)


def _write(clock: Clock, actor: Actor, event_id: int, version: int | None) -> Write:
    return Write(event_id=event_id, actor=actor.name, at=clock(), version=version)


@router.get(
    "/triage",
    response_model=TriageList,
    summary="Events to triage, newest first, by state and assignee",
    openapi_extra=READ_SECURITY,
)
def list_triage(
    request: Request,
    app: AppDep,
    state: Annotated[list[State] | None, Query(description="any of these states")] = None,
    assignee: Annotated[
        str | None,
        Query(max_length=200, pattern=WITHOUT_NUL, description="a user; -: unassigned"),
    ] = None,
    page: PageNumber = 1,
    per_page: Annotated[int, Query(ge=1, le=MAX_PER_PAGE)] = 50,
) -> TriageList:
    query = every_event(
        states=tuple(state or ()), assignee=assignee_named(assignee), page=page, per_page=per_page
    )
    found = app.store.reader.events_page(query)
    return TriageList(
        items=[event_out(request, row) for row in found.rows],
        total=found.total,
        page=found.page,
        per_page=found.per_page,
    )


@router.get(
    "/events/{event_id}/log",
    response_model=list[LogEntryOut],
    summary="An event's audit trail, oldest first",
    responses=NOT_FOUND,
    openapi_extra=READ_SECURITY,
)
def event_log(event_id: RowId, app: AppDep) -> list[LogEntryOut]:
    if app.store.triage.event(event_id) is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"no event with id {event_id}")
    return [log_out(row) for row in app.store.triage.log(event_id)]


def log_out(row: EventLogRow) -> LogEntryOut:
    return LogEntryOut(at=row.at, actor=row.actor, action=row.action, detail=row.detail)


@router.post(
    "/events/{event_id}/state",
    response_model=TriageEventOut,
    summary=f"Move an event through triage ({' | '.join(STATES)}); editors",
    responses=WRITE,
    openapi_extra=TOKEN_SECURITY,
)
def set_state(
    request: Request, event_id: RowId, body: StateIn, app: AppDep, clock: ClockDep, actor: EditorDep
) -> TriageEventOut:
    write = _write(clock, actor, event_id, body.version)
    return answer(request, app.store.triage.transition(write, body.to, noise=body.noise))


@router.post(
    "/events/{event_id}/assignee",
    response_model=TriageEventOut,
    summary="Assign an event to a dashboard user (or to nobody); editors",
    responses=WRITE,
    openapi_extra=TOKEN_SECURITY,
)
def set_assignee(
    request: Request,
    event_id: RowId,
    body: AssigneeIn,
    app: AppDep,
    clock: ClockDep,
    actor: EditorDep,
) -> TriageEventOut:
    users = assignable(app.settings.dashboard)
    if body.assignee is not None and body.assignee not in users:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND,
            detail=f"no dashboard user {body.assignee!r}; users: {', '.join(users)}",
        )
    write = _write(clock, actor, event_id, body.version)
    return answer(request, app.store.triage.assign(write, body.assignee))


@router.post(
    "/events/{event_id}/due",
    response_model=TriageEventOut,
    summary="Set or clear the date the team means to act by; editors",
    responses=WRITE,
    openapi_extra=TOKEN_SECURITY,
)
def set_due(
    request: Request, event_id: RowId, body: DueIn, app: AppDep, clock: ClockDep, actor: EditorDep
) -> TriageEventOut:
    write = _write(clock, actor, event_id, body.version)
    return answer(request, app.store.triage.set_due(write, body.due))


@router.post(
    "/events/{event_id}/notes",
    response_model=TriageEventOut,
    summary="Add a note (Markdown) to an event's audit trail; editors",
    responses=WRITE,
    openapi_extra=TOKEN_SECURITY,
)
def add_note(
    request: Request, event_id: RowId, body: NoteIn, app: AppDep, clock: ClockDep, actor: EditorDep
) -> TriageEventOut:
    write = _write(clock, actor, event_id, body.version)
    return answer(request, app.store.triage.add_note(write, body.text))
