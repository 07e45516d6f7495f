"""Triage pages: the events list with filters and bulk actions (/triage), "my queue"
(/queue), and the triage panel of the event page (templates/event_triage.html) with its
forms (POST /events/{id}/triage/...). Editors act; viewers read. Every form carries the
CSRF token and the event's version: a write over someone else's is refused with a message.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Query, Request
from starlette.responses import Response

from dashboard import roles
from dashboard.markdown import render_markdown
from dashboard.pages_common import (
    flash,
    lexwatch,
    now,
    redirect,
    render,
    require_actor,
    require_reader,
    require_viewer_login,
    safe_next,
    templates,
)
from dashboard.params import PageNumber, RowId
from monitor.analysis.feedback import propose_rule
from storage.event_browse import NOBODY_NAME, assignee_named, every_event, states_named
from storage.models import EventLogRow, EventRow
from storage.triage import STATES, TRANSITIONS, Outcome, Triaged, Write

router = APIRouter()

STATE_LABELS = {
    "new": "New",
    "in_review": "In review",
    "actioned": "Actioned",
    "dismissed": "Dismissed",
}
UNASSIGNED = NOBODY_NAME


# -- the list and the queue ---------------------------------------------------------------------


@router.get("/triage", include_in_schema=False)
def triage_page(
    request: Request,
    state: Annotated[str, Query()] = "open",
    assignee: Annotated[str, Query()] = "",
    page: PageNumber = 1,
) -> Response:
    """Events by state and assignee; editors select several and act on them at once."""
    require_reader(request)
    users = _users(request)
    chosen_state = state if state in (*STATES, "open", "all") else "open"
    chosen_assignee = assignee if assignee in (*users, UNASSIGNED) else ""
    query = every_event(
        states=states_named(chosen_state), assignee=assignee_named(chosen_assignee), page=page
    )
    found = lexwatch(request).store.reader.events_page(query)
    context = {
        "found": found,
        "state": chosen_state,
        "assignee": chosen_assignee,
        "users": users,
        "states": STATE_LABELS,
        "unassigned": UNASSIGNED,
    }
    return render(request, "triage.html", context, title="Triage")


@router.get("/queue", include_in_schema=False)
def queue_page(request: Request) -> Response:
    """The logged-in user's open events, those due soonest first."""
    name = require_viewer_login(request)
    rows = lexwatch(request).store.triage.queue(name)
    # state and assignee: the exports (triage_exports.html) download these same events.
    context = {"rows": rows, "states": STATE_LABELS, "state": "open", "assignee": name}
    return render(request, "queue.html", context, title="My queue")


def _users(request: Request) -> list[str]:
    return roles.assignable(lexwatch(request).settings.dashboard)


# -- bulk actions -------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True, slots=True)
class Picked:
    event_id: int
    version: int


def _picked(values: list[str]) -> list[Picked]:
    """ "id:version" of each selected event (what the list showed)."""
    picked = []
    for value in values:
        event_id, _, version = value.partition(":")
        if not (event_id.isdigit() and version.isdigit()):
            raise HTTPException(status_code=400, detail=f"{value!r} is not an event selection")
        picked.append(Picked(event_id=int(event_id), version=int(version)))
    return picked


@router.post("/triage/bulk", include_in_schema=False)
def bulk_action(
    request: Request,
    csrf_token: Annotated[str | None, Form()] = None,
    event: Annotated[list[str] | None, Form()] = None,
    action: Annotated[str, Form()] = "",
    back: Annotated[str, Form()] = "/triage",
) -> Response:
    """One action on every selected event, each its own compare-and-set write."""
    name = require_actor(request, csrf_token)
    picked = _picked(event or [])
    if not picked:
        flash(request, "Select at least one event first.")
        return redirect(safe_next(back))
    results = [_bulk_one(request, name, one, action) for one in picked]
    flash(request, _summary(results))
    return redirect(safe_next(back))


def _bulk_one(request: Request, name: str, one: Picked, action: str) -> Triaged:
    triage = lexwatch(request).store.triage
    write = Write(event_id=one.event_id, actor=name, at=now(request), version=one.version)
    kind, _, value = action.partition(":")
    if kind == "state" and value in STATES:
        return triage.transition(write, value)
    if kind == "assign":
        return triage.assign(write, _assignee(request, value))
    raise HTTPException(status_code=400, detail=f"{action!r} is not a bulk action")


def _assignee(request: Request, value: str) -> str | None:
    if value in ("", UNASSIGNED):
        return None
    if value not in _users(request):
        raise HTTPException(status_code=400, detail=f"{value!r} is not a dashboard user")
    return value


def _summary(results: list[Triaged]) -> str:
    done = sum(result.done for result in results)
    problems = [result.message for result in results if not result.done]
    text = f"{done} event{'' if done == 1 else 's'} updated."
    if problems:
        text += f" {len(problems)} not changed: " + "; ".join(problems)
    return text


# -- the event page's triage panel --------------------------------------------------------------


@dataclass(frozen=True, kw_only=True, slots=True)
class LogEntry:
    row: EventLogRow
    text: str  # what happened, in words
    note: Any = None  # a note's rendered Markdown (Markup)


