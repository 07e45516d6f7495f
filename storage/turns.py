"""Per-host request turns kept in PostgreSQL, so that scale-out workers space requests as one.

Each worker process has its own ``HostLimiter``; without a shared record, N workers would
start N requests per ``per_host_spacing`` on one EU host. ``reserve_turn`` hands out start
times one ``spacing`` apart in one atomic statement: no lock is held while a request runs,
and a worker that dies after reserving wastes one turn, nothing more. Times are the
database's own clock, so the clocks of the workers' machines do not matter.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, text

# My turn starts when the previous reservation's turn ends, or now; the next one starts one
# spacing after mine. Returns when my turn starts and how many seconds that is from now.
_RESERVE = text("""
    INSERT INTO host_turns (host, next_start)
    VALUES (:host, clock_timestamp() + make_interval(secs => :spacing))
    ON CONFLICT (host) DO UPDATE
    SET next_start = greatest(host_turns.next_start, clock_timestamp())
                     + make_interval(secs => :spacing)
    RETURNING host_turns.next_start - make_interval(secs => :spacing),
              extract(epoch FROM host_turns.next_start - clock_timestamp()) - :spacing
""")


@dataclass(frozen=True, kw_only=True, slots=True)
class Turn:
    """One reserved request start: when (the database's clock), and the seconds until then."""

    starts_at: datetime
    wait: float


def reserve_turn(connection: Connection, host: str, spacing: float) -> Turn:
    """The next turn of a request to ``host`` (``wait`` 0: at once); PostgreSQL only."""
    starts_at, wait = connection.execute(_RESERVE, {"host": host[:255], "spacing": spacing}).one()
    return Turn(starts_at=starts_at, wait=max(0.0, float(wait)))
