"""Scale-out on PostgreSQL: a scheduler queues jobs, workers on any machines run them.

procrastinate keeps the job queue in lexwatch's own PostgreSQL database. ``lexwatch
scheduler`` queues one ``check(source_key)`` job per due source, with a queueing lock per
source so a slow source is never queued twice; a ``dispatch`` job every
``alerts.dispatch_interval`` seconds; each digest at its time and the retention daily. It
hands the jobs of dead workers (no heartbeat) back to the queue, and a second scheduler
stands by until the active one is gone. ``lexwatch worker`` runs the jobs with the same
``Checker.check`` as ``lexwatch check``, keeping one App and one Checker (one HTTP client,
one politeness state) for its whole life.

A check re-run after its result was committed finds the stored snapshot and reports
"unchanged" (or a 304), so a retried job never stores a Change twice; the job lock per
source keeps two checks of one source from running at the same time.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import procrastinate
import psycopg
from apscheduler.triggers.cron import CronTrigger
from procrastinate import JobContext, PsycopgConnector, RetryStrategy
from procrastinate.exceptions import AlreadyEnqueued, ConnectorException, UniqueViolation
from procrastinate.jobs import Status
from procrastinate.schema import SchemaManager
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from monitor.config import Settings
from monitor.errors import ConfigError, LexwatchError, StorageError
from monitor.pipeline import Checker, utcnow
from monitor.service.heartbeat import HEARTBEAT_SECONDS, Heartbeat, this_process
from monitor.service.lexwatch import Lexwatch
from monitor.service.schedule import first_run
from monitor.types import DeliveryMode
from storage.revision import normalise_url

logger = logging.getLogger(__name__)

A = TypeVar("A")

CHECK_TASK = "lexwatch.check"
DISPATCH_TASK = "lexwatch.dispatch"
DIGEST_TASK = "lexwatch.digest"
RETENTION_TASK = "lexwatch.retention"
CHECK_QUEUE, DISPATCH_QUEUE = "checks", "dispatch"
QUEUES = (CHECK_QUEUE, DISPATCH_QUEUE)
# Bounded exponential retry: 2, 4, 8, 16, 32 s, then the job is marked failed.
CHECK_RETRY = RetryStrategy(max_attempts=5, exponential_wait=2)
_RUNTIME = "lexwatch"  # key of the worker's Runtime in procrastinate's job context
# Arbitrary constant: the PostgreSQL advisory lock that serialises lexwatch start-ups.
_START_LOCK = 0x6C657877
_SCHEDULER_LOCK = _START_LOCK + 1  # held by the one active scheduler


def conninfo(database_url: str) -> str:
    """The libpq connection string for ``database_url``; PostgreSQL only."""
    try:
        url = make_url(normalise_url(database_url))
    except ArgumentError as exc:
        raise ConfigError(f"database_url {database_url!r} is not a database URL: {exc}") from exc
    if url.get_backend_name() != "postgresql":
        shown = url.render_as_string(hide_password=True)
        raise ConfigError(
            f"scale-out needs PostgreSQL; database_url is {shown}"
            ' (set database_url = "postgresql://USER@HOST/DB")'
        )
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def start(settings: Settings, open_app: Callable[[Settings], A]) -> A:
    """``open_app(settings)`` (``App.start``), with lexwatch's and the queue's schemas in place.

    Several workers may start at once against a new database: an advisory lock makes them
    migrate and sync the sources one after the other.
    """
    info = conninfo(settings.database_url)
    try:
        with psycopg.connect(info, autocommit=True, connect_timeout=10) as connection:
            connection.execute("SELECT pg_advisory_lock(%s)", (_START_LOCK,))
            app = open_app(settings)
            _ensure_queue_schema(connection)
    except psycopg.Error as exc:
        shown = make_url(info).render_as_string(hide_password=True)
        raise StorageError(f"cannot prepare the job queue in {shown}: {exc}") from exc
    return app


def _ensure_queue_schema(connection: psycopg.Connection[Any]) -> None:
    row = connection.execute("SELECT to_regclass('procrastinate_jobs') IS NOT NULL").fetchone()
    if row is not None and row[0]:
        return
    logger.info("creating the job queue tables (procrastinate)")
    with connection.transaction():
        connection.execute(SchemaManager.get_schema())


def queue_app(settings: Settings, *, pool_size: int = 4) -> procrastinate.App:
    """A procrastinate App over lexwatch's database, with lexwatch's tasks registered."""
    connector = PsycopgConnector(
        conninfo=conninfo(settings.database_url), min_size=1, max_size=pool_size
    )
    queue = procrastinate.App(connector=connector)
    queue.task(name=CHECK_TASK, queue=CHECK_QUEUE, pass_context=True, retry=CHECK_RETRY)(check_job)
    queue.task(name=DISPATCH_TASK, queue=DISPATCH_QUEUE, pass_context=True)(dispatch_job)
    queue.task(name=DIGEST_TASK, queue=DISPATCH_QUEUE, pass_context=True)(digest_job)
    queue.task(name=RETENTION_TASK, queue=DISPATCH_QUEUE, pass_context=True)(retention_job)
    return queue


# -- the jobs ---------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True, slots=True)
class Runtime:
    """What a worker keeps for its whole life and shares between its jobs."""

    app: Lexwatch
    checker: Checker


def _runtime(context: JobContext) -> Runtime:
    runtime = context.additional_context.get(_RUNTIME)
    if not isinstance(runtime, Runtime):
        raise LexwatchError("this job needs a lexwatch worker (`lexwatch worker`)")
    return runtime


async def check_job(context: JobContext, source_key: str) -> str:
    """Check one source, exactly as `lexwatch check KEY` does; returns the outcome."""
    runtime = _runtime(context)
    source = runtime.app.sources.get(source_key)
    if source is None or not source.enabled:
        # The scheduler's config knows a source this worker's does not: nothing to retry.
        logger.warning(
            "check %s skipped: not an enabled source in this worker's config", source_key
        )
        return "skipped"
    try:
        result = await runtime.checker.check(source)
    except Exception:
        # procrastinate logs retries quietly; the reason must reach the operator.
        logger.exception("check %s raised; the job will be retried (bounded)", source_key)
        raise
    return result.outcome.value


async def dispatch_job(context: JobContext) -> int:
    """Send the outbox's due deliveries; returns how many were attempted."""
    runtime = _runtime(context)
    async with runtime.app.dispatcher() as dispatcher:
        return await dispatcher.dispatch_due()


