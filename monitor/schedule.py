"""`lexwatch run`: check every enabled source on its interval, in one process.

APScheduler 3 on asyncio: one interval job per source, with jitter; first runs spread over
the interval so a start never fires every source at once; one run per source at a time;
missed runs coalesced. SIGTERM/SIGINT stop scheduling and let running checks finish.
"""

from __future__ import annotations

import asyncio
import logging
import random
import signal
from collections.abc import Callable
from datetime import datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from monitor.app import App
from monitor.pipeline import Checker, utcnow
from monitor.types import Source

logger = logging.getLogger(__name__)

SHUTDOWN_GRACE_SECONDS = 60.0


def first_run(source: Source, now: datetime, rng: Callable[[], float] = random.random) -> datetime:
    """A start time spread over the first interval (capped at 10 min) to avoid a herd."""
    return now + timedelta(seconds=rng() * min(source.interval, 600))


def add_source_jobs(scheduler: AsyncIOScheduler, checker: Checker, sources: list[Source],
                    now: datetime) -> None:
    for source in sources:
        scheduler.add_job(
            checker.check, "interval", args=[source], id=f"check:{source.key}",
            name=f"check {source.key}",
            seconds=source.interval, jitter=max(1, source.interval // 20),
            next_run_time=first_run(source, now), max_instances=1, coalesce=True,
            misfire_grace_time=max(60, source.interval // 2),
        )


async def run_service(app: App) -> None:
    """Run until SIGTERM/SIGINT; in-flight checks get a bounded time to finish."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    async with app.checker() as checker:
        scheduler = AsyncIOScheduler(timezone="UTC")
        add_source_jobs(scheduler, checker, app.enabled(), utcnow())
        scheduler.start()
        logger.info("lexwatch is watching %d source(s)", len(app.enabled()))
        await stop.wait()
        logger.info("stopping: no new checks; waiting for running ones")
        scheduler.shutdown(wait=False)
        await _drain(SHUTDOWN_GRACE_SECONDS)
    logger.info("stopped")


async def _drain(grace: float) -> None:
    """Wait for the checks still running (they store in one transaction each)."""
    current = asyncio.current_task()
    pending = [task for task in asyncio.all_tasks() if task is not current]
    if not pending:
        return
    done, still = await asyncio.wait(pending, timeout=grace)
    for task in still:
        task.cancel()
    logger.info("%d check(s) finished during shutdown, %d cancelled", len(done), len(still))
