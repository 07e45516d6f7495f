"""`lexwatch run`: the service. Checks, deliveries, digests, retention and the dashboard.

APScheduler 3 on asyncio, in one process: one interval job per enabled source (with jitter;
first runs spread out so a start never fires every source at once; a source checked recently
before a restart waits for its due time), one run per source at a time, missed runs
coalesced. Cron jobs: the delivery dispatcher every ``alerts.dispatch_interval`` seconds (and
at once after a check stored something to alert), one digest job per digest subscription at
its time in its zone, and retention daily at ``retention.run_at`` UTC.

All jobs share one Checker, so one HTTP client and one HostLimiter: per-host and global
limits hold across every source of the process. Parsing, diffing and classifying run in the
event loop's worker threads (``monitor.pipeline``).

SIGTERM/SIGINT: no new job starts; running checks get ``grace`` seconds to finish (each
stores in one transaction, so a check cut short writes nothing); the dashboard stops; exit 0.
A second signal stops waiting.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import signal
import socket
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger

from monitor.logs import checking
from monitor.pipeline import Checker, utcnow
from monitor.service.heartbeat import FIRST_RUN_SPREAD, HEARTBEAT_SECONDS, Heartbeat, this_process
from monitor.service.lexwatch import Lexwatch
from monitor.types import CheckOutcome, DeliveryMode, Source, Subscription
from notifiers.outbox import Dispatcher

logger = logging.getLogger(__name__)

SHUTDOWN_GRACE_SECONDS = 60.0


def first_run(
    source: Source,
    now: datetime,
    last_check_at: datetime | None = None,
    rng: Callable[[], float] = random.random,
) -> datetime:
    """When a source is first checked after a start.

    At its due time if it was checked within its interval before (a restart does not
    re-check everything); else soon, spread over the interval (at most 10 min) to avoid a herd.
    """
    spread = min(source.interval, FIRST_RUN_SPREAD)
    if last_check_at is not None:
        due = last_check_at + timedelta(seconds=source.interval)
        if due > now:
            return due + timedelta(seconds=rng() * _jitter(source))
    return now + timedelta(seconds=rng() * spread)


def checks_in_flight(app: Lexwatch) -> int:
    """How many checks may be under way at once (fetched bodies wait for the CPU stage).

    Fetches are capped by the limiter already; this bounds the bodies and documents held in
    memory when many checks fall due together (a start after downtime, a herd of 304s).
    """
    return 2 * app.settings.http.global_concurrency


def _jitter(source: Source) -> int:
    return max(1, source.interval // 20)


@dataclass
class Service:
    """The jobs of a running service, and what is in flight when it stops."""

    app: Lexwatch
    checker: Checker
    dispatcher: Dispatcher | None
    clock: Callable[[], datetime] = utcnow
    stopping: bool = False
    checks: set[asyncio.Task[Any]] = field(default_factory=set)
    background: set[asyncio.Task[Any]] = field(default_factory=set)
    _gate: asyncio.Semaphore | None = None
    _dispatching: bool = False
    _again: bool = False

    @contextlib.contextmanager
    def _running(self, tasks: set[asyncio.Task[Any]]) -> Iterator[None]:
        """Track the current task so a shutdown can wait for it."""
        task = asyncio.current_task()
        assert task is not None
        tasks.add(task)
        try:
            yield
        finally:
            tasks.discard(task)

    async def check(self, source: Source) -> None:
        """One scheduled check; what it stored to alert is dispatched at once."""
        if self._gate is None:
            self._gate = asyncio.Semaphore(checks_in_flight(self.app))
        with self._running(self.checks), checking(source.key):
            async with self._gate:
                if self.stopping:  # it waited for its turn while the service was stopping
                    return
                try:
                    result = await self.checker.check(source)
                except Exception:  # a storage outage must not end the service
                    logger.exception("check %s could not be stored", source.key)
                    return
        if result.changes or result.outcome is CheckOutcome.FAILED:
            self.poke()

    def poke(self) -> None:
        """Run the dispatcher soon (an urgent alert must not wait for the next interval)."""
        if self.dispatcher is None or self.stopping:
            return
        task = asyncio.get_running_loop().create_task(self.dispatch(), name="dispatch")
        self.background.add(task)
        task.add_done_callback(self.background.discard)

    async def dispatch(self) -> None:
        """Send what is due; a poke while sending makes it look once more afterwards."""
        if self.dispatcher is None:
            return
        if self._dispatching:
            self._again = True
            return
        self._dispatching = True
        try:
            with self._running(self.background):
                await self._dispatch(self.dispatcher)
        finally:
            self._dispatching = False

    async def _dispatch(self, dispatcher: Dispatcher) -> None:
        try:
            while True:
                self._again = False
                sent = await dispatcher.dispatch_due()
                if sent:
                    logger.info("sent %d alert(s)", sent)
                if not self._again or self.stopping:
                    return
        except Exception:
            logger.exception(
                "the delivery dispatcher failed; it runs again in %d s",
                self.app.settings.alerts.dispatch_interval,
            )

    async def digest(self, name: str) -> None:
        if self.dispatcher is None:
            return
        with self._running(self.background):
            try:
                result = await self.dispatcher.send_digest(name)
            except Exception:
                logger.exception("digest %s failed", name, extra={"subscription": name})
                return
        logger.info(
            "digest %s: %s",
            name,
            f"sent, {result.changes} change(s)"
            if result.sent
            else f"not sent ({result.reason or 'nothing to send'})",
            extra={"subscription": name},
        )

    async def user_digests(self) -> None:
        """The dashboard users' own digests (set on /account), one after another."""
        if self.dispatcher is None:
            return
        with self._running(self.background):
            try:
                results = await self.dispatcher.send_user_digests()
            except Exception:
                logger.exception("users' digests failed")
                return
        for result in results:
            logger.info(
                "digest %s: %s",
                result.subscription,
                f"sent, {result.changes} change(s)"
                if result.sent
                else f"not sent ({result.reason})",
                extra={"subscription": result.subscription},
            )

    async def retention(self) -> None:
        settings = self.app.settings.retention
        with self._running(self.background):
            try:
                report = await asyncio.to_thread(self.app.store.prune, settings, self.clock())
            except Exception:
                logger.exception("retention failed; it runs again tomorrow")
                return
        logger.info(
            "retention: deleted %d check(s), %d snapshot(s) and %d raw response(s) (%d bytes)",
            report.checks,
            report.snapshots,
            report.blobs,
            report.blob_bytes,
        )

    async def drain(self, grace: float, force: asyncio.Event) -> None:
        """Wait up to ``grace`` seconds (or until ``force``) for running checks and sends."""
        self.stopping = True
        running = {task for task in self.checks | self.background if not task.done()}
        if not running:
            return
        logger.info("stopping: waiting up to %.0f s for %d running job(s)", grace, len(running))
        forced = asyncio.create_task(force.wait())
        finished = asyncio.create_task(asyncio.wait(running))
        await asyncio.wait({forced, finished}, timeout=grace, return_when=asyncio.FIRST_COMPLETED)
        forced.cancel()
        finished.cancel()
        still = {task for task in running if not task.done()}
        for task in still:
            task.cancel()
        await asyncio.gather(*still, return_exceptions=True)
        logger.info(
            "%d job(s) finished during shutdown, %d cancelled",
            len(running) - len(still),
            len(still),
        )


