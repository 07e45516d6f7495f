"""What `lexwatch status` reads: recent checks, each source's schedule state, the outbox."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, func
from sqlmodel import col, select

from storage import heartbeats
from storage.db import session_scope
from storage.models import CheckRow, DeliveryRow, SourceRow


@dataclass(frozen=True, kw_only=True, slots=True)
class SourceSchedule:
    """One source's stored schedule and health state."""

    key: str
    title: str
    enabled: bool
    interval_seconds: int
    last_check_at: datetime | None
    last_success_at: datetime | None
    failure_streak: int
    last_error: str | None


@dataclass(frozen=True, kw_only=True, slots=True)
class RecentChecks:
    last_check_at: datetime | None
    checks: int  # in the window
    failed: int  # in the window
    changes: int  # found in the window
    skipped: int = 0  # in the window: another check of the source was stored first


@dataclass(frozen=True, kw_only=True, slots=True)
class OutboxState:
    by_status: dict[str, int]
    oldest_pending_at: datetime | None
    last_sent_at: datetime | None


def source_schedules(engine: Engine) -> list[SourceSchedule]:
    with session_scope(engine) as session:
        rows = session.exec(select(SourceRow).order_by(col(SourceRow.key))).all()
        return [
            SourceSchedule(
                key=r.key,
                title=r.title,
                enabled=r.enabled,
                interval_seconds=r.interval_seconds,
                last_check_at=r.last_check_at,
                last_success_at=r.last_success_at,
                failure_streak=r.failure_streak,
                last_error=r.last_error,
            )
            for r in rows
        ]


def recent_checks(engine: Engine, now: datetime, window: timedelta) -> RecentChecks:
    """The time of the last check ever, and what the checks of the last ``window`` found.

    (max() keeps its column's type, so the time comes back timezone-aware on SQLite too.)
    """
    since = now - window
    with session_scope(engine) as session:
        last = session.exec(select(func.max(col(CheckRow.started_at)))).one()
        counts = session.exec(
            select(func.count(), func.coalesce(func.sum(col(CheckRow.change_count)), 0)).where(
                col(CheckRow.started_at) >= since
            )
        ).one()
        outcomes = dict(
            session.exec(
                select(col(CheckRow.outcome), func.count())
                .where(
                    col(CheckRow.started_at) >= since,
                    col(CheckRow.outcome).in_(("failed", "skipped")),
                )
                .group_by(col(CheckRow.outcome))
            ).all()
        )
    return RecentChecks(
        last_check_at=last,
        checks=int(counts[0]),
        failed=int(outcomes.get("failed", 0)),
        changes=int(counts[1]),
        skipped=int(outcomes.get("skipped", 0)),
    )


def outbox_state(engine: Engine) -> OutboxState:
    """Deliveries by status, the oldest one still pending and the last one sent."""
    with session_scope(engine) as session:
        counts = session.exec(
            select(col(DeliveryRow.status), func.count()).group_by(col(DeliveryRow.status))
        ).all()
        oldest = session.exec(
            select(func.min(col(DeliveryRow.created_at))).where(DeliveryRow.status == "pending")
        ).one()
        last_sent = session.exec(select(func.max(col(DeliveryRow.sent_at)))).one()
    return OutboxState(
        by_status={str(status): int(n) for status, n in counts},
        oldest_pending_at=oldest,
        last_sent_at=last_sent,
    )


@dataclass(frozen=True, kw_only=True, slots=True)
class Beat:
    """The newest heartbeat of a service process that schedules checks."""

    process: str
    role: str
    host: str
    pid: int
    started_at: datetime
    beat_at: datetime
    stopped_at: datetime | None


def last_beat(engine: Engine) -> Beat | None:
    """The most recent heartbeat of a process that checks (None: no service ever ran here)."""
    with session_scope(engine) as session:
        rows = heartbeats.newest(session, checking=True, limit=1)
    return next(
        (
            Beat(
                process=r.process,
                role=r.role,
                host=r.host,
                pid=r.pid,
                started_at=r.started_at,
                beat_at=r.beat_at,
                stopped_at=r.stopped_at,
            )
            for r in rows
        ),
        None,
    )
