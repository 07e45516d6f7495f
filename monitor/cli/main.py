"""The `lexwatch` command.

Exit status: 0 all went well; 1 at least one check failed; 2 bad usage or configuration;
3 the database could not be used.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from monitor import __version__
from monitor.cli.common import (
    Context,
    err,
    fails_cleanly,
    open_app,
    out,
    print_table,
    service_logging,
    settings_of,
    since_value,
)
from monitor.errors import LexwatchError
from monitor.types import CheckOutcome, Source

# Each command imports what it uses when it runs (see monitor.cli.common).
if TYPE_CHECKING:
    from monitor.app import App
    from monitor.config import Settings
    from monitor.pipeline import Checker, CheckResult
    from storage.models import ChangeRow, DeadlineRow, SourceRow


@click.group()
@click.version_option(__version__, prog_name="lexwatch")
@click.option(
    "--config",
    "-c",
    type=click.Path(dir_okay=False, path_type=Path),
    help="TOML config file (default: $LEXWATCH_CONFIG or ./lexwatch.toml).",
)
@click.option(
    "--replay",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    help="Serve documents recorded by `lexwatch record` instead of the network.",
)
@click.option(
    "--log-level",
    default="WARNING",
    show_default=True,
    type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False),
)
@click.pass_context
def main(ctx: click.Context, config: Path | None, replay: Path | None, log_level: str) -> None:
    """lexwatch watches EU AI-regulation publications and says what changed."""
    logging.basicConfig(
        level=log_level.upper(),
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # Per-request and per-migration lines drown the ones that matter.
    for chatty in ("httpx", "alembic", "apscheduler"):
        logging.getLogger(chatty).setLevel(max(logging.WARNING, logging.getLogger().level))
    ctx.obj = Context(config=config, replay=replay)


@main.command()
@click.argument("keys", nargs=-1)
@click.option("--all", "check_all", is_flag=True, help="Check every enabled source.")
@click.option("--dry-run", is_flag=True, help="Fetch, parse and diff, but store nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
@click.option(
    "--no-alerts", is_flag=True, help="Store the alerts in the outbox but do not send them now."
)
@click.pass_context
@fails_cleanly
def check(
    ctx: click.Context,
    keys: tuple[str, ...],
    check_all: bool,
    dry_run: bool,
    as_json: bool,
    no_alerts: bool,
) -> None:
    """Check sources now, show what changed since the last check, and send its alerts.

    A page with follow_documents is followed by the documents it links to ("└ KEY/doc/...").
    """
    if not keys and not check_all:
        raise click.UsageError("name the sources to check (see `lexwatch sources`) or use --all")
    settings = settings_of(ctx)
    results = (
        []
        if check_all and _nothing_to_do(settings)
        else _run_checks(
            ctx,
            settings,
            None if check_all else keys,
            dry_run=dry_run,
            as_json=as_json,
            no_alerts=no_alerts,
        )
    )
    if as_json:
        click.echo(json.dumps([_result_json(r) for r in results], indent=2, ensure_ascii=False))
    elif results:
        _print_results(results, dry_run=dry_run)
    else:  # one line, not an empty table (and rich is not loaded for it: cron runs this)
        click.echo("nothing to check: no source is enabled (see `lexwatch sources`)")
    # Not console.with_documents: rich loads only for a table to print.
    if any(each.outcome is CheckOutcome.FAILED for r in results for each in (r, *r.documents)):
        sys.exit(1)


def _nothing_to_do(settings: Settings) -> bool:
    """True when the configuration has no source and no subscription, and the database is
    current: then `check --all` would open it only to find nothing to check and nothing to
    send. Told without SQLAlchemy, the models or the catalog (a cron line pays for its imports
    at every run); anything else goes the full way (``_run_checks``)."""
    from dashboard.roles import check_roles
    from storage.revision import is_current

    if settings.builtin_catalog or settings.sources or settings.subscriptions:
        return False
    check_roles(settings.dashboard)  # what a start would refuse, this run refuses too
    return is_current(settings.database_url)


def _run_checks(
    ctx: click.Context,
    settings: Settings,
    keys: tuple[str, ...] | None,
    *,
    dry_run: bool,
    as_json: bool,
    no_alerts: bool,
) -> list[CheckResult]:
    """Open the app, check the named sources (None: every enabled one), send what is due."""
    from monitor.app import warn_without_contact

    app = open_app(ctx, settings)
    sources = app.enabled() if keys is None else app.select(keys)
    if sources:
        warn_without_contact(app.settings)
        _said_in_the_table()
    results = (
        asyncio.run(_check_all(app, sources, dry_run=dry_run, progress=not as_json))
        if sources
        else []
    )
    if app.subscriptions and not (dry_run or no_alerts):
        _send_alerts(app)
    return results


def _said_in_the_table() -> None:
    """Failed checks are printed in the results (table or JSON): not also as log lines."""
    from monitor.pipeline import CHECK_FAILED

    logging.getLogger("monitor.pipeline").addFilter(
        lambda record: not getattr(record, CHECK_FAILED, False)
    )


async def _check_all(
    app: App, sources: Sequence[Source], *, dry_run: bool, progress: bool
) -> list[CheckResult]:
    async with app.checker() as checker:
        if len(sources) < 2 or not progress or not err.is_terminal:
            return list(await asyncio.gather(*(checker.check(s, dry_run=dry_run) for s in sources)))
        return await _with_progress(checker, sources, dry_run=dry_run)


def _send_alerts(app: App) -> None:
    """Send what is due in the outbox (this run's alerts, and earlier ones still pending)."""
    from monitor.cli.alerts import send_due

    sent = asyncio.run(send_due(app))
    pending = app.store.delivery_counts().get("pending", 0)
    if sent or pending:
        err.print(f"{sent} alert(s) sent, {pending} waiting (digests and retries)", markup=False)


async def _with_progress(
    checker: Checker, sources: Sequence[Source], *, dry_run: bool
) -> list[CheckResult]:
    from rich.progress import Progress

    with Progress(console=err, transient=True) as bar:
        task = bar.add_task("checking", total=len(sources))

        async def one(source: Source) -> CheckResult:
            result = await checker.check(source, dry_run=dry_run)
            bar.advance(task)
            return result

        return list(await asyncio.gather(*(one(s) for s in sources)))


def _print_results(results: Sequence[CheckResult], *, dry_run: bool) -> None:
    from monitor import console

    print_table(console.check_table(results))
    for line in console.change_lines(console.with_documents(results)):
        out.print(line)
    if dry_run:
        out.print("dry run: nothing was stored", style="dim")


def _result_json(result: CheckResult) -> dict[str, Any]:
    documents = (
        {"documents": [_result_json(d) for d in result.documents]} if (result.documents) else {}
    )
    title = {"title": result.title} if result.title else {}
    return {
        **title,
        **documents,
        "source": result.source_key,
        "outcome": result.outcome.value,
        "http_status": result.http_status,
        "duration_ms": result.duration_ms,
        "error": result.error,
        "check_id": result.check_id,
        "changes": [
            {
                "item": c.item_key,
                "category": c.category.value,
                "severity": c.severity.value,
                "title": c.title,
                "summary": c.summary,
                "url": c.url,
                "evidence": list(c.evidence),
            }
            for c in result.changes
        ],
    }


@main.group(invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.pass_context
@fails_cleanly
def sources(ctx: click.Context, as_json: bool) -> None:
    """List the configured sources and their health (`sources test` tries a new one)."""
    if ctx.invoked_subcommand is not None:
        return
    from monitor import console

    app = open_app(ctx)
    stored = {row.key: row for row in app.store.sources()}
    rows = [
        each
        for key in app.sources
        if key in stored
        for each in (stored[key], *_documents_of(key, stored))
    ]
    now = datetime.now(UTC)
    if as_json:
        click.echo(
            json.dumps(
                [console.source_json(row, now) for row in rows], indent=2, ensure_ascii=False
            )
        )
    else:
        print_table(console.sources_table(rows, now, out.width if out.is_terminal else None))


def _documents_of(key: str, stored: Mapping[str, SourceRow]) -> list[SourceRow]:
    """The documents page ``key`` links to (or linked to: disabled), by key."""
    from storage.documents import document_prefix

    prefix = document_prefix(key)
    return [stored[k] for k in sorted(stored) if k.startswith(prefix)]


@main.group(invoke_without_command=True)
@click.option("--source", help="Only this source key.")
@click.option("--category", help="Only this category, e.g. amendment.")
@click.option("--since", help="Only changes since a date (2025-09-01) or a period ago (7d).")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 10_000))
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.pass_context
@fails_cleanly
def changes(
    ctx: click.Context,
    source: str | None,
    category: str | None,
    since: str | None,
    limit: int,
    as_json: bool,
) -> None:
    """List stored changes, newest first (`changes mark-noise ID` teaches lexwatch)."""
    if ctx.invoked_subcommand is not None:
        return
    from monitor import console
    from storage.queries import ChangeFilter

    where = ChangeFilter(source=source, category=category, since=since_value(since), limit=limit)
    rows = open_app(ctx).store.changes(where)
    if as_json:
        click.echo(json.dumps([_change_json(row) for row in rows], indent=2, ensure_ascii=False))
    else:
        print_table(console.changes_table(rows))


