"""One event: every change that reports it, from every source, with its evidence and why
they were grouped; the audit trail; and the split of a change into an event of its own."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from starlette.responses import Response

from dashboard.pages_common import (
    flash,
    lexwatch,
    now,
    redirect,
    render,
    require_actor,
    require_reader,
)
from dashboard.params import RowId
from storage.event_browse import EventDetail
from storage.grouping import RULES

router = APIRouter()


def _detail(request: Request, event_id: int) -> EventDetail:
    found = lexwatch(request).store.reader.event_detail(event_id)
    if found is None:
        raise HTTPException(status_code=404, detail=f"no event with id {event_id}")
    return found


@router.get("/events/{event_id}", include_in_schema=False)
def event_page(request: Request, event_id: RowId) -> Response:
    require_reader(request)
    detail = _detail(request, event_id)
    context = {"detail": detail, "event": detail.event, "rules": RULES}
    return render(request, "event.html", context, title=detail.event.title)


@router.post("/events/{event_id}/split", include_in_schema=False)
def split_change(
    request: Request,
    event_id: RowId,
    change_id: Annotated[int, Form(ge=1)],
    csrf_token: Annotated[str | None, Form()] = None,
) -> Response:
    """Take one change out of this event into a new event of its own (an editor's undo)."""
    actor = require_actor(request, csrf_token)
    detail = _detail(request, event_id)
    if change_id not in {one.change.id for one in detail.changes}:
        raise HTTPException(status_code=404, detail=f"event {event_id} has no change {change_id}")
    try:
        new = lexwatch(request).store.split_change(change_id, actor, now(request))
    except ValueError as exc:
        raise HTTPException(status_code=409, detail=str(exc)) from exc
    flash(request, f"Change {change_id} is now event {new.id} of its own (split by {actor}).")
    return redirect(f"/events/{new.id}")
