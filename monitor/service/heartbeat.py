"""The service's heartbeat: how `lexwatch status` knows whether a service is checking.

A running `lexwatch run` (and the scale-out `lexwatch scheduler`) stamps its row in the
database every ``HEARTBEAT_SECONDS``, and marks it stopped when it stops cleanly. A row not
stamped for ``STALE_AFTER`` is a process that died (SIGKILL, power loss, out of memory). Check
rows alone cannot say this: a service stopped a minute ago and a running one whose sources
are all due in six hours look the same.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Callable
from datetime import datetime, timedelta

from monitor.types import ServiceProcess
from storage.store import Store

logger = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 30
STALE_AFTER = timedelta(seconds=3 * HEARTBEAT_SECONDS)  # two beats missed: it is gone
# The most a never-checked source waits after a start (the first checks are spread out).
FIRST_RUN_SPREAD = 600


def this_process(role: str, *, checks: bool, now: datetime) -> ServiceProcess:
    host, pid = socket.gethostname(), os.getpid()
    return ServiceProcess(
        id=f"{host}:{pid}:{now:%Y%m%dT%H%M%S.%f}",
        role=role,
        checks=checks,
        host=host,
        pid=pid,
        started_at=now,
    )


class Heartbeat:
    """Stamps ``process`` alive in ``store``; a failed stamp is logged, never raised."""

    def __init__(
        self, store: Store, process: ServiceProcess, clock: Callable[[], datetime]
    ) -> None:
        self.store = store
        self.process = process
        self.clock = clock

    async def beat(self) -> None:
        try:
            await asyncio.to_thread(self.store.beat, self.process, self.clock())
        except Exception as exc:  # a database outage must not end the service
            logger.warning("could not record the service's heartbeat: %s", exc)

    async def stopped(self) -> None:
        try:
            await asyncio.to_thread(self.store.stop_beating, self.process.id, self.clock())
        except Exception as exc:
            logger.warning("could not record that the service stopped: %s", exc)