@changes.command("mark-noise")
@click.argument("change_id", type=int)
@click.option(
    "--accept", is_flag=True, help="Also add the proposed ignore rule to the config file."
)
@click.pass_context
@fails_cleanly
def mark_noise(ctx: click.Context, change_id: int, accept: bool) -> None:
    """Mark a change as noise and propose the narrowest rule that ignores its kind."""
    from monitor.analysis.feedback import accept_rule, propose_rule
    from monitor.config import DEFAULT_CONFIG

    app = open_app(ctx)
    row = app.store.mark_noise(change_id, datetime.now(UTC))
    if row is None:
        raise LexwatchError(f"no change with id {change_id}; see `lexwatch changes`")
    out.print(f"change {change_id} is marked as noise: it will not be alerted")
    rule = propose_rule(row.source_key, row.diff)
    if not (rule.patterns or rule.fields):
        out.print("no narrow rule fits this change (a whole paragraph appeared or went)")
        return
    config = ctx.find_object(Context).config or DEFAULT_CONFIG  # type: ignore[union-attr]
    if accept:
        accept_rule(config, rule)
        out.print(f"added to {config}:", markup=False)
    else:
        out.print(
            f"to ignore such changes from now on, add to {config} (or run again with --accept):",
            markup=False,
        )
    out.print(rule.as_toml(), markup=False, highlight=False)


