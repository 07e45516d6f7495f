"""What every `lexwatch` command module shares: the context, error handling and consoles.

The command modules of this package import from here, never from monitor.cli.main, which
imports them to register their commands.

Start-up time matters (every cron run, every `--help`): command modules import what a
command needs inside the command, so `lexwatch --help` loads click and little else, and
`lexwatch check` no dashboard, no Apprise, no Alembic unless a migration is due.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar, cast

import click

from monitor.errors import ConfigError, LexwatchError, StorageError

if TYPE_CHECKING:
    from rich.console import Console

    from monitor.app import App
    from monitor.config import Settings

P = ParamSpec("P")
R = TypeVar("R")


class _LazyConsole:
    """A rich Console made at its first use: commands that print nothing never load rich."""

    def __init__(self, *, stderr: bool) -> None:
        self._stderr = stderr
        self._console: Console | None = None

    def __getattr__(self, name: str) -> Any:
        if self._console is None:
            from monitor.console import make_console

            self._console = make_console(stderr=self._stderr)
        return getattr(self._console, name)


out = cast("Console", _LazyConsole(stderr=False))
err = cast("Console", _LazyConsole(stderr=True))


@dataclass
class Context:
    config: Path | None
    replay: Path | None = None


def fails_cleanly(func: Callable[P, R]) -> Callable[P, R]:
    """Turn lexwatch's own errors into one clear line and an exit status."""

    @wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except ConfigError as exc:
            err.print(f"configuration error: {exc}", markup=False)
            sys.exit(2)
        except StorageError as exc:
            err.print(f"database error: {exc}", markup=False)
            sys.exit(3)
        except LexwatchError as exc:
            err.print(f"error: {exc}", markup=False)
            sys.exit(1)

    return wrapper


def print_table(renderable: Any) -> None:
    """Print a table to standard output: fitted to a terminal; at its natural width when
    piped or redirected, so no URL or title is cut in two lines (grep, copy, less -S)."""
    if out.is_terminal:
        out.print(renderable)
        return
    from rich.console import Console

    Console(
        file=out.file, width=100_000, highlight=False, soft_wrap=False, no_color=out.no_color
    ).print(renderable)


def settings_of(ctx: click.Context) -> Settings:
    """The settings named by the global options (--config, --replay)."""
    from monitor.config import ReplaySettings, load_settings

    context = ctx.find_object(Context)
    settings = load_settings(context.config if context else None)
    if context is not None and context.replay is not None:
        settings = settings.model_copy(update={"replay": ReplaySettings(dir=context.replay)})
    return settings


def open_app(ctx: click.Context, settings: Settings | None = None) -> App:
    """The started App (with ``settings``, else those of the global options), closed when
    the command ends."""
    from monitor.app import App

    app = App.start(settings or settings_of(ctx))
    ctx.call_on_close(app.close)
    return app


def service_logging(ctx: click.Context, settings: Settings) -> None:
    """Logging for a long-running process: --log-level when given, else the config's
    ``log_level`` (INFO: a service says what it does), in the configured ``log_format``."""
    from monitor.logs import configure_logging

    root = ctx.find_root()
    level = str(root.params.get("log_level") or settings.log_level)
    if root.get_parameter_source("log_level") is click.core.ParameterSource.DEFAULT:
        level = settings.log_level
    configure_logging(level.upper(), settings.log_format)


def since_value(value: str | None) -> datetime | None:
    """--since of `lexwatch changes` and `lexwatch events`: a date, or a period ago (7d)."""
    from monitor.config import parse_duration

    if value is None:
        return None
    try:
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    except ValueError:
        pass
    try:
        return datetime.now(UTC) - timedelta(seconds=parse_duration(value))
    except ValueError:
        raise click.BadParameter(
            f"{value!r}: use a date (2025-09-01) or a period (7d, 12h)", param_hint="--since"
        ) from None
