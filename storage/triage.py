"""Triage of events: state, assignee, the team's due date and notes, with an audit trail.

Every write is a compare-and-set on ``events.version``: the UPDATE stores only where the
version is still the one the writer read (and, when the caller sends one, the one its user
saw), bumps it, and appends an ``event_log`` row in the same transaction. Two editors who
change one event at once therefore never lose a transition: the second write matches no row
and is answered STALE, with nothing stored. Log rows are only ever inserted.

States: new -> in_review -> actioned | dismissed; new may be dismissed at once (obvious
noise); actioned and dismissed may be reopened (back to in_review). Dismissing "as noise"
marks the event's changes as noise too, as "mark as noise" on a change does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Concatenate, ParamSpec, TypeVar

from sqlalchemy import Engine, update
from sqlmodel import Session, col, select

from storage import queries
from storage.db import retried_methods, session_scope
from storage.models import ChangeRow, EventLogRow, EventRow

P = ParamSpec("P")
T = TypeVar("T")

STATES = ("new", "in_review", "actioned", "dismissed")
OPEN_STATES = ("new", "in_review")
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "new": ("in_review", "dismissed"),
    "in_review": ("actioned", "dismissed"),
    "actioned": ("in_review",),
    "dismissed": ("in_review",),
}
MAX_NOTE = 20_000
MAX_PER_PAGE = 200


class Outcome(StrEnum):
    DONE = "done"
    STALE = "stale"  # the event changed since the caller's version: nothing stored
    NOT_ALLOWED = "not_allowed"  # no such transition from the current state
    NOT_FOUND = "not_found"


@dataclass(frozen=True, kw_only=True, slots=True)
class Triaged:
    """What became of one triage write; ``event`` is the row as it now stands."""

    outcome: Outcome
    event: EventRow | None
    message: str = ""

    @property
    def done(self) -> bool:
        return self.outcome is Outcome.DONE


@dataclass(frozen=True, kw_only=True, slots=True)
class Write:
    """One triage write: who, when, and the version the caller saw (None: the current one)."""

    event_id: int
    actor: str
    at: datetime
    version: int | None = None


# -- writes -----------------------------------------------------------------------------------


def _compare_and_set(
    session: Session,
    write: Write,
    values: Callable[[EventRow], dict[str, Any] | str],
    action: str,
    detail: Callable[[EventRow], dict[str, Any]],
) -> Triaged:
    """Store ``values(row)`` (or refuse with its message) where the version still stands."""
    row = session.get(EventRow, write.event_id)
    if row is None:
        return Triaged(outcome=Outcome.NOT_FOUND, event=None, message=_missing(write.event_id))
    if write.version is not None and row.version != write.version:
        return _stale(row, write.version)
    wanted = values(row)
    if isinstance(wanted, str):
        return Triaged(outcome=Outcome.NOT_ALLOWED, event=row, message=wanted)
    logged = detail(row)
    seen = row.version
    result = session.execute(
        update(EventRow)
        .where(col(EventRow.id) == write.event_id, col(EventRow.version) == seen)
        .values(**wanted, version=seen + 1)
    )
    if getattr(result, "rowcount", 0) != 1:  # another writer stored first: nothing written
        return _stale(row, seen)
    session.add(
        EventLogRow(
            event_id=write.event_id, at=write.at, actor=write.actor, action=action, detail=logged
        )
    )
    session.flush()
    session.refresh(row)
    return Triaged(outcome=Outcome.DONE, event=row)


def _missing(event_id: int) -> str:
    return f"no event with id {event_id}"


def _stale(row: EventRow, seen: int) -> Triaged:
    return Triaged(
        outcome=Outcome.STALE,
        event=row,
        message=f"event {row.id} was changed by someone else (version {seen} is no longer"
        " current): reload it and try again",
    )


def transition(session: Session, write: Write, to: str, *, noise: bool = False) -> Triaged:
    """Move the event to state ``to``; dismissing with ``noise`` marks its changes as noise."""

    def values(row: EventRow) -> dict[str, Any] | str:
        if to not in TRANSITIONS.get(row.state, ()):
            allowed = ", ".join(TRANSITIONS.get(row.state, ())) or "none"
            return f"event {row.id} is {row.state}: it can move to {allowed}, not to {to}"
        if noise and to != "dismissed":
            return "only a dismissal can mark an event's changes as noise"
        return {"state": to}

    done = _compare_and_set(
        session,
        write,
        values,
        "state",
        lambda row: {"from": row.state, "to": to, **({"noise": True} if noise else {})},
    )
    if done.done and noise:
        for change_id in _change_ids(session, write.event_id):
            queries.mark_noise(session, change_id, write.at)
    return done


def _change_ids(session: Session, event_id: int) -> list[int]:
    statement = select(ChangeRow.id).where(col(ChangeRow.event_id) == event_id)
    return [found for found in session.exec(statement).all() if found is not None]


def assign(session: Session, write: Write, assignee: str | None) -> Triaged:
    """Assign the event to ``assignee`` (None: to nobody)."""
    return _compare_and_set(
        session,
        write,
        lambda row: {"assignee": assignee},
        "assign",
        lambda row: {"from": row.assignee, "to": assignee},
    )


def set_due(session: Session, write: Write, due: date | None) -> Triaged:
    """Set (or clear, with None) the date the team means to act by."""
    return _compare_and_set(
        session,
        write,
        lambda row: {"action_due": due},
        "due",
        lambda row: {
            "from": row.action_due.isoformat() if row.action_due else None,
            "to": due.isoformat() if due else None,
        },
    )


def add_note(session: Session, write: Write, text: str) -> Triaged:
    """Append a note (Markdown, kept as written; rendered safely by the dashboard)."""

    def values(row: EventRow) -> dict[str, Any] | str:
        if not text.strip():
            return "a note needs some text"
        if len(text) > MAX_NOTE:
            return f"a note is at most {MAX_NOTE} characters (this one has {len(text)})"
        return {}

    return _compare_and_set(session, write, values, "note", lambda row: {"text": text})


# -- reads ------------------------------------------------------------------------------------


def queue(session: Session, user: str) -> list[EventRow]:
    """``user``'s open events, those due soonest first (undated last)."""
    statement = (
        select(EventRow)
        .where(EventRow.assignee == user, col(EventRow.state).in_(OPEN_STATES))
        .order_by(
            col(EventRow.action_due).is_(None),
            col(EventRow.action_due),
            col(EventRow.last_detected_at).desc(),
        )
    )
    return list(session.exec(statement).all())


