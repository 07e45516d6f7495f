"""Service heartbeats: each running service process keeps one row fresh (service.heartbeat)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, col, delete, select

from monitor.types import ServiceProcess
from storage.models import HeartbeatRow

# Rows of processes gone this long are deleted: status only looks at the newest ones.
KEEP = timedelta(days=7)


def beat(session: Session, process: ServiceProcess, now: datetime) -> None:
    """Stamp ``process`` alive at ``now`` (its row is made on the first beat)."""
    row = session.get(HeartbeatRow, process.id)
    if row is None:
        session.add(
            HeartbeatRow(
                process=process.id,
                role=process.role,
                checks=process.checks,
                host=process.host[:255],
                pid=process.pid,
                started_at=process.started_at,
                beat_at=now,
            )
        )
        session.execute(delete(HeartbeatRow).where(col(HeartbeatRow.beat_at) < now - KEEP))
        return
    row.beat_at = now
    row.stopped_at = None


def stop(session: Session, process_id: str, now: datetime) -> None:
    """``process_id`` stopped cleanly at ``now``."""
    row = session.get(HeartbeatRow, process_id)
    if row is not None:
        row.beat_at = row.stopped_at = now


def newest(session: Session, *, checking: bool, limit: int = 20) -> list[HeartbeatRow]:
    """The most recent heartbeats (of processes that schedule checks, if ``checking``)."""
    query = select(HeartbeatRow).order_by(col(HeartbeatRow.beat_at).desc()).limit(limit)
    if checking:
        query = query.where(col(HeartbeatRow.checks))
    return list(session.exec(query).all())
