"""CLI commands around the service: `lexwatch status`, `lexwatch db prune`, `lexwatch db stats`.

Registered by monitor.cli (``register(main)``).
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import click

from monitor.cli.common import fails_cleanly, open_app, out

if TYPE_CHECKING:  # loaded by the commands that use them (see monitor.cli.common)
    from monitor.app import App
    from storage.retention import PruneReport
    from storage.sizes import DatabaseSize


def register(main: click.Group) -> None:
    """Add `status` to ``main``, and `prune` and `stats` (rows and bytes) to its `db` group."""
    main.add_command(status)
    db = main.commands["db"]
    assert isinstance(db, click.Group)
    db.add_command(db_prune)
    db.add_command(db_stats)


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead.")
@click.option(
    "--limit",
    default=20,
    show_default=True,
    type=click.IntRange(1, 100_000),
    help="How many sources to list under 'next due'.",
)
@click.pass_context
@fails_cleanly
def status(ctx: click.Context, as_json: bool, limit: int) -> None:
    """Is the service checking? What is due, what fails, what waits to be delivered."""
    from monitor.service.status import read_status, render, status_json

    app = open_app(ctx)
    found = read_status(app.store, app.sources, datetime.now(UTC))
    if as_json:
        click.echo(json.dumps(status_json(found), indent=2, ensure_ascii=False))
    else:
        out.print(render(found, limit=limit))


@click.command("prune")
@click.option("--dry-run", is_flag=True, help="Only count what would be deleted.")
@click.option("--json", "as_json", is_flag=True, help="Print the counts as JSON.")
@click.pass_context
@fails_cleanly
def db_prune(ctx: click.Context, dry_run: bool, as_json: bool) -> None:
    """Apply the retention policy now ([retention] in the config; the service does it daily)."""
    app = open_app(ctx)
    report = app.store.prune(app.settings.retention, datetime.now(UTC), dry_run=dry_run)
    if as_json:
        click.echo(json.dumps(asdict(report)))
        return
    out.print(_prune_text(report, app), markup=False, highlight=False)


def _prune_text(report: PruneReport, app: App) -> str:
    limits = app.settings.retention
    verb = "would delete" if report.dry_run else "deleted"
    return (
        f"{verb} {report.checks} check(s) older than {limits.check_days} days,"
        f" {report.snapshots} snapshot(s) older than {limits.snapshot_days} days and"
        f" {report.blobs} raw response(s) older than {limits.raw_days} days"
        f" ({_bytes(report.blob_bytes)}); changes and their evidence are kept"
        + (
            f"; {verb} {report.events} event(s) none of whose changes is left"
            if report.events
            else ""
        )
    )


@click.command("stats")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.pass_context
@fails_cleanly
def db_stats(ctx: click.Context, as_json: bool) -> None:
    """Rows and size of each database table."""
    from storage.sizes import database_size

    size = database_size(open_app(ctx).store.engine)
    if as_json:
        click.echo(json.dumps(_stats_json(size)))
        return
    for table in size.tables:
        out.print(
            f"{table.name:10} {table.rows}"
            + (f"  {_bytes(table.bytes)}" if table.bytes is not None else ""),
            markup=False,
            highlight=False,
        )
    if size.total_bytes is not None:
        out.print(f"{'total':10} {_bytes(size.total_bytes)}", markup=False, highlight=False)


def _stats_json(size: DatabaseSize) -> dict[str, Any]:
    return {
        "tables": {t.name: {"rows": t.rows, "bytes": t.bytes} for t in size.tables},
        "total_bytes": size.total_bytes,
    }


def _bytes(value: int | None) -> str:
    if value is None:
        return "?"
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if value >= scale:
            return f"{value / scale:.1f} {unit}"
    return f"{value} B"