def add_source_jobs(
    scheduler: AsyncIOScheduler,
    job: Callable[[Source], Any],
    sources: Sequence[Source],
    now: datetime,
    last_checks: Mapping[str, datetime | None] | None = None,
) -> None:
    """One interval job per source: its interval, jitter, one run at a time, coalesced."""
    last_checks = last_checks or {}
    for source in sources:
        scheduler.add_job(
            job,
            "interval",
            args=[source],
            id=f"check:{source.key}",
            name=f"check {source.key}",
            seconds=source.interval,
            jitter=_jitter(source),
            next_run_time=first_run(source, now, last_checks.get(source.key)),
            max_instances=1,
            coalesce=True,
            misfire_grace_time=max(60, source.interval // 2),
        )


def add_cron_jobs(
    scheduler: AsyncIOScheduler,
    service: Service,
    subscriptions: Iterable[Subscription],
    now: datetime,
) -> None:
    """The dispatcher, one digest per digest subscription, and the daily retention."""
    settings = service.app.settings
    if service.dispatcher is not None:
        scheduler.add_job(
            service.dispatch,
            "interval",
            id="dispatch",
            name="deliveries",
            seconds=settings.alerts.dispatch_interval,
            next_run_time=now,
            max_instances=1,
            coalesce=True,
            misfire_grace_time=settings.alerts.dispatch_interval,
        )
        for sub in subscriptions:
            if sub.mode is DeliveryMode.DIGEST:
                scheduler.add_job(
                    service.digest,
                    CronTrigger(
                        hour=sub.digest_time.hour,
                        minute=sub.digest_time.minute,
                        timezone=ZoneInfo(sub.timezone),
                    ),
                    args=[sub.name],
                    id=f"digest:{sub.name}",
                    name=f"digest {sub.name}",
                    max_instances=1,
                    coalesce=True,
                    misfire_grace_time=3600,
                )
        user_time = settings.dashboard.user_digest_time
        scheduler.add_job(
            service.user_digests,
            CronTrigger(
                hour=user_time.hour,
                minute=user_time.minute,
                timezone=ZoneInfo(settings.dashboard.timezone),
            ),
            id="digest:users",
            name="users' own digests",
            max_instances=1,
            coalesce=True,
            misfire_grace_time=3600,
        )
    run_at = settings.retention.run_at
    scheduler.add_job(
        service.retention,
        CronTrigger(hour=run_at.hour, minute=run_at.minute, timezone=UTC),
        id="retention",
        name="retention",
        max_instances=1,
        coalesce=True,
        misfire_grace_time=3600,
    )


async def run_service(
    app: Lexwatch,
    *,
    dashboard: bool = True,
    checks: bool = True,
    grace: float = SHUTDOWN_GRACE_SECONDS,
) -> None:
    """Run until SIGTERM/SIGINT; in-flight checks get ``grace`` seconds to finish.

    ``checks=False`` leaves checking to others (``lexwatch worker``) and runs the rest.
    Raises ConfigError when the dashboard cannot listen where it is told to.
    """
    serve = dashboard and app.settings.dashboard.enabled
    # Bound before anything starts, so a port in use is a clear error at start.
    sock = _bind(app) if serve else None
    async with (
        _signals() as (stop, force),
        app.checker() as checker,
        _dispatcher(app) as dispatcher,
    ):
        service = Service(app=app, checker=checker, dispatcher=dispatcher)
        heartbeat = Heartbeat(
            app.store, this_process("run", checks=checks, now=service.clock()), service.clock
        )
        await heartbeat.beat()  # `lexwatch status` sees the service from its first second
        scheduler = _scheduler(service, checks=checks)
        scheduler.add_job(
            heartbeat.beat,
            "interval",
            id="heartbeat",
            name="heartbeat",
            seconds=HEARTBEAT_SECONDS,
            max_instances=1,
            coalesce=True,
        )
        scheduler.start()
        web = _Web(app, checker, sock) if sock is not None else None
        _announce(app, checks=checks, dispatcher=dispatcher, web=web is not None)
        failed = await _until_stopped(stop, web)
        logger.info("stopping: no new checks")
        scheduler.pause()
        await service.drain(grace, force)
        scheduler.shutdown(wait=False)
        await heartbeat.stopped()
        if web is not None:
            await web.close()
    if failed is not None:
        raise failed
    logger.info("stopped")


def _scheduler(service: Service, *, checks: bool) -> AsyncIOScheduler:
    now = service.clock()
    scheduler = AsyncIOScheduler(timezone=UTC)
    if checks:
        last = {row.key: row.last_check_at for row in service.app.store.sources()}
        add_source_jobs(scheduler, service.check, service.app.enabled(), now, last)
    add_cron_jobs(scheduler, service, service.app.subscriptions, now)
    return scheduler


def _announce(app: Lexwatch, *, checks: bool, dispatcher: Dispatcher | None, web: bool) -> None:
    parts = [f"checking {len(app.enabled())} source(s)" if checks else "not checking sources"]
    if dispatcher is not None:
        parts.append(f"{len(app.subscriptions)} subscription(s)")
    if web:
        parts.append(
            f"dashboard on http://{app.settings.dashboard.host}:{app.settings.dashboard.port}"
        )
    logger.info("lexwatch is running: %s", "; ".join(parts))


@contextlib.asynccontextmanager
async def _dispatcher(app: Lexwatch) -> AsyncIterator[Dispatcher | None]:
    """The outbox dispatcher, kept open for the service's life (None: no subscriptions)."""
    if not app.subscriptions:
        yield None
        return
    async with app.dispatcher() as dispatcher:
        yield dispatcher


@contextlib.asynccontextmanager
async def _signals() -> AsyncIterator[tuple[asyncio.Event, asyncio.Event]]:
    """``stop`` is set by the first SIGTERM/SIGINT, ``force`` by the second."""
    stop, force = asyncio.Event(), asyncio.Event()
    loop = asyncio.get_running_loop()

    def on_signal(signum: int) -> None:
        if stop.is_set():
            logger.warning("second %s: not waiting any longer", signal.Signals(signum).name)
            force.set()
        stop.set()

    signals = (signal.SIGTERM, signal.SIGINT)
    for signum in signals:
        loop.add_signal_handler(signum, on_signal, signum)
    try:
        yield stop, force
    finally:
        for signum in signals:
            loop.remove_signal_handler(signum)


class _Web:
    """The dashboard, served in this event loop until closed."""

    def __init__(self, app: Lexwatch, checker: Checker, sock: socket.socket) -> None:
        self.stop = asyncio.Event()
        self.task = asyncio.create_task(
            app.serve_dashboard(sock, self.stop, checker), name="dashboard"
        )

    async def close(self) -> None:
        self.stop.set()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.task, timeout=10)


def _bind(app: Lexwatch) -> socket.socket:
    return app.bind_dashboard()


async def _until_stopped(stop: asyncio.Event, web: _Web | None) -> BaseException | None:
    """Wait for a signal; or for the dashboard to fail, returning its error."""
    waiter = asyncio.create_task(stop.wait())
    tasks: set[asyncio.Task[Any]] = {waiter} if web is None else {waiter, web.task}
    await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    waiter.cancel()
    if web is not None and web.task.done() and not stop.is_set():
        error = web.task.exception()
        return error or RuntimeError("the dashboard stopped by itself")
    return None