@main.command()
@click.option(
    "--ics",
    "ics_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write them as an iCalendar file.",
)
@click.option("--all", "show_all", is_flag=True, help="Include past and closed deadlines.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.pass_context
@fails_cleanly
def deadlines(ctx: click.Context, ics_file: Path | None, show_all: bool, as_json: bool) -> None:
    """Upcoming deadlines: consultations closing, provisions starting to apply."""
    from monitor import console

    now = datetime.now(UTC)
    rows = open_app(ctx).store.deadlines(after=None if show_all else now, include_closed=show_all)
    if as_json:
        click.echo(json.dumps([_deadline_json(row) for row in rows], indent=2, ensure_ascii=False))
    else:
        print_table(console.deadlines_table(rows, now))
    if ics_file is not None:
        from dashboard.ics import deadlines_calendar

        ics_file.write_bytes(deadlines_calendar(rows, now=now))
        err.print(f"wrote {len(rows)} deadline(s) to {ics_file}", markup=False)


def _deadline_json(row: DeadlineRow) -> dict[str, Any]:
    return {
        "source": row.source_key,
        "item": row.item_key,
        "kind": row.kind,
        "label": row.label,
        "due": row.due.isoformat(),
        "status": row.status,
        "url": row.url,
        "history": row.history,
    }


def _change_json(row: ChangeRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "source": row.source_key,
        "item": row.item_key,
        "category": row.category,
        "severity": row.severity,
        "title": row.title,
        "summary": row.summary,
        "url": row.url,
        "detected_at": row.detected_at.isoformat(),
        "old_date": row.old_date.isoformat() if row.old_date else None,
        "new_date": row.new_date.isoformat() if row.new_date else None,
        "evidence": row.evidence,
        "diff": row.diff,
        "event_key": row.event_key,
        "event_id": row.event_id,
        "related_to": row.related_to,
        "marked_noise": row.marked_noise_at is not None,
    }


@main.command()
@click.argument("change_id", type=int)
@click.pass_context
@fails_cleanly
def diff(ctx: click.Context, change_id: int) -> None:
    """Show one change with its word diff."""
    from monitor import console

    row = open_app(ctx).store.change(change_id)
    if row is None:
        raise LexwatchError(f"no change with id {change_id}; see `lexwatch changes`")
    out.print(console.word_diff(row, marks=not out.is_terminal))


@main.command()
@click.argument("key")
@click.option("--limit", default=30, show_default=True, type=click.IntRange(1, 10_000))
@click.pass_context
@fails_cleanly
def history(ctx: click.Context, key: str, limit: int) -> None:
    """Show the recent checks of one source (or of a document it links to: KEY/doc/...)."""
    from monitor import console
    from storage.documents import parent_of

    app = open_app(ctx)
    parent = parent_of(key)
    app.select([parent or key])
    if parent is not None and key not in {row.key for row in app.store.document_sources(parent)}:
        raise LexwatchError(
            f"no document {key!r} of {parent!r}; `lexwatch sources` lists"
            " the documents each page links to"
        )
    print_table(console.history_table(key, app.store.checks(key, limit)))


@main.command("eval")
@click.argument("directory", type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead.")
@click.option(
    "--explain",
    is_flag=True,
    help="Show, per case, which rule named each change and on which sentences.",
)
@click.option("--wrong", "only_wrong", is_flag=True, help="With --explain: wrong cases only.")
@fails_cleanly
def eval_cases(directory: Path, as_json: bool, explain: bool, only_wrong: bool) -> None:
    """Score the classifier on labelled before/after cases (see ../shared/eval/README.md)."""
    from monitor.tools.eval_report import (
        render_confusion,
        render_explain,
        render_table,
        report_json,
    )
    from monitor.tools.evaluate import evaluate

    report = evaluate(directory)
    if as_json:
        click.echo(json.dumps(report_json(report), indent=2, ensure_ascii=False))
        return
    click.echo(render_table(report))
    click.echo(render_confusion(report))
    if explain:
        click.echo(render_explain(report, only_wrong=only_wrong))


@main.group()
def db() -> None:
    """Database maintenance."""


@db.command("upgrade")
@click.pass_context
@fails_cleanly
def db_upgrade(ctx: click.Context) -> None:
    """Apply pending schema migrations (also done automatically on start)."""
    from storage.db import make_engine, upgrade

    settings = settings_of(ctx)
    engine = make_engine(settings.database_url)
    revision = upgrade(engine)
    engine.dispose()
    out.print(f"database at schema revision {revision}")


@main.command()
@click.option("--no-dashboard", is_flag=True, help="Do not serve the dashboard in this process.")
@click.option(
    "--no-checks",
    is_flag=True,
    help="Do not check sources (workers do); deliver, send digests, prune and serve.",
)
@click.pass_context
@fails_cleanly
def run(ctx: click.Context, no_dashboard: bool, no_checks: bool) -> None:
    """Run the service: scheduled checks, alerts, digests, retention and the dashboard."""
    from monitor.app import App, warn_without_contact
    from monitor.service.schedule import run_service

    settings = settings_of(ctx)
    service_logging(ctx, settings)
    app = App.start(settings)
    if not no_checks:
        warn_without_contact(settings)
    ctx.call_on_close(app.close)
    asyncio.run(run_service(app, dashboard=not no_dashboard, checks=not no_checks))


def _register_tools() -> None:
    """Commands that live in their own modules."""
    from monitor.cli import alerts, cluster, config, events, export, serve, service, tools, triage

    tools.register(main, sources)
    config.register(main)
    alerts.register(main)
    service.register(main)
    cluster.register(main)
    serve.register(main)
    events.register(main)
    triage.register(main)
    export.register(main)


_register_tools()
