"""`lexwatch triage` (events' state, assignee, date and notes from the shell) and `lexwatch
users` (users, their roles and their own digests). Whoever runs these has the database, so
they act as an admin; ``--as`` names the dashboard user the audit trail records."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

import click

from monitor.cli.common import fails_cleanly, open_app, out, print_table
from monitor.errors import ConfigError, LexwatchError
from monitor.types import Category, Severity

if TYPE_CHECKING:  # loaded by the commands that use them (see monitor.cli.common)
    from monitor.app import App
    from storage.models import EventRow
    from storage.triage import Triaged, Write

STATES = ["new", "in_review", "actioned", "dismissed"]
NOBODY = "-"


def register(main: click.Group) -> None:
    main.add_command(triage)
    main.add_command(users)


def _users(app: App) -> list[str]:
    from dashboard.roles import assignable

    return assignable(app.settings.dashboard)


def _user(app: App, name: str, what: str) -> str:
    known = _users(app)
    if name not in known:
        raise ConfigError(
            f"{what}: {name!r} is not a dashboard user; users: {', '.join(known) or 'none'}"
            " (LEXWATCH_DASHBOARD__USERS)"
        )
    return name


def _write(app: App, event_id: int, actor: str, version: int | None) -> Write:
    from storage.triage import Write

    return Write(
        event_id=event_id,
        actor=_user(app, actor, "--as"),
        at=datetime.now(UTC),
        version=version,
    )


def _report(result: Triaged, done: str) -> None:
    if not result.done:
        raise LexwatchError(result.message)
    out.print(done, markup=False)


AS_USER = click.option("--as", "actor", required=True, help="The user the audit trail names.")
VERSION = click.option(
    "--version", type=click.IntRange(0), help="Refuse if the event changed since this version."
)


@click.group()
def triage() -> None:
    """Triage events: list them, move them through their states, assign, date, annotate."""


@triage.command("list")
@click.option("--state", "states", multiple=True, type=click.Choice(STATES), help="Repeatable.")
@click.option("--assignee", help=f"A user, or {NOBODY} for events assigned to nobody.")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 200))
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.pass_context
@fails_cleanly
def triage_list(
    ctx: click.Context, states: tuple[str, ...], assignee: str | None, limit: int, as_json: bool
) -> None:
    """Events newest first, with their state, assignee and date to act by."""
    from storage.event_browse import assignee_named, every_event

    query = every_event(states=states, assignee=assignee_named(assignee), per_page=limit)
    rows = open_app(ctx).store.events(query).rows
    if as_json:
        click.echo(json.dumps([_event_json(row) for row in rows], indent=2))
        return
    print_table(_events_table(rows))


def _event_json(row: EventRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "title": row.title,
        "state": row.state,
        "assignee": row.assignee,
        "action_due": row.action_due.isoformat() if row.action_due else None,
        "version": row.version,
    }


def _events_table(rows: list[EventRow]) -> Any:
    from rich.table import Table

    table = Table("id", "state", "assignee", "act by", "version", "title")
    for row in rows:
        due = row.action_due.isoformat() if row.action_due else ""
        table.add_row(str(row.id), row.state, row.assignee or "", due, str(row.version), row.title)
    return table


@triage.command("move")
@click.argument("event_id", type=click.IntRange(1))
@click.argument("state", type=click.Choice(STATES))
@click.option("--noise", is_flag=True, help="With dismissed: mark its changes as noise too.")
@AS_USER
@VERSION
@click.pass_context
@fails_cleanly
def triage_move(
    ctx: click.Context, event_id: int, state: str, noise: bool, actor: str, version: int | None
) -> None:
    """Move an event to STATE (new -> in_review -> actioned | dismissed; reopen)."""
    app = open_app(ctx)
    result = app.store.triage.transition(_write(app, event_id, actor, version), state, noise=noise)
    _report(result, f"event {event_id}: {state}")


@triage.command("assign")
@click.argument("event_id", type=click.IntRange(1))
@click.argument("assignee")
@AS_USER
@VERSION
@click.pass_context
@fails_cleanly
def triage_assign(
    ctx: click.Context, event_id: int, assignee: str, actor: str, version: int | None
) -> None:
    """Assign an event to a dashboard user (-: to nobody)."""
    app = open_app(ctx)
    who = None if assignee == NOBODY else _user(app, assignee, "ASSIGNEE")
    result = app.store.triage.assign(_write(app, event_id, actor, version), who)
    _report(result, f"event {event_id}: assigned to {who or 'nobody'}")


@triage.command("due")
@click.argument("event_id", type=click.IntRange(1))
@click.argument("day")
@AS_USER
@VERSION
@click.pass_context
@fails_cleanly
def triage_due(
    ctx: click.Context, event_id: int, day: str, actor: str, version: int | None
) -> None:
    """Set the date (YYYY-MM-DD) the team means to act by; - clears it."""
    try:
        due = None if day == NOBODY else date.fromisoformat(day)
    except ValueError as exc:
        raise click.BadParameter(f"{day!r} is not a date (YYYY-MM-DD) or -") from exc
    app = open_app(ctx)
    result = app.store.triage.set_due(_write(app, event_id, actor, version), due)
    _report(result, f"event {event_id}: act by {due or 'no date'}")


@triage.command("note")
@click.argument("event_id", type=click.IntRange(1))
@click.argument("text")
@AS_USER
@click.pass_context
@fails_cleanly
def triage_note(ctx: click.Context, event_id: int, text: str, actor: str) -> None:
    """Add a note (Markdown) to an event's audit trail."""
    app = open_app(ctx)
    result = app.store.triage.add_note(_write(app, event_id, actor, None), text)
    _report(result, f"event {event_id}: note added")


