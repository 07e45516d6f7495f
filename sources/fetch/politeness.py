"""Per-host politeness: how many requests may run at once, and how often one host is hit.

One ``HostLimiter`` is shared by every fetch in a process. ``slot(url)`` holds a global
slot and one of the host's slots for the whole request, and starts requests to one host at
least ``spacing`` seconds apart (raised per host for a robots.txt ``Crawl-delay``). Given
``turns`` (on PostgreSQL: ``storage.turns``), the spacing holds across every process that
shares the database, so N scale-out workers hit a host no more often than one would.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

logger = logging.getLogger(__name__)

# (host, spacing) -> seconds until this request's turn, counting every process's requests.
Turns = Callable[[str, float], Awaitable[float]]


@functools.lru_cache(maxsize=4096)  # called for every request of every source
def host_key(url: str) -> str:
    """The lower-cased host name of ``url``: the unit that politeness limits apply to."""
    return (urlsplit(url).hostname or "").lower()


@dataclass
class _Host:
    semaphore: asyncio.Semaphore
    spacing: float
    # Serialises the "wait for my turn, then start" step so starts stay spacing apart.
    turn: asyncio.Lock = field(default_factory=asyncio.Lock)
    last_start: float | None = None


class HostLimiter:
    """Caps concurrency globally and per host, and spaces out request starts per host."""

    def __init__(
        self,
        per_host_concurrency: int,
        per_host_spacing: float,
        global_concurrency: int,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        turns: Turns | None = None,
    ) -> None:
        self._turns = turns
        self._per_host = per_host_concurrency
        self._spacing = per_host_spacing
        self._global = asyncio.Semaphore(global_concurrency)
        self._clock = clock
        self._sleep = sleep
        self._hosts: dict[str, _Host] = {}

    def set_spacing(self, host: str, seconds: float) -> None:
        """Start requests to ``host`` (a ``host_key``) ``seconds`` apart; never below default."""
        state = self._host(host.lower())
        spacing = max(self._spacing, seconds)
        if spacing != state.spacing:
            logger.info("spacing requests to %s %.1fs apart", host, spacing)
            state.spacing = spacing

    def spacing(self, host: str) -> float:
        """The current minimum seconds between request starts to ``host``."""
        state = self._hosts.get(host.lower())
        return self._spacing if state is None else state.spacing

    @contextlib.asynccontextmanager
    async def slot(self, url: str) -> AsyncIterator[None]:
        """Hold a host slot and a global slot while the body runs; start no sooner than allowed."""
        host = host_key(url)
        state = self._host(host)
        async with state.semaphore:
            async with state.turn:
                await self._wait_turn(host, state)
                # Taken after the spacing wait so sleeping never holds a global slot.
                await self._global.acquire()
                state.last_start = self._clock()
            try:
                yield
            finally:
                self._global.release()

    async def _wait_turn(self, host: str, state: _Host) -> None:
        wait = await self._shared_wait(host, state.spacing)
        if wait is None:  # this process's own requests are all there is to space
            if state.last_start is None:
                return
            wait = state.last_start + state.spacing - self._clock()
        if wait > 0:
            await self._sleep(wait)

    async def _shared_wait(self, host: str, spacing: float) -> float | None:
        """Seconds until the shared turn, or None when there is no shared record to ask."""
        if self._turns is None or spacing <= 0:
            return None
        try:
            return await self._turns(host, spacing)
        except Exception as exc:  # bookkeeping of politeness must never fail a check
            logger.warning(
                "cannot reserve a request turn for %s in the database (%s);"
                " spacing this process's requests only",
                host,
                exc,
            )
            return None

    def _host(self, host: str) -> _Host:
        state = self._hosts.get(host)
        if state is None:
            state = _Host(semaphore=asyncio.Semaphore(self._per_host), spacing=self._spacing)
            self._hosts[host] = state
        return state
