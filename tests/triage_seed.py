"""Events to triage, written straight into the tables (the grouping rules are not under test)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import Engine, update
from sqlmodel import Session, col

from storage.models import ChangeRow, EventRow

AT = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def add_event(
    engine: Engine,
    title: str = "Consultation on GPAI extended to 30 June",
    *,
    change_ids: Sequence[int] = (),
    state: str = "new",
    assignee: str | None = None,
    at: datetime = AT,
) -> int:
    """A new event (of ``change_ids``, if any) with no triage history; its id."""
    with Session(engine) as session:
        row = EventRow(
            category="deadline_extended",
            severity="high",
            title=title,
            first_detected_at=at,
            last_detected_at=at,
            change_count=len(change_ids),
            source_count=1,
            state=state,
            assignee=assignee,
        )
        session.add(row)
        session.flush()
        assert row.id is not None
        if change_ids:
            session.execute(
                update(ChangeRow).where(col(ChangeRow.id).in_(change_ids)).values(event_id=row.id)
            )
        session.commit()
        return row.id