async def digest_job(context: JobContext, name: str) -> str:
    """Send subscription ``name``'s digest of everything pending; returns what happened."""
    runtime = _runtime(context)
    if name not in {sub.name for sub in runtime.app.subscriptions}:
        logger.warning("digest %s skipped: no such subscription in this worker's config", name)
        return "skipped"
    async with runtime.app.dispatcher() as dispatcher:
        result = await dispatcher.send_digest(name)
    outcome = (
        f"sent, {result.changes} change(s)"
        if result.sent
        else f"not sent ({result.reason or 'nothing to send'})"
    )
    logger.info("digest %s: %s", name, outcome)
    return outcome


async def retention_job(context: JobContext) -> str:
    """Delete old checks, snapshots and raw bodies (never the evidence of a Change)."""
    app = _runtime(context).app
    report = await asyncio.to_thread(app.store.prune, app.settings.retention, utcnow())
    outcome = (
        f"deleted {report.checks} check(s), {report.snapshots} snapshot(s),"
        f" {report.blobs} raw response(s)"
    )
    logger.info("retention: %s", outcome)
    return outcome


# -- the worker -------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True, slots=True)
class WorkerOptions:
    concurrency: int = 8
    wait: bool = True  # False: stop once the queues are empty
    grace: float = 60.0  # seconds in-flight jobs get to finish on SIGTERM
    heartbeat: float = 10.0  # seconds between heartbeats (see SchedulerOptions.stalled_after)


