"""`lexwatch events`: the stored events (one per happening, however many sources told it),
and `lexwatch events show ID`: one event's changes and why they were grouped.

Registered by monitor.cli (``register(main)``).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import click

from monitor.cli.common import fails_cleanly, open_app, print_table, since_value
from monitor.errors import LexwatchError

if TYPE_CHECKING:  # loaded by the commands that use them (see monitor.cli.common)
    from storage.event_browse import EventDetail, EventPage

STATES = ("new", "in_review", "actioned", "dismissed")


def register(main: click.Group) -> None:
    """Add `events` (and `events show`) to ``main``."""
    main.add_command(events)


@click.group(invoke_without_command=True)
@click.option("--source", help="Only events one of whose changes comes from this source key.")
@click.option("--category", help="Only this category, e.g. consultation_opened.")
@click.option("--since", help="Only events seen since a date (2025-09-01) or a period ago (7d).")
@click.option("--state", type=click.Choice(STATES), help="Only events in this triage state.")
@click.option("--noise", is_flag=True, help="Include noise, and events marked as noise.")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 200))
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.pass_context
@fails_cleanly
def events(
    ctx: click.Context,
    source: str | None,
    category: str | None,
    since: str | None,
    state: str | None,
    noise: bool,
    limit: int,
    as_json: bool,
) -> None:
    """List events, the latest first: one row per happening, with the sources that told it
    (`events show ID` lists its changes)."""
    if ctx.invoked_subcommand is not None:
        return
    from monitor import console
    from storage.browse import ChangeQuery
    from storage.event_browse import EventQuery

    filters = ChangeQuery(
        source=source,
        category=category,
        since=since_value(since),
        include_noise=noise,
        per_page=limit,
    )
    page = open_app(ctx).store.events(EventQuery(changes=filters, states=(state,) if state else ()))
    if as_json:
        click.echo(json.dumps(_events_json(page), indent=2, ensure_ascii=False))
    else:
        print_table(console.events_table(page))


@events.command("show")
@click.argument("event_id", type=click.IntRange(1))
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.pass_context
@fails_cleanly
def show(ctx: click.Context, event_id: int, as_json: bool) -> None:
    """One event: its changes, their sources, and why each was grouped."""
    from monitor import console

    detail = open_app(ctx).store.event(event_id)
    if detail is None:
        raise LexwatchError(f"no event with id {event_id}; see `lexwatch events`")
    if as_json:
        click.echo(json.dumps(_event_json(detail), indent=2, ensure_ascii=False))
    else:
        print_table(console.event_table(detail))


def _events_json(page: EventPage) -> list[dict[str, Any]]:
    return [
        {
            "id": row.id,
            "category": row.category,
            "severity": row.severity,
            "title": row.title,
            "summary": row.summary,
            "url": row.url,
            "old_date": row.old_date.isoformat() if row.old_date else None,
            "new_date": row.new_date.isoformat() if row.new_date else None,
            "first_detected_at": row.first_detected_at.isoformat(),
            "last_detected_at": row.last_detected_at.isoformat(),
            "change_count": row.change_count,
            "sources": page.sources.get(row.id or 0, []),
            "state": row.state,
            "assignee": row.assignee,
        }
        for row in page.rows
    ]


def _event_json(detail: EventDetail) -> dict[str, Any]:
    event = detail.event
    return {
        "id": event.id,
        "title": event.title,
        "category": event.category,
        "sources": list(dict.fromkeys(one.change.source_key for one in detail.changes)),
        "changes": [
            {
                "id": one.change.id,
                "source": one.change.source_key,
                "title": one.change.title,
                "detected_at": one.change.detected_at.isoformat(),
                **detail.rule_of(one.change.id),
            }
            for one in detail.changes
        ],
        "log": [
            {"at": row.at.isoformat(), "actor": row.actor, "action": row.action, **row.detail}
            for row in detail.log
        ],
    }
