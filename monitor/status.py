"""`lexwatch status`: is the service checking, what is due, what fails, what waits to be sent.

The service writes no heartbeat of its own: every check already writes a Check row and
stamps its source, so "is it running" is read from those. A source whose next check
(last check + interval) is overdue by more than its slack means no scheduler is checking it.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from storage.status_queries import (
    OutboxState,
    RecentChecks,
    SourceSchedule,
    outbox_state,
    recent_checks,
    source_schedules,
)
from storage.store import Store

WINDOW = timedelta(hours=1)
MIN_SLACK = timedelta(minutes=2)


class ServiceState(enum.StrEnum):
    CHECKING = "checking"  # checks in the last hour, nothing overdue
    IDLE = "idle"          # nothing checked lately, but nothing was due either
    BEHIND = "behind"      # some sources are overdue: the service is stopped or overloaded
    NEVER = "never"        # no source has ever been checked


@dataclass(frozen=True, kw_only=True, slots=True)
class Due:
    key: str
    title: str
    interval_seconds: int
    last_check_at: datetime | None
    next_due_at: datetime | None  # None: never checked, due at once
    overdue: bool
    failure_streak: int
    last_error: str | None


@dataclass(frozen=True, kw_only=True, slots=True)
class Status:
    now: datetime
    state: ServiceState
    recent: RecentChecks
    sources: tuple[Due, ...]  # enabled sources, soonest due first
    outbox: OutboxState

    @property
    def overdue(self) -> list[Due]:
        return [due for due in self.sources if due.overdue]

    @property
    def failing(self) -> list[Due]:
        return [due for due in self.sources if due.failure_streak > 0]


def slack(interval_seconds: int) -> timedelta:
    """How late a check may be before it counts as overdue (jitter, a busy host, a restart)."""
    return max(MIN_SLACK, timedelta(seconds=interval_seconds / 10))


def due(schedule: SourceSchedule, now: datetime) -> Due:
    next_due = (None if schedule.last_check_at is None
                else schedule.last_check_at + timedelta(seconds=schedule.interval_seconds))
    overdue = next_due is not None and now - next_due > slack(schedule.interval_seconds)
    return Due(key=schedule.key, title=schedule.title,
               interval_seconds=schedule.interval_seconds,
               last_check_at=schedule.last_check_at, next_due_at=next_due, overdue=overdue,
               failure_streak=schedule.failure_streak, last_error=schedule.last_error)


def service_state(recent: RecentChecks, sources: Sequence[Due]) -> ServiceState:
    if recent.last_check_at is None:
        return ServiceState.NEVER
    if any(source.overdue for source in sources):
        return ServiceState.BEHIND
    return ServiceState.CHECKING if recent.checks else ServiceState.IDLE


def read_status(store: Store, keys: Iterable[str], now: datetime) -> Status:
    """The status of the configured, enabled sources ``keys``."""
    wanted = set(keys)
    schedules = [s for s in source_schedules(store.engine) if s.key in wanted and s.enabled]
    sources = sorted((due(s, now) for s in schedules),
                     key=lambda d: (d.next_due_at is not None, d.next_due_at or now, d.key))
    recent = recent_checks(store.engine, now, WINDOW)
    return Status(now=now, state=service_state(recent, sources), recent=recent,
                  sources=tuple(sources), outbox=outbox_state(store.engine))


# -- rendering -------------------------------------------------------------------------------

def status_json(status: Status) -> dict[str, Any]:
    return {
        "now": status.now.isoformat(),
        "service": {"state": status.state.value, "last_check_at": _iso(status.recent.last_check_at),
                    "checks_last_hour": status.recent.checks,
                    "failed_last_hour": status.recent.failed,
                    "skipped_last_hour": status.recent.skipped,
                    "changes_last_hour": status.recent.changes},
        "sources": [{"key": d.key, "interval_seconds": d.interval_seconds,
                     "last_check_at": _iso(d.last_check_at), "next_due_at": _iso(d.next_due_at),
                     "overdue": d.overdue, "failure_streak": d.failure_streak,
                     "last_error": d.last_error} for d in status.sources],
        "overdue": [d.key for d in status.overdue],
        "failing": [d.key for d in status.failing],
        "deliveries": {"by_status": status.outbox.by_status,
                       "oldest_pending_at": _iso(status.outbox.oldest_pending_at),
                       "last_sent_at": _iso(status.outbox.last_sent_at)},
    }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


_STATE_TEXT = {
    ServiceState.CHECKING: ("checking", "green"),
    ServiceState.IDLE: ("idle: nothing was due in the last hour", "green"),
    ServiceState.BEHIND: ("behind: sources are overdue (is `lexwatch run` running?)", "red"),
    ServiceState.NEVER: ("never run: no source has been checked yet", "yellow"),
}


def render(status: Status, *, limit: int = 20) -> RenderableType:
    """The status for a terminal: a summary, then what is due, failing and queued."""
    parts: list[RenderableType] = [_summary(status)]
    if status.sources:
        parts.append(_due_table(status, limit))
    if status.failing:
        parts.append(_failing_table(status))
    parts.append(_outbox_line(status))
    return Group(*parts)


def _summary(status: Status) -> Text:
    label, style = _STATE_TEXT[status.state]
    text = Text.assemble("service: ", (label, f"bold {style}"))
    recent = status.recent
    if recent.last_check_at is not None:
        skipped = (f", {recent.skipped} skipped (checked elsewhere)" if recent.skipped
                   else "")
        text.append(f"\nlast check {ago(status.now, recent.last_check_at)};"
                    f" last hour: {recent.checks} check(s), {recent.failed} failed{skipped},"
                    f" {recent.changes} change(s)")
    text.append(f"\n{len(status.sources)} enabled source(s), {len(status.overdue)} overdue,"
                f" {len(status.failing)} failing")
    return text


def _due_table(status: Status, limit: int) -> Table:
    shown = status.sources[:limit]
    title = "next due" + (f" (first {limit} of {len(status.sources)})"
                          if len(status.sources) > limit else "")
    table = Table(title=title, title_justify="left")
    for column in ("source", "every", "last check", "next due"):
        table.add_column(column)
    for item in shown:
        when = ("now (never checked)" if item.next_due_at is None
                else until(status.now, item.next_due_at))
        table.add_row(item.key, _span(item.interval_seconds),
                      ago(status.now, item.last_check_at) if item.last_check_at else "never",
                      Text(when, style="bold red" if item.overdue else ""))
    return table


def _failing_table(status: Status) -> Table:
    table = Table(title="failing sources", title_justify="left")
    for column in ("source", "failed in a row", "last error"):
        table.add_column(column)
    for item in status.failing:
        table.add_row(item.key, str(item.failure_streak), (item.last_error or "")[:160])
    return table


def _outbox_line(status: Status) -> Text:
    counts = status.outbox.by_status
    pending, dead = counts.get("pending", 0), counts.get("dead", 0)
    text = Text(f"deliveries: {pending} pending, ")
    text.append(f"{dead} dead", style="bold red" if dead else "")
    text.append(f", {counts.get('sent', 0)} sent, {counts.get('skipped', 0)} skipped")
    if status.outbox.oldest_pending_at is not None:
        text.append(f"; oldest pending since {ago(status.now, status.outbox.oldest_pending_at)}")
    if dead:
        text.append("\n(see `lexwatch deliveries` and retry the dead ones)")
    return text


_UNITS = (("d", 86400, "h", 3600), ("h", 3600, "m", 60), ("m", 60, "s", 1))


def _span(seconds: float) -> str:
    """A duration in its two largest units: 2d3h, 1h5m, 3m20s, 45s."""
    whole = int(abs(seconds))
    for unit, size, sub, sub_size in _UNITS:
        if whole >= size:
            rest = (whole % size) // sub_size
            return f"{whole // size}{unit}" + (f"{rest}{sub}" if rest else "")
    return f"{whole}s"


def ago(now: datetime, then: datetime) -> str:
    return f"{_span((now - then).total_seconds())} ago"


def until(now: datetime, then: datetime) -> str:
    delta = (then - now).total_seconds()
    return f"in {_span(delta)}" if delta >= 0 else f"overdue by {_span(delta)}"
