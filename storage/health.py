"""Source health: is a source working, and is it still saying anything?

A source that fails several checks in a row is ``failing``; one that has not changed for
longer than it declares it should (``expected_change``) is ``silent`` — a feed that stopped
updating is as broken as one that errors, it is only quieter about it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

FAILING_AFTER = 3  # consecutive failed checks


class Health(enum.StrEnum):
    OK = "ok"
    NEW = "new"  # never checked successfully yet
    FAILING = "failing"
    SILENT = "silent"
    DISABLED = "disabled"


@dataclass(frozen=True, kw_only=True, slots=True)
class SourceHealth:
    status: Health
    reason: str = ""


def source_health(
    *,
    enabled: bool,
    failure_streak: int,
    last_error: str | None,
    first_success_at: datetime | None,
    last_change_at: datetime | None,
    expected_change: int | None,
    now: datetime,
) -> SourceHealth:
    """The health of a source from its stored state."""
    if not enabled:
        return SourceHealth(status=Health.DISABLED)
    if failure_streak >= FAILING_AFTER:
        return SourceHealth(
            status=Health.FAILING, reason=f"{failure_streak} failed checks in a row: {last_error}"
        )
    if first_success_at is None:
        return SourceHealth(status=Health.NEW, reason=last_error or "")
    quiet_since = last_change_at or first_success_at
    if expected_change is not None and now - quiet_since > timedelta(seconds=expected_change):
        days = (now - quiet_since).days
        return SourceHealth(
            status=Health.SILENT,
            reason=f"no change for {days} days (expected within {expected_change // 86400} days)",
        )
    return SourceHealth(status=Health.OK)