async def run_worker(app: Lexwatch, options: WorkerOptions) -> None:
    """Run jobs until SIGTERM/SIGINT (or, without ``wait``, until the queues are empty).

    On a stop signal no new job starts; running ones get ``grace`` seconds, then they are
    cancelled and put back in the queue (their checks stored nothing).
    """
    queue = queue_app(app.settings, pool_size=min(options.concurrency, 8) + 2)
    name = f"lexwatch@{socket.gethostname()}:{os.getpid()}"
    async with queue.open_async(), app.checker() as checker:
        logger.info(
            "worker %s: %d job(s) at a time on queues %s",
            name,
            options.concurrency,
            ", ".join(QUEUES),
        )
        await queue.run_worker_async(
            queues=list(QUEUES),
            name=name,
            concurrency=options.concurrency,
            wait=options.wait,
            shutdown_graceful_timeout=options.grace,
            update_heartbeat_interval=options.heartbeat,
            stalled_worker_timeout=max(30.0, 3 * options.heartbeat),
            delete_jobs="successful",
            additional_context={_RUNTIME: Runtime(app=app, checker=checker)},
        )
    logger.info("worker %s stopped", name)


# -- the scheduler ----------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True, slots=True)
class SchedulerOptions:
    tick: float = 1.0  # seconds between looks at what is due
    recover_every: float = 30.0  # seconds between looks for jobs of dead workers
    stalled_after: float = 30.0  # a worker silent this long is dead (> worker heartbeat)


@dataclass
class Cron:
    """A job queued at the fire times of a cron trigger: a digest, the retention."""

    task: str
    lock: str
    trigger: CronTrigger
    kwargs: dict[str, str] = field(default_factory=dict)
    next: datetime | None = None


def crons(app: Lexwatch, now: datetime) -> list[Cron]:
    """One cron per digest subscription (its time, its zone), and the daily retention."""
    found = [
        Cron(
            task=DIGEST_TASK,
            lock=f"digest:{sub.name}",
            kwargs={"name": sub.name},
            trigger=CronTrigger(
                hour=sub.digest_time.hour,
                minute=sub.digest_time.minute,
                timezone=ZoneInfo(sub.timezone),
            ),
        )
        for sub in app.subscriptions
        if sub.mode is DeliveryMode.DIGEST
    ]
    run_at = app.settings.retention.run_at
    found.append(
        Cron(
            task=RETENTION_TASK,
            lock="retention",
            trigger=CronTrigger(hour=run_at.hour, minute=run_at.minute, timezone=UTC),
        )
    )
    for cron in found:
        cron.next = cron.trigger.get_next_fire_time(None, now)
    return found