@triage.command("log")
@click.argument("event_id", type=click.IntRange(1))
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of lines.")
@click.pass_context
@fails_cleanly
def triage_log(ctx: click.Context, event_id: int, as_json: bool) -> None:
    """An event's audit trail, oldest first."""
    app = open_app(ctx)
    if app.store.triage.event(event_id) is None:
        raise LexwatchError(f"no event with id {event_id}")
    rows = app.store.triage.log(event_id)
    if as_json:
        entries = [
            {"at": r.at.isoformat(), "actor": r.actor, "action": r.action, "detail": r.detail}
            for r in rows
        ]
        click.echo(json.dumps(entries, indent=2))
        return
    for row in rows:
        detail = json.dumps(row.detail, ensure_ascii=False)
        click.echo(f"{row.at.isoformat()}  {row.actor}  {row.action}  {detail}")


@click.group(invoke_without_command=True)
@click.pass_context
@fails_cleanly
def users(ctx: click.Context) -> None:
    """Dashboard users with their role and their own digest (LEXWATCH_DASHBOARD__USERS)."""
    if ctx.invoked_subcommand is not None:
        return
    from dashboard.roles import role_of

    app = open_app(ctx)
    digests = {digest.user: digest for digest in app.store.user_digests()}
    for name in _users(app):
        digest = digests.get(name)
        mail = f"digest to {digest.email}" if digest and digest.enabled else "no digest"
        out.print(f"{name}  {role_of(app.settings.dashboard, name).label}  {mail}", markup=False)


@users.command("digest")
@click.argument("user")
@click.option("--email", help="Where the digest goes (kept if not given).")
@click.option("--tag", "tags", multiple=True, help="Sources with this tag; repeatable.")
@click.option(
    "--category",
    "categories",
    multiple=True,
    type=click.Choice([c.value for c in Category if c.alertable]),
    help="Repeatable.",
)
@click.option(
    "--severity",
    "severities",
    multiple=True,
    type=click.Choice([s.value for s in Severity]),
    help="Repeatable.",
)
@click.option("--off", is_flag=True, help="Turn the user's digest off.")
@click.pass_context
@fails_cleanly
def users_digest(
    ctx: click.Context,
    user: str,
    email: str | None,
    tags: tuple[str, ...],
    categories: tuple[str, ...],
    severities: tuple[str, ...],
    off: bool,
) -> None:
    """Set a user's own digest (as they would on /account); without filters: everything."""
    from storage.subscriptions import UserDigest

    app = open_app(ctx)
    _user(app, user, "USER")
    known = app.store.user_digest(user)
    address = email or (known.email if known else "")
    if not address and not off:
        raise click.UsageError("give --email: the user has no digest address yet")
    digest = UserDigest(
        user=user,
        email=address,
        tags=tags,
        categories=tuple(Category(c) for c in categories),
        severities=tuple(Severity(s) for s in severities),
        enabled=not off,
    )
    app.store.save_user_digest(digest, datetime.now(UTC))
    out.print(
        f"{user}: digest {'off' if off else 'to ' + address} (subscription user:{user})",
        markup=False,
    )
