"""`lexwatch status`: is the service checking, what is due, what fails, what waits to be sent.

"Is it running" is read from the service's heartbeat (monitor.service.heartbeat): a heartbeat older
than ``STALE_AFTER``, or a clean stop, means no service is checking, whatever the last checks
say. Where no service ever ran (checks from cron), it is read from the Check rows. A source
whose next check (last check + interval; for a never-checked one, the service's start plus
the first-run spread) is overdue by more than its slack means nobody is checking it.
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

from monitor.service.heartbeat import FIRST_RUN_SPREAD, STALE_AFTER
from storage.health import FAILING_AFTER
from storage.status_queries import (
    Beat,
    OutboxState,
    RecentChecks,
    SourceSchedule,
    last_beat,
    outbox_state,
    recent_checks,
    source_schedules,
)
from storage.store import Store

WINDOW = timedelta(hours=1)
MIN_SLACK = timedelta(minutes=2)


class ServiceState(enum.StrEnum):
    CHECKING = "checking"  # a live service (or checks in the last hour), nothing overdue
    IDLE = "idle"  # nothing checked lately, but nothing was due either
    BEHIND = "behind"  # some sources are overdue: the service is overloaded or stopped
    STOPPED = "stopped"  # the service stopped, or its heartbeat went stale (it died)
    NEVER = "never"  # no source has ever been checked


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
    beat: Beat | None = None  # the newest heartbeat of a checking service

    @property
    def overdue(self) -> list[Due]:
        return [due for due in self.sources if due.overdue]

    @property
    def failing(self) -> list[Due]:
        """Sources that failed ``FAILING_AFTER`` checks in a row, as `lexwatch sources` says."""
        return [due for due in self.sources if due.failure_streak >= FAILING_AFTER]

    @property
    def last_failed(self) -> list[Due]:
        """Sources whose last check failed, not (yet) often enough to be failing."""
        return [due for due in self.sources if 0 < due.failure_streak < FAILING_AFTER]


def slack(interval_seconds: int) -> timedelta:
    """How late a check may be before it counts as overdue (jitter, a busy host, a restart)."""
    return max(MIN_SLACK, timedelta(seconds=interval_seconds / 10))


def due(schedule: SourceSchedule, now: datetime, started: datetime | None = None) -> Due:
    """When ``schedule``'s source is next due; ``started``: when the service last started."""
    interval = schedule.interval_seconds
    if schedule.last_check_at is not None:
        next_due: datetime | None = schedule.last_check_at + timedelta(seconds=interval)
    elif started is not None:  # a start checks every never-checked source this soon
        next_due = started + timedelta(seconds=min(interval, FIRST_RUN_SPREAD))
    else:
        next_due = None
    overdue = next_due is not None and now - next_due > slack(interval)
    return Due(
        key=schedule.key,
        title=schedule.title,
        interval_seconds=schedule.interval_seconds,
        last_check_at=schedule.last_check_at,
        next_due_at=next_due,
        overdue=overdue,
        failure_streak=schedule.failure_streak,
        last_error=schedule.last_error,
    )


def alive(beat: Beat, now: datetime) -> bool:
    return beat.stopped_at is None and now - beat.beat_at <= STALE_AFTER


def service_state(
    recent: RecentChecks,
    sources: Sequence[Due],
    beat: Beat | None = None,
    now: datetime | None = None,
) -> ServiceState:
    overdue = any(source.overdue for source in sources)
    if beat is not None and now is not None:
        if alive(beat, now):
            lately = recent.checks or now - beat.started_at <= WINDOW
            return (
                ServiceState.BEHIND
                if overdue
                else (ServiceState.CHECKING if lately else ServiceState.IDLE)
            )
        if not _checked_since(recent, beat):
            return ServiceState.STOPPED
    if recent.last_check_at is None:
        return ServiceState.NEVER
    if overdue:
        return ServiceState.BEHIND
    return ServiceState.CHECKING if recent.checks else ServiceState.IDLE


def _checked_since(recent: RecentChecks, beat: Beat) -> bool:
    """Checks after the service went quiet: something else checks now (cron)."""
    return recent.last_check_at is not None and recent.last_check_at > beat.beat_at + STALE_AFTER


def read_status(store: Store, keys: Iterable[str], now: datetime) -> Status:
    """The status of the configured, enabled sources ``keys``."""
    wanted = set(keys)
    beat = last_beat(store.engine)
    started = beat.started_at if beat is not None else None
    schedules = [s for s in source_schedules(store.engine) if s.key in wanted and s.enabled]
    sources = sorted(
        (due(s, now, started) for s in schedules),
        key=lambda d: (d.next_due_at is not None, d.next_due_at or now, d.key),
    )
    recent = recent_checks(store.engine, now, WINDOW)
    return Status(
        now=now,
        state=service_state(recent, sources, beat, now),
        recent=recent,
        sources=tuple(sources),
        outbox=outbox_state(store.engine),
        beat=beat,
    )