def triage_panel(request: Request, event: EventRow) -> dict[str, Any]:
    """What templates/event_triage.html shows for ``event`` (called from the template, so the
    event page needs to pass nothing but the event)."""
    assert event.id is not None
    triage = lexwatch(request).store.triage
    changes = triage.changes(event.id) if event.state == "dismissed" else []
    rules = [
        propose_rule(row.source_key, row.diff).as_toml()
        for row in changes
        if row.marked_noise_at is not None
    ]
    return {
        "log": [_entry(row) for row in triage.log(event.id)],
        "users": _users(request),
        "moves": [(to, STATE_LABELS[to]) for to in TRANSITIONS.get(event.state, ())],
        "state_label": STATE_LABELS.get(event.state, event.state),
        "rules": [rule for rule in dict.fromkeys(rules) if "\n" in rule],
    }


def _entry(row: EventLogRow) -> LogEntry:
    detail = row.detail
    if row.action == "note":
        return LogEntry(row=row, text="added a note", note=render_markdown(detail["text"]))
    if row.action == "state":
        noise = " as noise" if detail.get("noise") else ""
        return LogEntry(
            row=row,
            text=f"moved it from {_label(detail.get('from'))} to {_label(detail.get('to'))}{noise}",
        )
    if row.action == "assign":
        return LogEntry(
            row=row,
            text=f"assigned it to {detail.get('to') or 'nobody'}"
            f" (was {detail.get('from') or 'nobody'})",
        )
    if row.action == "due":
        return LogEntry(
            row=row,
            text=f"set the action date to {detail.get('to') or 'none'}"
            f" (was {detail.get('from') or 'none'})",
        )
    if row.action in _GROUPING_WORDS:
        return LogEntry(row=row, text=_GROUPING_WORDS[row.action].format_map(_Facts(detail)))
    facts = ", ".join(f"{key}: {value}" for key, value in sorted(detail.items()))
    return LogEntry(row=row, text=f"{row.action}" + (f" ({facts})" if facts else ""))


# The grouping's own entries (storage.events), in words; a fact it did not record reads "?".
_GROUPING_WORDS = {
    "created": "started the event with change {change_id} from {source_key}",
    "joined": "added change {change_id} from {source_key} ({rule}: {detail})",
    "split": "split change {change_id} from {source_key} out into event {to_event}",
}


class _Facts(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "?"


def _label(state: object) -> str:
    return STATE_LABELS.get(str(state), str(state))


templates.env.globals["triage_panel"] = triage_panel


def _done(request: Request, event_id: int, result: Triaged, message: str) -> Response:
    if result.outcome is Outcome.NOT_FOUND:
        raise HTTPException(status_code=404, detail=result.message)
    if result.outcome is Outcome.STALE:
        flash(request, f"Not saved: {result.message}. The page now shows the event as it is.")
    elif result.outcome is Outcome.NOT_ALLOWED:
        flash(request, f"Not saved: {result.message}.")
    else:
        flash(request, message)
    return redirect(f"/events/{event_id}#triage")


def _write(request: Request, name: str, event_id: int, version: int | None) -> Write:
    return Write(event_id=event_id, actor=name, at=now(request), version=version)


@router.post("/events/{event_id}/triage/state", include_in_schema=False)
def set_state(
    request: Request,
    event_id: RowId,
    to: Annotated[str, Form()],
    version: Annotated[int, Form(ge=0)],
    noise: Annotated[bool, Form()] = False,
    csrf_token: Annotated[str | None, Form()] = None,
) -> Response:
    name = require_actor(request, csrf_token)
    if to not in STATES:
        raise HTTPException(status_code=400, detail=f"{to!r} is not a state")
    write = _write(request, name, event_id, version)
    result = lexwatch(request).store.triage.transition(write, to, noise=noise)
    extra = " Its changes are marked as noise; see the proposed ignore rules." if noise else ""
    return _done(request, event_id, result, f"Event {event_id} is now {_label(to)}.{extra}")


@router.post("/events/{event_id}/triage/assign", include_in_schema=False)
def set_assignee(
    request: Request,
    event_id: RowId,
    version: Annotated[int, Form(ge=0)],
    assignee: Annotated[str, Form()] = "",
    csrf_token: Annotated[str | None, Form()] = None,
) -> Response:
    name = require_actor(request, csrf_token)
    chosen = _assignee(request, assignee)
    write = _write(request, name, event_id, version)
    result = lexwatch(request).store.triage.assign(write, chosen)
    return _done(
        request, event_id, result, f"Event {event_id} is assigned to {chosen or 'nobody'}."
    )


@router.post("/events/{event_id}/triage/due", include_in_schema=False)
def set_due(
    request: Request,
    event_id: RowId,
    version: Annotated[int, Form(ge=0)],
    due: Annotated[str, Form()] = "",
    csrf_token: Annotated[str | None, Form()] = None,
) -> Response:
    name = require_actor(request, csrf_token)
    try:
        chosen = date.fromisoformat(due) if due else None
    except ValueError as exc:
        raise HTTPException(status_code=400, detail=f"{due!r} is not a date (YYYY-MM-DD)") from exc
    write = _write(request, name, event_id, version)
    result = lexwatch(request).store.triage.set_due(write, chosen)
    return _done(request, event_id, result, f"Action date of event {event_id}: {chosen or 'none'}.")


@router.post("/events/{event_id}/triage/note", include_in_schema=False)
def add_note(
    request: Request,
    event_id: RowId,
    text: Annotated[str, Form()] = "",
    csrf_token: Annotated[str | None, Form()] = None,
) -> Response:
    """A note never conflicts: it changes nothing another editor could have changed."""
    name = require_actor(request, csrf_token)
    write = _write(request, name, event_id, None)
    result = lexwatch(request).store.triage.add_note(write, text.replace("\x00", ""))
    return _done(request, event_id, result, "Note added.")
