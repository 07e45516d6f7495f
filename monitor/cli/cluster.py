"""`lexwatch scheduler` and `lexwatch worker`: scale-out on PostgreSQL (monitor.service.cluster)."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

import click

from monitor.cli.common import fails_cleanly, out, service_logging, settings_of

if TYPE_CHECKING:  # procrastinate and the app load only when these commands run
    from monitor.app import App


def register(main: click.Group) -> None:
    """Add `scheduler` and `worker` to the `lexwatch` group."""
    main.add_command(scheduler)
    main.add_command(worker)


def _start(ctx: click.Context, *, fetches: bool = False) -> App:
    from monitor.app import App, warn_without_contact
    from monitor.service.cluster import start

    settings = settings_of(ctx)
    service_logging(ctx, settings)
    if logging.getLogger().level > logging.DEBUG:  # procrastinate's per-job lines stay quiet
        logging.getLogger("procrastinate").setLevel(logging.WARNING)
    app = start(settings, App.start)
    ctx.call_on_close(app.close)
    if fetches:
        warn_without_contact(settings)
    return app


@click.command()
@click.option(
    "--once",
    is_flag=True,
    help="Queue one round of due checks (and a dispatch), then exit (for cron).",
)
@click.option(
    "--tick",
    default=1.0,
    show_default=True,
    type=click.FloatRange(0.05, 60),
    help="Seconds between looks at what is due.",
)
@click.option(
    "--recover-every",
    default=30.0,
    show_default=True,
    type=click.FloatRange(0.1, 3600),
    help="Seconds between looks for jobs left by dead workers.",
)
@click.option(
    "--stalled-after",
    default=30.0,
    show_default=True,
    type=click.FloatRange(1, 86400),
    help="A worker without a heartbeat for this long is dead; its jobs are"
    " queued again (keep it above the workers' --heartbeat).",
)
@click.pass_context
@fails_cleanly
def scheduler(
    ctx: click.Context, once: bool, tick: float, recover_every: float, stalled_after: float
) -> None:
    """Queue due checks, deliveries, digests and retention for `lexwatch worker` (PostgreSQL)."""
    from monitor.service.cluster import SchedulerOptions, run_scheduler

    app = _start(ctx)
    options = SchedulerOptions(tick=tick, recover_every=recover_every, stalled_after=stalled_after)
    queued = asyncio.run(run_scheduler(app, options, once=once))
    if once:
        out.print(f"queued {queued} check(s) of {len(app.enabled())} enabled source(s)")


@click.command()
@click.option(
    "--concurrency",
    "-n",
    default=8,
    show_default=True,
    type=click.IntRange(1, 256),
    help="Jobs this worker runs at the same time.",
)
@click.option(
    "--wait/--no-wait",
    default=True,
    show_default=True,
    help="--no-wait: exit once the queues are empty (batch use).",
)
@click.option(
    "--grace",
    default=60.0,
    show_default=True,
    type=click.FloatRange(0, 3600),
    help="On SIGTERM, seconds running jobs get to finish before they are"
    " cancelled and queued again.",
)
@click.option(
    "--heartbeat",
    default=10.0,
    show_default=True,
    type=click.FloatRange(0.1, 600),
    help="Seconds between this worker's heartbeats.",
)
@click.pass_context
@fails_cleanly
def worker(
    ctx: click.Context, concurrency: int, wait: bool, grace: float, heartbeat: float
) -> None:
    """Run queued checks and deliveries; start one or more on any machine (needs PostgreSQL)."""
    from monitor.service.cluster import WorkerOptions, run_worker

    app = _start(ctx, fetches=True)
    options = WorkerOptions(concurrency=concurrency, wait=wait, grace=grace, heartbeat=heartbeat)
    asyncio.run(run_worker(app, options))
