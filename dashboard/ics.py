"""Deadlines as an iCalendar file (RFC 5545), for calendars that subscribe or import."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from icalendar import Calendar, Event

from monitor import __version__
from monitor.analysis.deadline_groups import DeadlineGroup, group_deadlines
from storage.models import DeadlineRow


def deadlines_calendar(rows: Sequence[DeadlineRow], *, now: datetime | None = None) -> bytes:
    """One event per deadline (once however many sources state it), ending at the due time;
    stable UIDs (of the group's first row) so updates replace."""
    calendar = Calendar()
    calendar.add("prodid", f"-//lexwatch//{__version__}//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", "lexwatch: EU AI regulation deadlines")
    stamp = now or datetime.now(UTC)
    for group in group_deadlines(rows):
        calendar.add_component(_event(group, stamp))
    ical: bytes = calendar.to_ical()
    return ical


def _event(group: DeadlineGroup, stamp: datetime) -> Event:
    row = group.first
    event = Event()
    identity = hashlib.sha1(f"{row.source_key}|{row.item_key}|{row.kind}|{row.label}".encode())
    event.add("uid", f"deadline-{identity.hexdigest()[:20]}@lexwatch")
    event.add("dtstamp", stamp)
    # A 30-minute slot ending at the deadline reads well in every calendar.
    event.add("dtstart", row.due - timedelta(minutes=30))
    event.add("dtend", row.due)
    event.add("summary", f"{row.label}")
    moved = "; ".join(f"was {entry['due'][:10]}" for entry in row.history[:-1])
    sources = ", ".join(group.sources)
    description = (
        f"Source{'s' if len(group.sources) > 1 else ''}: {sources}\nDue: {row.due.isoformat()}"
    )
    event.add("description", f"{description}\n{moved}" if moved else description)
    if row.url:
        event.add("url", row.url)
    event.add("categories", [row.kind])
    return event