def event_log(session: Session, event_id: int) -> list[EventLogRow]:
    """The event's audit trail, oldest first."""
    statement = (
        select(EventLogRow)
        .where(EventLogRow.event_id == event_id)
        .order_by(col(EventLogRow.at), col(EventLogRow.id))
    )
    return list(session.exec(statement).all())


def get_event(session: Session, event_id: int) -> EventRow | None:
    return session.get(EventRow, event_id)


def event_changes(session: Session, event_id: int) -> list[ChangeRow]:
    statement = (
        select(ChangeRow).where(col(ChangeRow.event_id) == event_id).order_by(col(ChangeRow.id))
    )
    return list(session.exec(statement).all())


# -- the handle -------------------------------------------------------------------------------


@retried_methods
class Triage:
    """Triage reads and writes, each its own transaction (``Store.triage``)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def _run(
        self, work: Callable[Concatenate[Session, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        with session_scope(self._engine) as session:
            return work(session, *args, **kwargs)

    def transition(self, write: Write, to: str, *, noise: bool = False) -> Triaged:
        return self._run(transition, write, to, noise=noise)

    def assign(self, write: Write, assignee: str | None) -> Triaged:
        return self._run(assign, write, assignee)

    def set_due(self, write: Write, due: date | None) -> Triaged:
        return self._run(set_due, write, due)

    def add_note(self, write: Write, text: str) -> Triaged:
        return self._run(add_note, write, text)

    def queue(self, user: str) -> list[EventRow]:
        return self._run(queue, user)

    def log(self, event_id: int) -> list[EventLogRow]:
        return self._run(event_log, event_id)

    def event(self, event_id: int) -> EventRow | None:
        return self._run(get_event, event_id)

    def changes(self, event_id: int) -> Sequence[ChangeRow]:
        return self._run(event_changes, event_id)
