"""CLI commands for alerts: `lexwatch deliveries`, `lexwatch digest`, `lexwatch notify test`."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from monitor.cli.common import err, fails_cleanly, open_app, out
from monitor.errors import ConfigError, LexwatchError, NotifyError
from monitor.types import DeliveryMode, DeliveryStatus

if TYPE_CHECKING:  # loaded by the commands that use them (see monitor.cli.common)
    from rich.table import Table

    from monitor.app import App
    from storage.models import DeliveryRow

STATUSES = [status.value for status in DeliveryStatus]


def register(main: click.Group) -> None:
    main.add_command(deliveries)
    main.add_command(digest)
    main.add_command(notify)


@click.group(invoke_without_command=True)
@click.option("--status", type=click.Choice(STATUSES), help="Only deliveries in this state.")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 10_000))
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.pass_context
@fails_cleanly
def deliveries(ctx: click.Context, status: str | None, limit: int, as_json: bool) -> None:
    """The outbox: alerts sent, pending, dead (gave up) or skipped, newest first."""
    if ctx.invoked_subcommand is not None:
        return
    rows = open_app(ctx).store.deliveries(status=status, limit=limit)
    if as_json:
        click.echo(json.dumps([_delivery_json(row) for row in rows], indent=2))
    else:
        out.print(_deliveries_table(rows))


@deliveries.command("retry")
@click.argument("ids", nargs=-1, type=int)
@click.option("--all-dead", is_flag=True, help="Re-drive every dead delivery.")
@click.pass_context
@fails_cleanly
def deliveries_retry(ctx: click.Context, ids: tuple[int, ...], all_dead: bool) -> None:
    """Send dead deliveries again (the given IDs, or --all-dead), then dispatch now."""
    if not ids and not all_dead:
        raise click.UsageError("name delivery IDs or use --all-dead")
    app = open_app(ctx)
    count = app.store.retry_deliveries(None if all_dead else list(ids), datetime.now(UTC))
    out.print(f"{count} dead delivery(ies) queued again")
    sent = asyncio.run(send_due(app))
    out.print(f"{sent} alert(s) sent")


async def send_due(app: App) -> int:
    """Send all that is due in the outbox now, before the command exits; the number sent."""
    async with app.dispatcher() as dispatcher:
        return await dispatcher.dispatch_due(until_done=True)


@click.command()
@click.argument("names", nargs=-1)
@click.option("--preview", is_flag=True, help="Write the HTML and print the text; send nothing.")
@click.option("--send", is_flag=True, help="Send now, even before the scheduled time.")
@click.option(
    "--out",
    "out_dir",
    default=Path("."),
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Where --preview writes digest-NAME.html (user:bob: digest-user-bob.html).",
)
@click.pass_context
@fails_cleanly
def digest(
    ctx: click.Context, names: tuple[str, ...], preview: bool, send: bool, out_dir: Path
) -> None:
    """Preview or send the digest e-mail of the named digest subscriptions (default: all)."""
    if preview == send:
        raise click.UsageError("use exactly one of --preview and --send")
    app = open_app(ctx)
    chosen = [app.subscription(name) for name in names] or [
        sub for sub in app.subscriptions if sub.mode is DeliveryMode.DIGEST
    ]
    if not chosen:
        raise ConfigError('no digest subscription is configured (mode = "digest")')
    for sub in chosen:
        if sub.mode is not DeliveryMode.DIGEST:
            raise ConfigError(f'subscription {sub.name!r} is not a digest (mode = "instant")')
    asyncio.run(_digests(app, [sub.name for sub in chosen], preview=preview, out_dir=out_dir))


async def _digests(app: App, names: Sequence[str], *, preview: bool, out_dir: Path) -> None:
    async with app.dispatcher() as dispatcher:
        for name in names:
            result = await dispatcher.send_digest(name, preview=preview, force=preview)
            if preview and result.rendered is not None:
                path = out_dir / preview_file(name)
                path.write_text(result.rendered.html, encoding="utf-8")
                click.echo(f"Subject: {result.rendered.subject}\n\n{result.rendered.text}")
                err.print(f"HTML written to {path}", markup=False)
            elif result.sent:
                out.print(f"digest {name}: sent, {result.changes} change(s)", markup=False)
            elif result.reason == "nothing to say":
                out.print(f"digest {name}: nothing to send", markup=False)
            else:
                raise NotifyError(
                    f"digest {name} was not sent: {result.reason} (it stays queued and is retried)"
                )


def preview_file(name: str) -> str:
    """``digest-NAME.html``, with whatever a file name may not hold on any system (the colon
    of ``user:bob``, a slash) as ``-``."""
    return "digest-" + re.sub(r"[^\w.@-]", "-", name).strip(".") + ".html"


@click.group()
def notify() -> None:
    """Check that alerts reach their destination."""


@notify.command("test")
@click.argument("subscription")
@click.pass_context
@fails_cleanly
def notify_test(ctx: click.Context, subscription: str) -> None:
    """Send a sample alert to SUBSCRIPTION, through the outbox like a real one."""
    app = open_app(ctx)
    sub = app.subscription(subscription)
    source_key = next(iter(app.sources), "lexwatch")
    delivery_id = app.store.enqueue_test(sub, source_key, datetime.now(UTC))
    asyncio.run(send_due(app))
    row = app.store.delivery(delivery_id)
    if row is None or row.status != DeliveryStatus.SENT.value:
        error = row.last_error if row else "the delivery disappeared"
        raise LexwatchError(
            f"the test alert to {subscription!r} failed: {error} (see `lexwatch deliveries`)"
        )
    out.print(f"test alert sent to {subscription} ({sub.channel.value})", markup=False)


def _deliveries_table(rows: Sequence[DeliveryRow]) -> Table:
    from rich.table import Table
    from rich.text import Text

    table = Table("id", "subscription", "kind", "change", "status", "attempts", "when", "error")
    for row in rows:
        when = row.sent_at or row.next_attempt_at or row.created_at
        cells = (
            str(row.id),
            row.subscription,
            row.kind,
            str(row.change_id or ""),
            row.status,
            str(row.attempts),
            f"{when:%Y-%m-%d %H:%M}",
            (row.last_error or "")[:80],
        )
        table.add_row(*(Text(cell) for cell in cells))  # error texts are not markup
    return table


def _delivery_json(row: DeliveryRow) -> dict[str, Any]:
    data = row.model_dump()
    for key in ("created_at", "next_attempt_at", "sent_at"):
        data[key] = data[key].isoformat() if data[key] else None
    return data
