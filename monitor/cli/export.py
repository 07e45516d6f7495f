"""`lexwatch export`: events as CSV or XLSX (the dashboard's filters), an event's evidence pack.

The files are the dashboard's downloads (dashboard.exports, dashboard.packs), byte for byte
the same pack; links point under ``alerts.dashboard_url`` (relative paths without it).
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, TypeVar

import click

from monitor.cli.common import err, fails_cleanly, open_app
from monitor.errors import LexwatchError
from monitor.types import Category, Severity

if TYPE_CHECKING:  # loaded by the commands that use them (see monitor.cli.common)
    from dashboard.exports import Links
    from monitor.app import App

T = TypeVar("T")
STATES = ["new", "in_review", "actioned", "dismissed", "open", "all"]


def register(main: click.Group) -> None:
    main.add_command(export)


@click.group()
def export() -> None:
    """Audit exports: events as a spreadsheet, one event's evidence pack."""


@export.command("events")
@click.option(
    "--format",
    "kind",
    type=click.Choice(["csv", "xlsx"]),
    help="File format (default: from the file name's suffix, else csv).",
)
@click.option(
    "--state",
    type=click.Choice(STATES),
    help="Only events in this triage state (open: new or in review; default: all).",
)
@click.option("--assignee", help="Only events assigned to this user ('-': to nobody).")
@click.option("--source", help="Only events seen on this source (key).")
@click.option("--tag", help="Only events seen on a source with this tag.")
@click.option("--category", type=click.Choice([c.value for c in Category]))
@click.option("--severity", type=click.Choice([s.value for s in Severity]))
@click.option("--since", help="Last detected on or after this date (YYYY-MM-DD) or ISO time.")
@click.option("--until", help="Last detected on or before this date (whole day) or before a time.")
@click.option("--text", help="Only events with this text in their title or summary.")
@click.option("--include-noise", is_flag=True, help="Also events of noise only, and editorial.")
@click.option(
    "--output",
    "-o",
    required=True,
    type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
    help="The file to write ('-': standard output, CSV only).",
)
@click.pass_context
@fails_cleanly
def export_events(
    ctx: click.Context,
    kind: str | None,
    output: Path,
    state: str | None,
    assignee: str | None,
    source: str | None,
    tag: str | None,
    category: str | None,
    severity: str | None,
    since: str | None,
    until: str | None,
    text: str | None,
    include_noise: bool,
) -> None:
    """Export events (one row each) with the dashboard's filters, for auditors.

    \b
    lexwatch export events --state in_review -o review.xlsx
    lexwatch export events --since 2026-01-01 --tag ai-act -o events.csv
    """
    from dashboard import exports
    from dashboard.params import lower_bound, upper_bound
    from storage.browse import ChangeQuery
    from storage.event_browse import EventQuery, assignee_named, states_named

    kind = kind or ("xlsx" if output.suffix.lower() == ".xlsx" else "csv")
    if kind == "xlsx" and str(output) == "-":
        raise click.BadParameter("XLSX cannot go to standard output", param_hint="--output")
    app = open_app(ctx)
    zone = app.settings.dashboard.timezone
    changes = ChangeQuery(
        source=source,
        tag=tag,
        category=category,
        severity=severity,
        since=lower_bound(_point(since, "--since"), zone),
        until=upper_bound(_point(until, "--until"), zone),
        text=text,
        include_noise=include_noise,
    )
    where = EventQuery(
        changes=changes, states=states_named(state), assignee=assignee_named(assignee)
    )
    links = _links(app)
    batches = app.store.reader.export_events(where)
    if kind == "csv":
        count = _written(output, lambda out: exports.write_csv(batches, links, out))
    else:
        about = [("exported at (UTC)", f"{datetime.now(UTC):%Y-%m-%dT%H:%M:%SZ}")]
        about += [("exported by", "lexwatch export"), *exports.describe(where)]
        count = _written(output, lambda out: exports.write_xlsx(batches, links, out, about=about))
    err.print(f"wrote {count} event(s) to {output}", markup=False)


@export.command("pack")
@click.argument("event_id", type=click.IntRange(1))
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The zip to write (default: lexwatch-event-ID.zip here).",
)
@click.pass_context
@fails_cleanly
def export_pack(ctx: click.Context, event_id: int, output: Path | None) -> None:
    """Write one event's evidence pack: its JSON, diffs and raw responses, with SHA-256s.

    Check it with: unzip FILE.zip && cd lexwatch-event-ID && sha256sum -c SHA256SUMS
    """
    from dashboard import packs

    app = open_app(ctx)
    reader = app.store.reader
    pack = reader.event_pack(event_id)
    if pack is None:
        raise LexwatchError(f"no event with id {event_id}; the dashboard's events list has them")
    target = output or Path(f"{packs.pack_name(event_id)}.zip")
    paths = _written(target, lambda out: packs.write_pack(pack, reader.blob, _links(app), out))
    err.print(f"wrote {target}: {len(paths)} files", markup=False)


def _point(value: str | None, option: str) -> date | datetime | None:
    from dashboard.params import parse_point

    try:
        return parse_point(value) if value else None
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint=option) from None


def _links(app: App) -> Links:
    from dashboard.exports import Links

    base = app.settings.alerts.dashboard_url
    if not base:
        err.print(
            "note: alerts.dashboard_url is not set, so links are paths (/events/1)", markup=False
        )
    return Links(base=base or "")


def _written(target: Path, write: Callable[[IO[bytes]], T]) -> T:
    """Write through ``write`` to ``target`` whole or not at all ('-': standard output)."""
    if str(target) == "-":
        return write(sys.stdout.buffer)
    folder = target.resolve().parent
    try:
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{target.name}.")
    except OSError as exc:
        raise LexwatchError(f"cannot write {target}: {exc.strerror or exc}") from exc
    try:
        with os.fdopen(handle, "wb") as out:
            result = write(out)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return result
