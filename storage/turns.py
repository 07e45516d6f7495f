"""Per-host request turns kept in PostgreSQL, so that scale-out workers space requests as one.

Each worker process has its own ``HostLimiter``; without a shared record, N workers would
start N requests per ``per_host_spacing`` on one EU host. ``reserve_turn`` hands out start
times one ``spacing`` apart in one atomic statement: no lock is held while a request runs,
and a worker that dies after reserving wastes one turn, nothing more. Times are the
database's own clock, so the clocks of the workers' machines do not matter.
"""

from __future__ import annotations

from sqlalchemy import Connection, text

# My turn starts when the previous reservation's turn ends, or now; the next one starts one
# spacing after mine. Returns how many seconds to wait for my turn.
_RESERVE = text("""
    INSERT INTO host_turns (host, next_start)
    VALUES (:host, clock_timestamp() + make_interval(secs => :spacing))
    ON CONFLICT (host) DO UPDATE
    SET next_start = greatest(host_turns.next_start, clock_timestamp())
                     + make_interval(secs => :spacing)
    RETURNING extract(epoch FROM host_turns.next_start - clock_timestamp()) - :spacing
""")


def reserve_turn(connection: Connection, host: str, spacing: float) -> float:
    """Seconds until this request to ``host`` may start (0 if at once); PostgreSQL only."""
    wait = connection.execute(_RESERVE, {"host": host[:255], "spacing": spacing}).scalar_one()
    return max(0.0, float(wait))
