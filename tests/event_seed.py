"""Events over stored changes, for the export tests: an EventRow, its changes linked to it
(changes.event_id) and its audit log, written in one transaction as the grouping would."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlmodel import select

from storage.db import session_scope
from storage.models import ChangeRow, EventLogRow, EventRow
from storage.store import Store


@dataclass(frozen=True, kw_only=True)
class LogEntry:
    at: datetime
    actor: str
    action: str
    detail: dict[str, Any] = field(default_factory=dict)


def add_event(
    store: Store,
    change_ids: Sequence[int],
    *,
    title: str | None = None,
    summary: str | None = None,
    state: str = "new",
    assignee: str | None = None,
    action_due: date | None = None,
    log: Sequence[LogEntry] = (),
) -> int:
    """An event of ``change_ids`` (its category, severity and dates from the first)."""
    with session_scope(store.engine) as session:
        changes = list(session.exec(select(ChangeRow).where(ChangeRow.id.in_(change_ids))).all())  # type: ignore[union-attr]
        assert len(changes) == len(change_ids), "unknown change ids"
        changes.sort(key=lambda row: (row.detected_at, row.id))
        first = changes[0]
        event = EventRow(
            identity=f"test:{first.id}",
            category=first.category,
            severity=first.severity,
            title=title if title is not None else first.title,
            summary=summary if summary is not None else first.summary,
            url=first.url,
            first_detected_at=changes[0].detected_at,
            last_detected_at=changes[-1].detected_at,
            change_count=len(changes),
            source_count=len({row.source_key for row in changes}),
            state=state,
            assignee=assignee,
            action_due=action_due,
            grouping=[
                {"change_id": row.id, "rule": "same identity", "detail": f"test:{first.id}"}
                for row in changes
            ],
        )
        session.add(event)
        session.flush()
        assert event.id is not None
        for row in changes:
            row.event_id = event.id
            session.add(row)
        for entry in log:
            session.add(
                EventLogRow(
                    event_id=event.id,
                    at=entry.at,
                    actor=entry.actor,
                    action=entry.action,
                    detail=entry.detail,
                )
            )
        return event.id