@dataclass
class Scheduler:
    """Defers the due checks, deliveries, digests and retention; recovers stalled jobs."""

    app: Lexwatch
    queue: procrastinate.App
    options: SchedulerOptions = field(default_factory=SchedulerOptions)
    next_due: dict[str, datetime] = field(default_factory=dict)
    crons: list[Cron] = field(default_factory=list)

    async def plan(self, *, spread: bool) -> None:
        """When each enabled source is due: its last check + interval (an overdue one now:
        the queue absorbs a burst); never checked, now or, with ``spread``, spread over its
        interval as `lexwatch run` does."""
        rows = await asyncio.to_thread(self.app.store.sources)
        last = {row.key: row.last_check_at for row in rows}
        now = utcnow()
        for source in self.app.enabled():
            checked = last.get(source.key)
            if checked is not None:
                self.next_due[source.key] = checked + timedelta(seconds=source.interval)
            else:
                self.next_due[source.key] = first_run(source, now) if spread else now

    async def defer_due(self) -> int:
        """Defer a check for each due source; returns how many were newly queued."""
        deferred, now = 0, utcnow()
        for source in self.app.enabled():
            if self.next_due.get(source.key, now) > now:
                continue
            # lock: never two checks of one source at once (a recovered job and a new one).
            deferred += await self._defer(
                CHECK_TASK, f"check:{source.key}", {"source_key": source.key}, serial=True
            )
            self.next_due[source.key] = now + timedelta(seconds=source.interval)
        if deferred:
            logger.info("queued %d check(s)", deferred)
        return deferred

    async def defer_dispatch(self) -> int:
        return await self._defer(DISPATCH_TASK, "dispatch")

    async def defer_crons(self) -> int:
        """Defer the digests and the retention whose time has come."""
        queued, now = 0, utcnow()
        for cron in self.crons:
            if cron.next is None or cron.next > now:
                continue
            queued += await self._defer(cron.task, cron.lock, cron.kwargs)
            cron.next = cron.trigger.get_next_fire_time(cron.next, now)
        return queued

    async def _defer(
        self, task: str, lock: str, kwargs: dict[str, str] | None = None, *, serial: bool = False
    ) -> int:
        """Queue ``task`` unless a job with the same queueing lock still waits; 1 if queued."""
        try:
            await self.queue.configure_task(
                task, queueing_lock=lock, lock=lock if serial else None
            ).defer_async(**(kwargs or {}))
        except AlreadyEnqueued:
            logger.info("%s is still waiting in the queue: not queued again", lock)
            return 0
        return 1

    async def recover(self) -> int:
        """Put the jobs of workers that stopped sending heartbeats back in the queue."""
        manager = self.queue.job_manager
        stalled = list(
            await manager.get_stalled_jobs(seconds_since_heartbeat=self.options.stalled_after)
        )
        for job in stalled:
            assert job.id is not None
            try:
                await manager.retry_job(job)
                logger.warning(
                    "job %s (%s) of a dead worker is queued again", job.id, job.call_string
                )
            except UniqueViolation:
                # A newer job for the same source is already queued: this one is redundant.
                await manager.finish_job_by_id_async(
                    job.id, status=Status.ABORTED, delete_job=False
                )
        return len(stalled)

    async def once(self) -> int:
        """One round: recover stalled jobs, queue every due check and a dispatch."""
        await self.recover()
        await self.plan(spread=False)
        deferred = await self.defer_due()
        await self.defer_dispatch()
        return deferred

    async def run(self, stop: asyncio.Event) -> None:
        """Defer due work every ``tick`` until ``stop`` is set."""
        await self.plan(spread=True)
        self.crons = crons(self.app, utcnow())
        logger.info("scheduling %d source(s)", len(self.next_due))
        dispatch_every = float(self.app.settings.alerts.dispatch_interval)
        next_dispatch = next_recover = next_beat = time.monotonic()
        heartbeat = Heartbeat(
            self.app.store, this_process("scheduler", checks=True, now=utcnow()), utcnow
        )
        while not stop.is_set():
            if time.monotonic() >= next_beat:
                await heartbeat.beat()
                next_beat = time.monotonic() + HEARTBEAT_SECONDS
            try:
                await self.defer_due()
                await self.defer_crons()
                if time.monotonic() >= next_dispatch:
                    await self.defer_dispatch()
                    next_dispatch = time.monotonic() + dispatch_every
                if time.monotonic() >= next_recover:
                    await self.recover()
                    next_recover = time.monotonic() + self.options.recover_every
            except (ConnectorException, StorageError) as exc:
                # The database went away for a moment: keep going, the next tick retries.
                logger.warning("scheduler round failed: %s", exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.options.tick)
        await heartbeat.stopped()


@contextlib.asynccontextmanager
async def leadership(
    database_url: str, stop: asyncio.Event, poll: float = 5.0
) -> AsyncIterator[bool]:
    """Hold the one-active-scheduler lock; True once held, False if stopped while waiting.

    A second scheduler stands by and takes over when the active one's connection ends
    (its process died), so schedulers can run on two machines for availability.
    """
    try:
        opened = await psycopg.AsyncConnection.connect(conninfo(database_url), autocommit=True)
    except psycopg.Error as exc:
        raise StorageError(f"cannot reach the database for the scheduler lock: {exc}") from exc
    async with opened as connection:
        waiting = False
        while not stop.is_set():
            cursor = await connection.execute("SELECT pg_try_advisory_lock(%s)", (_SCHEDULER_LOCK,))
            row = await cursor.fetchone()
            if row is not None and row[0]:
                if waiting:
                    logger.warning("the active scheduler is gone: this one takes over")
                yield True
                return
            if not waiting:
                logger.info("another scheduler is active: standing by")
                waiting = True
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), poll)
        yield False


async def run_scheduler(app: Lexwatch, options: SchedulerOptions, *, once: bool = False) -> int:
    """Run the scheduler until SIGTERM/SIGINT, or one round with ``once``.

    Returns the number of checks queued by the single round (0 when running on).
    """
    queue = queue_app(app.settings, pool_size=2)
    async with queue.open_async():
        scheduler = Scheduler(app=app, queue=queue, options=options)
        if once:
            return await scheduler.once()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        async with leadership(app.settings.database_url, stop) as active:
            if active:
                await scheduler.run(stop)
        logger.info("scheduler stopped")
    return 0
