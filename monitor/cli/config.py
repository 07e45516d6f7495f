"""``lexwatch init`` and ``lexwatch config check|reference`` (registered by monitor.cli).

``init`` writes the commented template of every setting; ``config check`` validates a
configuration the way ``lexwatch run`` would (settings, sources, subscriptions and the
environment variables they name) without opening the database, and prints the effective
settings as TOML with every secret masked.

monitor.cli registers these commands with ``register(main)``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import click

from monitor.cli.common import Context, fails_cleanly

if TYPE_CHECKING:
    from monitor.config import Settings


def register(main: click.Group) -> None:
    """Add ``init`` and the ``config`` group to the ``lexwatch`` command."""
    main.add_command(init)
    main.add_command(config)


def _config_path(ctx: click.Context, given: Path | None) -> Path | None:
    if given is not None:
        return given
    found = ctx.find_object(Context)
    return found.config if found else None


# -- lexwatch init ------------------------------------------------------------------------


@click.command()
@click.argument(
    "path",
    required=False,
    default=Path("lexwatch.toml"),
    type=click.Path(dir_okay=False, path_type=Path),
)
@click.option("--force", is_flag=True, help="Overwrite the file if it exists.")
@fails_cleanly
def init(path: Path, force: bool) -> None:
    """Write a commented lexwatch.toml listing every setting with its default."""
    from monitor.cli.init_config import write_template

    write_template(path, force=force)
    click.echo(f"wrote {path}: every setting is commented out with its default.")
    click.echo(f"Edit it, then run `lexwatch --config {path} config check`.")


# -- lexwatch config ----------------------------------------------------------------------


@click.group()
def config() -> None:
    """Check the configuration, or print the reference of every setting."""


@config.command("check")
@click.option(
    "--config",
    "-c",
    "path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="TOML config file (default: lexwatch's --config, $LEXWATCH_CONFIG or ./lexwatch.toml).",
)
@click.pass_context
@fails_cleanly
def config_check(ctx: click.Context, path: Path | None) -> None:
    """Validate a configuration and print the effective settings, secrets masked."""
    from monitor.app import resolve_configuration
    from monitor.cli.config_report import check_database_url, effective_toml
    from monitor.config import load_settings

    path = _config_path(ctx, path)
    settings = load_settings(path)
    check_database_url(settings.database_url)
    # The very checks `lexwatch run` makes before it starts, no more and no fewer.
    sources, _ = resolve_configuration(settings)
    click.echo(effective_toml(settings, sources, _described_path(path)))
    _warn_without_chromium(settings, [s.key for s in sources.values() if s.render and s.enabled])


def _warn_without_chromium(settings: Settings, rendering: list[str]) -> None:
    """A warning, not an error: Playwright's own browser may be installed, and the other
    sources work without any."""
    from monitor.cli.common import err
    from sources.fetch.render import INSTALL_HINT, chromium_executable

    if not rendering:
        return
    found = chromium_executable(settings.render.chromium, os.environ)
    if found is not None and os.path.isfile(found):
        return
    where = f"{found} does not exist" if found else "no chromium on the PATH"
    err.print(
        f"warning: {', '.join(rendering)}: render = true, and {where}; unless Playwright's own"
        f" browser is installed (playwright install chromium), their checks will fail."
        f" {INSTALL_HINT}",
        markup=False,
    )


@config.command("reference")
def config_reference() -> None:
    """Print the Markdown reference of every setting (the README's section)."""
    from monitor.cli.init_config import reference_markdown

    click.echo(reference_markdown(), nl=False)


def _described_path(path: Path | None) -> str:
    from monitor.config import DEFAULT_CONFIG

    if path is not None:
        return str(path)
    named = os.environ.get("LEXWATCH_CONFIG")
    if named:
        return named
    return str(DEFAULT_CONFIG) if DEFAULT_CONFIG.exists() else "none (defaults + environment)"