# -- rendering -------------------------------------------------------------------------------


def status_json(status: Status) -> dict[str, Any]:
    return {
        "now": status.now.isoformat(),
        "service": {
            "state": status.state.value,
            "last_check_at": _iso(status.recent.last_check_at),
            "checks_last_hour": status.recent.checks,
            "failed_last_hour": status.recent.failed,
            "skipped_last_hour": status.recent.skipped,
            "changes_last_hour": status.recent.changes,
            "heartbeat": _beat_json(status.beat),
        },
        "sources": [
            {
                "key": d.key,
                "interval_seconds": d.interval_seconds,
                "last_check_at": _iso(d.last_check_at),
                "next_due_at": _iso(d.next_due_at),
                "overdue": d.overdue,
                "failure_streak": d.failure_streak,
                "last_error": d.last_error,
            }
            for d in status.sources
        ],
        "overdue": [d.key for d in status.overdue],
        "failing": [d.key for d in status.failing],
        "last_check_failed": [d.key for d in status.last_failed],
        "deliveries": {
            "by_status": status.outbox.by_status,
            "oldest_pending_at": _iso(status.outbox.oldest_pending_at),
            "last_sent_at": _iso(status.outbox.last_sent_at),
        },
    }


def _beat_json(beat: Beat | None) -> dict[str, Any] | None:
    if beat is None:
        return None
    return {
        "process": beat.process,
        "role": beat.role,
        "host": beat.host,
        "pid": beat.pid,
        "started_at": beat.started_at.isoformat(),
        "beat_at": beat.beat_at.isoformat(),
        "stopped_at": _iso(beat.stopped_at),
    }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


_STATE_TEXT = {
    ServiceState.CHECKING: ("checking", "green"),
    ServiceState.IDLE: ("idle: nothing was due in the last hour", "green"),
    ServiceState.BEHIND: ("behind: sources are overdue (is `lexwatch run` running?)", "red"),
    ServiceState.STOPPED: ("stopped: no service is checking (start `lexwatch run`)", "red"),
    ServiceState.NEVER: ("never run: no source has been checked yet", "yellow"),
}


def render(status: Status, *, limit: int = 20) -> RenderableType:
    """The status for a terminal: a summary, then what is due, failing and queued."""
    parts: list[RenderableType] = [_summary(status)]
    if status.sources:
        parts.append(_due_table(status, limit))
    if status.failing or status.last_failed:
        parts.append(_failing_table(status))
    parts.append(_outbox_line(status))
    return Group(*parts)


def _summary(status: Status) -> Text:
    label, style = _STATE_TEXT[status.state]
    text = Text.assemble("service: ", (label, f"bold {style}"))
    if status.beat is not None and status.state is ServiceState.STOPPED:
        text.append(f"\n{_gone(status.beat, status.now)}")
    recent = status.recent
    if recent.last_check_at is not None:
        skipped = f", {recent.skipped} skipped (checked elsewhere)" if recent.skipped else ""
        text.append(
            f"\nlast check {ago(status.now, recent.last_check_at)};"
            f" last hour: {recent.checks} check(s), {recent.failed} failed{skipped},"
            f" {recent.changes} change(s)"
        )
    text.append(
        f"\n{len(status.sources)} enabled source(s), {len(status.overdue)} overdue,"
        f" {len(status.failing)} failing ({FAILING_AFTER}+ failed checks in a row)"
    )
    if status.last_failed:
        text.append(f", {len(status.last_failed)} more whose last check failed")
    return text


def _gone(beat: Beat, now: datetime) -> str:
    where = f"`lexwatch {beat.role}` on {beat.host} (pid {beat.pid})"
    if beat.stopped_at is not None:
        return f"{where} stopped {ago(now, beat.stopped_at)}"
    return f"{where} sent its last heartbeat {ago(now, beat.beat_at)}: it died or was killed"


def _due_table(status: Status, limit: int) -> Table:
    shown = status.sources[:limit]
    title = "next due" + (
        f" (first {limit} of {len(status.sources)})" if len(status.sources) > limit else ""
    )
    table = Table(title=title, title_justify="left")
    for column in ("source", "every", "last check", "next due"):
        table.add_column(column)
    for item in shown:
        when = (
            "now (never checked)"
            if item.next_due_at is None
            else until(status.now, item.next_due_at)
        )
        table.add_row(
            item.key,
            _span(item.interval_seconds),
            ago(status.now, item.last_check_at) if item.last_check_at else "never",
            Text(when, style="bold red" if item.overdue else ""),
        )
    return table


def _failing_table(status: Status) -> Table:
    table = Table(title="sources whose last check failed", title_justify="left")
    for column in ("source", "failed in a row", "last error"):
        table.add_column(column)
    for item in sorted(status.failing + status.last_failed, key=lambda d: -d.failure_streak):
        streak = Text(str(item.failure_streak), style="bold red" if item in status.failing else "")
        table.add_row(item.key, streak, (item.last_error or "")[:160])
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
