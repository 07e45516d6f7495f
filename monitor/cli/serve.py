"""`lexwatch serve` (the dashboard alone) and `lexwatch dashboard hash-password`.

monitor.cli registers these with ``register(main)``.
"""

from __future__ import annotations

import asyncio
import signal
from typing import TYPE_CHECKING

import click

from monitor.cli.common import err, fails_cleanly, open_app

if TYPE_CHECKING:  # FastAPI and the app load only when `serve` runs
    from monitor.app import App

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def register(main: click.Group) -> None:
    """Add `serve` and the `dashboard` group to the `lexwatch` command."""
    main.add_command(serve)
    main.add_command(dashboard)


@click.command()
@click.option("--host", help="Address to listen on (default: dashboard.host, 127.0.0.1).")
@click.option(
    "--port",
    type=click.IntRange(1, 65535),
    help="Port to listen on (default: dashboard.port, 8787).",
)
@click.pass_context
@fails_cleanly
def serve(ctx: click.Context, host: str | None, port: int | None) -> None:
    """Serve the dashboard (pages, JSON API, feeds) without checking sources."""
    app = open_app(ctx)
    settings = app.settings.dashboard
    host, port = host or settings.host, port or settings.port
    if host not in LOOPBACK and not settings.secure_cookies:
        err.print(
            f"warning: serving on {host}, beyond this machine: put the dashboard behind"
            " HTTPS and set dashboard.secure_cookies = true",
            markup=False,
        )
    err.print(f"lexwatch dashboard on http://{host}:{port}/ (Ctrl-C stops it)", markup=False)
    asyncio.run(_serve_until_signal(app, host, port))


async def _serve_until_signal(app: App, host: str, port: int) -> None:
    from dashboard.app import serve as serve_app

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await serve_app(app, host=host, port=port, stop=stop)


@click.group()
def dashboard() -> None:
    """Dashboard administration."""


@dashboard.command("hash-password")
@click.option(
    "--password",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    help="The password (asked for when not given; prefer the prompt).",
)
@click.option(
    "--user",
    "name",
    default="NAME",
    show_default=True,
    help="User name to show in the example setting.",
)
def hash_password(password: str, name: str) -> None:
    """Hash a password for LEXWATCH_DASHBOARD__USERS, so no plain password is stored."""
    from dashboard.auth import hash_password as make_hash

    if not password:
        raise click.BadParameter("the password is empty", param_hint="--password")
    hashed = make_hash(password)
    click.echo(hashed)
    click.echo(f"\nuse it as:  LEXWATCH_DASHBOARD__USERS='{name}:{hashed}'", err=True)
